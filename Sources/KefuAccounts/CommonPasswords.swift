import Foundation

/// The shipped list of the 10,000 most common passwords (Resources/security, with its source).
public enum CommonPasswords {
    public static func load() throws -> Set<String> {
        guard let url = Bundle.module.url(forResource: "Resources", withExtension: nil)?.appendingPathComponent("security/common-passwords.txt")
        else { throw CocoaError(.fileNoSuchFile) }
        let text = try String(contentsOf: url, encoding: .utf8)
        return Set(text.split(separator: "\n").filter { !$0.hasPrefix("#") }.map { $0.lowercased() })
    }
}
