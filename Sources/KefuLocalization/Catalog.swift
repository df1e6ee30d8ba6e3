import Foundation
import KefuCore

/// Every user-facing text of Kefu in every language it speaks: console and account pages, the
/// widget, mails, problem messages, decisions' explanations and channel texts. One JSON table
/// per locale (`Resources/catalog/<locale>.json`) with the same keys; `{name}` marks a value
/// filled in at use. Code asks by key and never chooses words by language itself.
public struct Catalog: Sendable {
    let tables: [UILocale: [String: String]]

    public init(tables: [UILocale: [String: String]]) {
        self.tables = tables
    }

    /// The catalog shipped with Kefu, read once.
    public static let standard: Catalog = {
        do {
            return try load()
        } catch {
            // A build without its resources cannot speak to anyone; say so rather than show keys.
            fatalError("the text catalog is missing from this build of Kefu: \(error)")
        }
    }()

    public static func load() throws -> Catalog {
        guard let root = Bundle.module.url(forResource: "Resources", withExtension: nil) else { throw CocoaError(.fileNoSuchFile) }
        var tables: [UILocale: [String: String]] = [:]
        for locale in UILocale.allCases {
            let data = try Data(contentsOf: root.appendingPathComponent("catalog/\(locale.rawValue).json"))
            tables[locale] = try JSONDecoder().decode([String: String].self, from: data)
        }
        return Catalog(tables: tables)
    }

    /// Whether the catalog has a text under `key` (in English, which has every key).
    public func contains(_ key: String) -> Bool { tables[.en]?[key] != nil }

    /// Every text of `locale` by key (templates and the widget read these).
    public func table(_ locale: UILocale) -> [String: String] { tables[locale] ?? [:] }

    /// The text under `key` (a page's own key; Swift code asks through `TextKey`) with its
    /// `{name}` placeholders filled in; English when a locale
    /// lacks it (the catalog test keeps that from happening), the key itself when both do.
    public func text(_ key: String, _ locale: UILocale, _ values: [String: String] = [:]) -> String {
        let template = tables[locale]?[key] ?? tables[.en]?[key] ?? key
        return values.isEmpty ? template : Self.fill(template, values)
    }


    /// Replaces each `{name}` that has a value; anything else stays as written.
    static func fill(_ template: String, _ values: [String: String]) -> String {
        var result = ""
        var rest = template[...]
        while let open = rest.firstIndex(of: "{") {
            result += rest[..<open]
            guard let close = rest[open...].firstIndex(of: "}") else { break }
            let name = String(rest[rest.index(after: open)..<close])
            if let value = values[name] {
                result += value
            } else {
                result += rest[open...close]
            }
            rest = rest[rest.index(after: close)...]
        }
        return result + rest
    }

    /// The placeholders a text uses, for the catalog's consistency test.
    public static func placeholders(in text: String) -> Set<String> {
        Set(text.matches(of: /\{([a-zA-Z0-9_]+)\}/).map { String($0.output.1) })
    }
}

extension UILocale {
    /// The supported locale for a stored tag ("zh-CN", "zh", "en-GB", nil): English by default.
    public init(storedTag tag: String?) {
        self = tag.flatMap(UILocale.init(tag:)) ?? .en
    }
}
