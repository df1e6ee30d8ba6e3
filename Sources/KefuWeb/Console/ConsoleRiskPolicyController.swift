import Foundation
import Hummingbird
import KefuCore
import KefuRisk
import KefuRealtime
import KefuStore

/// Admin → Limits: the tiers' caps, the regions, the risk rules and the assets as one form. Saving checks
/// the whole policy (every problem named next to its field), audits it, and the next decision
/// uses it; nothing restarts.
struct ConsoleRiskPolicyController {
    let policies: RiskPolicySource
    let resources: ConsoleResources
    let presence: any PresenceTracking

    /// Empty rows offered for new countries.
    static let spareRegions = 2

    func addRoutes(to group: RouterGroup<AuthenticatedContext>) {
        group.get("admin/limits") { request, context in
            try context.require(.admin)
            return try await page(request, context, policy: try await policies.current(), form: nil, problems: [])
        }
        group.post("admin/limits") { request, context in
            try context.require(.admin)
            let form = try await ConsoleForm.read(request, expectedCSRF: context.identity.csrfToken)
            let (policy, unreadable, rows) = Self.policy(from: form)
            // Both kinds at once; a group with an unreadable field (read as 0) is judged when
            // it can be read, not by the rules its 0 breaks.
            let unreadableGroups = Set(unreadable.map { Self.group($0.0) })
            let problems =
                unreadable
                + policy.problems().map { (Self.formPath($0.0, rows: rows), $0.1.rawValue) }.filter { !unreadableGroups.contains(Self.group($0.0)) }
            guard problems.isEmpty else { return try await page(request, context, policy: policy, form: form, problems: problems) }
            try await policies.save(policy, audit: context.audit("risk.policy_changed", subjectKind: "setting", subjectId: RiskPolicySource.key))
            return redirect("/console/admin/limits?flash=saved")
        }
    }

    /// "tiers[1].withdrawal.perTransaction" → "tiers[1].withdrawal".
    static func group(_ path: String) -> String { path.split(separator: ".").dropLast().joined(separator: ".") }

    /// A policy path with the region's index as the form numbers it (blank rows are skipped in
    /// the policy, not in the form).
    static func formPath(_ path: String, rows: [Int]) -> String {
        guard path.hasPrefix("regions["), let close = path.firstIndex(of: "]"),
            let index = Int(path[path.index(path.startIndex, offsetBy: 8)..<close]), rows.indices.contains(index)
        else { return path }
        return "regions[\(rows[index])]" + path[path.index(after: close)...]
    }

    /// The form's fields as a policy, the fields that are not numbers at all (by form path), and
    /// for each region of the policy its row in the form.
    static func policy(from form: ConsoleForm) -> (RiskPolicy, [(String, String)], [Int]) {
        var unreadable: [(String, String)] = []
        func usd(_ name: String, path: String) -> USD {
            let text = (form[name] ?? "").trimmingCharacters(in: .whitespaces).replacingOccurrences(of: ",", with: "")
            guard let value = try? USD.parse(text) else {
                unreadable.append((path, "not_an_amount"))
                return .zero
            }
            return value
        }
        func int(_ name: String, path: String) -> Int {
            guard let value = Int((form[name] ?? "").trimmingCharacters(in: .whitespaces)) else {
                unreadable.append((path, "not_a_number"))
                return 0
            }
            return value
        }
        func caps(_ prefix: String, path: String) -> KindLimits {
            func cap(_ field: KindLimits.Field) -> USD { usd("\(prefix)_\(field.rawValue)", path: "\(path).\(field.rawValue)") }
            return KindLimits(perTransaction: cap(.perTransaction), rolling24h: cap(.rolling24h), rolling30d: cap(.rolling30d))
        }
        let tiers = RiskPolicy.tierRange.map { tier in
            TierLimits(
                transfer: caps("tier\(tier)_transfer", path: "tiers[\(tier)].transfer"),
                withdrawal: caps("tier\(tier)_withdrawal", path: "tiers[\(tier)].withdrawal"),
                withdrawalsPer24h: int("tier\(tier)_withdrawalsPer24h", path: "tiers[\(tier)].withdrawalsPer24h"))
        }
        var regions: [RegionRule] = []
        var rows: [Int] = []
        var index = 0
        while form["region\(index)_country"] != nil {
            let country = (form["region\(index)_country"] ?? "").trimmingCharacters(in: .whitespaces).uppercased()
            defer { index += 1 }
            if country.isEmpty { continue }
            let path = "regions[\(index)]"
            var rule = RegionRule(country: country)
            for kind in MovementKind.allCases {
                if form["region\(index)_\(kind.rawValue)_off"] != nil { rule.disabled.append(kind) }
                // Caps are optional per region: all three given, or none.
                let given = KindLimits.Field.allCases.map {
                    (form["region\(index)_\(kind.rawValue)_\($0.rawValue)"] ?? "").trimmingCharacters(in: .whitespaces)
                }
                if given.allSatisfy(\.isEmpty) { continue }
                let limits = caps("region\(index)_\(kind.rawValue)", path: "\(path).\(kind.rawValue)")
                if kind == .transfer { rule.transfer = limits } else { rule.withdrawal = limits }
            }
            regions.append(rule)
            rows.append(index)
        }
        let from = (form["rule_newDestinationFrom"] ?? "").trimmingCharacters(in: .whitespaces)
        // Symbols separated by commas (also Chinese ones) or spaces.
        let assets = (form["assets"] ?? "").split(whereSeparator: { $0 == "," || $0 == "，" || $0 == "、" || $0.isWhitespace }).map(String.init)
        let rules = RiskRules(
            securityLock: form["rule_securityLock"] != nil, newDeviceHours: int("rule_newDeviceHours", path: "rules.newDeviceHours"),
            newDestinationFromUSD: from.isEmpty ? nil : usd("rule_newDestinationFrom", path: "rules.newDestinationFromUSD"),
            withdrawalsPerHour: int("rule_withdrawalsPerHour", path: "rules.withdrawalsPerHour"),
            largeSharePercent: int("rule_largeSharePercent", path: "rules.largeSharePercent"))
        return (RiskPolicy(tiers: tiers, regions: regions, rules: rules, assets: assets), unreadable, rows)
    }

