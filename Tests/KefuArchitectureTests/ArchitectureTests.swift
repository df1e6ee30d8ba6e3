import Foundation
import Testing

/// The shape the code keeps (docs/architecture.md), checked on the sources: services outside the
/// web target, one publisher of conversation events, one place that builds services, small files.
@Suite struct ArchitectureTests {
    static let sources = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Sources")
    static let services = [
        "KefuCore", "KefuLocalization", "KefuStore", "KefuRealtime", "KefuConversations", "KefuAccounts", "KefuRisk", "KefuMail", "KefuChannels",
        "KefuHelp",
    ]

    /// Every Swift file of a target: path relative to Sources and its text.
    static func files(_ target: String? = nil) throws -> [(path: String, text: String)] {
        let root = target.map { sources.appendingPathComponent($0) } ?? sources
        var result: [(String, String)] = []
        for case let url as URL in FileManager.default.enumerator(at: root, includingPropertiesForKeys: nil)! where url.pathExtension == "swift" {
            result.append((String(url.path.dropFirst(sources.path.count + 1)), try String(contentsOf: url, encoding: .utf8)))
        }
        return result.sorted { $0.0 < $1.0 }
    }

    static func imports(_ text: String) -> [String] {
        text.split(separator: "\n").compactMap { line in
            line.hasPrefix("import ") ? String(line.dropFirst("import ".count)) : nil
        }
    }

    @Test func servicesNeverImportTheWebFrameworkNorSpeakHTTP() throws {
        // HummingbirdBcrypt and HummingbirdOTP are algorithm libraries from hummingbird-auth.
        let web: Set<String> = [
            "Hummingbird", "HummingbirdCore", "HummingbirdRouter", "HummingbirdWebSocket", "HummingbirdAuth", "HTTPTypes", "KefuWeb", "KefuApp",
        ]
        var offenders: [String] = []
        for target in Self.services {
            for (path, text) in try Self.files(target) {
                for module in Self.imports(text) where web.contains(module) { offenders.append("\(path) imports \(module)") }
                // Code, not the comments that explain where a case ends up.
                let code = text.split(separator: "\n").filter { !$0.trimmingCharacters(in: .whitespaces).hasPrefix("//") }.joined(separator: "\n")
                for word in ["APIError", "RequestContext", "AuthenticatedContext", "HTTPResponse"] where code.contains(word) {
                    offenders.append("\(path) uses \(word)")
                }
            }
        }
        #expect(offenders == [])
    }

    @Test func theCoreImportsOnlyFoundation() throws {
        let modules = Set(try Self.files("KefuCore").flatMap { Self.imports($0.text) })
        #expect(modules == ["Foundation"])
    }

    /// Stored, then published, by one service: nothing else publishes conversation events.
    @Test func onlyTheConversationsServicePublishes() throws {
        // Publishing on the event bus (`bus.publish(`, `hub.publish(`); announcements' "publish" is another word.
        let publishers = try Self.files().filter { $0.text.contains("bus.publish(") || $0.text.contains("hub.publish(") }.map(\.path)
        #expect(publishers.allSatisfy { $0.hasPrefix("KefuConversations/") || $0.hasPrefix("KefuRealtime/") }, "\(publishers)")
        #expect(publishers.contains("KefuConversations/ConversationService.swift"))
    }

    /// The composition root builds services; the web edge only takes them.
    @Test func theWebTargetBuildsNoServices() throws {
        let services = [
            "ConversationService", "AccountService", "AgentAuthService", "TwoFactorResets", "LimitDecisions", "HoldReviews", "WidgetService",
            "WidgetEmailVerification", "LoginThrottler", "PasswordHasher", "EmailChannel", "ChannelRegistry", "RiskPolicySource", "BackgroundWork",
        ]
        var offenders: [String] = []
        for (path, text) in try Self.files("KefuWeb") {
            for service in services where text.contains("\(service)(") || text.contains("\(service).init(") {
                offenders.append("\(path) builds \(service)")
            }
        }
        #expect(offenders == [])
        let root = try Self.files("KefuApp").map(\.text).joined()
        for service in services.filter({ $0 != "PasswordHasher" }) { #expect(root.contains("\(service)("), "\(service) is not built in KefuApp") }
    }

    /// A file much longer than this holds two things (STYLE.md).
    @Test func noSourceFileIsOverFourHundredLinesOrSo() throws {
        let long = try Self.files().map { ($0.path, $0.text.split(separator: "\n", omittingEmptySubsequences: false).count) }.filter { $0.1 > 420 }
        #expect(long.map(\.0) == [])
    }

    /// Every template escapes by Unicode scalar: swift-mustache's default HTML escaping goes by
    /// Character and lets a `<` fused with a combining mark through.
    @Test func everyTemplateEscapesByScalar() throws {
        let templates = Self.sources.appendingPathComponent("KefuWeb/Resources/templates")
        let names = try FileManager.default.contentsOfDirectory(atPath: templates.path).filter { $0.hasSuffix(".mustache") }
        #expect(!names.isEmpty)
        let missing = try names.filter { name in
            try !String(contentsOf: templates.appendingPathComponent(name), encoding: .utf8).hasPrefix("{{% CONTENT_TYPE: SCALAR_HTML}}\n")
        }
        #expect(missing == [])
    }
}