    func page(_ request: Request, _ context: AuthenticatedContext, policy: RiskPolicy, form: ConsoleForm?, problems: [(String, String)]) async throws
        -> Response
    {
        let page = ConsolePage(resources: resources, locale: ConsolePage.locale(request, agent: context.agent), presence: presence)
        var values = page.base(title: page.t("limits_admin"), request: request, context: context, nav: "admin")
        values["tab_limits"] = true
        let problemAt = Dictionary(problems.map { ($0.0, page.t("policy_problem_\($0.1)")) }, uniquingKeysWith: { first, _ in first })
        // What the admin typed comes back as typed when something was wrong.
        func shown(_ name: String, _ value: String) -> String { form?[name] ?? value }
        func capCells(_ prefix: String, path: String, _ limits: KindLimits?) -> [[String: Any]] {
            KindLimits.Field.allCases.map { field in
                let name = "\(prefix)_\(field.rawValue)"
                return ["name": name, "value": shown(name, limits?[field].description ?? ""), "problem": problemAt["\(path).\(field.rawValue)"] ?? false]
            }
        }
        values["tiers"] = policy.tiers.enumerated().map { tier, limits -> [String: Any] in
            [
                "tier": tier,
                "kinds": MovementKind.allCases.map { kind -> [String: Any] in
                    ["label": page.t("movement_\(kind.rawValue)"), "cells": capCells("tier\(tier)_\(kind.rawValue)", path: "tiers[\(tier)].\(kind.rawValue)", limits.limits(kind))]
                },
                "wpd_name": "tier\(tier)_withdrawalsPer24h", "wpd": shown("tier\(tier)_withdrawalsPer24h", String(limits.withdrawalsPer24h)),
                "wpd_problem": problemAt["tiers[\(tier)].withdrawalsPer24h"] ?? false,
            ]
        }
        var regionRows = policy.regions.map(Optional.some) + Array(repeating: nil, count: Self.spareRegions)
        if let form {
            // As typed, row for row (blank rows included), so problems sit next to their field.
            var count = 0
            while form["region\(count)_country"] != nil { count += 1 }
            regionRows = Array(repeating: nil, count: count)
        }
        values["regions"] = regionRows.enumerated().map { index, rule -> [String: Any] in
            [
                "index": index, "country": shown("region\(index)_country", rule?.country ?? ""),
                "country_problem": problemAt["regions[\(index)].country"] ?? false,
                "kinds": MovementKind.allCases.map { kind -> [String: Any] in
                    [
                        "label": page.t("movement_\(kind.rawValue)"), "off_name": "region\(index)_\(kind.rawValue)_off",
                        "off": form.map { $0["region\(index)_\(kind.rawValue)_off"] != nil } ?? (rule?.disabled.contains(kind) ?? false),
                        "cells": capCells("region\(index)_\(kind.rawValue)", path: "regions[\(index)].\(kind.rawValue)", rule?.limits(kind)),
                    ]
                },
            ]
        }
        let rules = policy.rules
        values["rules"] = [
            "securityLock": rules.securityLock, "newDeviceHours": shown("rule_newDeviceHours", String(rules.newDeviceHours)),
            "newDestinationFrom": shown("rule_newDestinationFrom", rules.newDestinationFromUSD?.description ?? ""),
            "withdrawalsPerHour": shown("rule_withdrawalsPerHour", String(rules.withdrawalsPerHour)),
            "largeSharePercent": shown("rule_largeSharePercent", String(rules.largeSharePercent)),
        ] as [String: Any]
        values["rule_problems"] = ["rules.newDeviceHours", "rules.newDestinationFromUSD", "rules.withdrawalsPerHour", "rules.largeSharePercent"]
            .compactMap { path in problemAt[path].map { "\(page.t("policy_field_\(path.replacingOccurrences(of: "rules.", with: ""))")): \($0)" } }
        values["assets"] = shown("assets", policy.assets.joined(separator: ", "))
        // "assets[2]" names the symbol it is about.
        values["asset_problems"] = problems.filter { $0.0 == "assets" || $0.0.hasPrefix("assets[") }.map { path, code -> String in
            let text = page.t("policy_problem_\(code)")
            guard let index = Int(path.dropFirst("assets[".count).dropLast()), policy.assets.indices.contains(index) else { return text }
            return "\(policy.assets[index]): \(text)"
        }
        values["has_problems"] = !problems.isEmpty
        var response = try resources.render("risk-policy", values)
        if !problems.isEmpty { response.status = .badRequest }
        return response
    }
}
