import Foundation
import KefuStore
import Testing

/// `secret.key` is made once and never replaced (docs/security.md): a replaced key would make
/// every sealed TOTP secret and widget identity unreadable after the next restart.
@Suite struct SecretKeyFileTests {
    func directory() throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("kefu-key-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }

    @Test func aMissingKeyIsCreatedPrivateAndReadBackTheSame() throws {
        let data = try directory().appendingPathComponent("data")
        let file = SecretKeyFile(dataDirectory: data)
        let key = try file.loadOrCreate()
        #expect(key.count == 32)
        #expect(try file.loadOrCreate() == key)
        let mode = try FileManager.default.attributesOfItem(atPath: file.url.path)[.posixPermissions] as? Int
        #expect(mode == 0o600)
        // No staging files are left behind.
        #expect(try FileManager.default.contentsOfDirectory(atPath: data.path) == ["secret.key"])
    }

    @Test func processesStartingTogetherAgreeOnOneKey() async throws {
        let data = try directory()
        let keys = try await withThrowingTaskGroup(of: Data.self) { group in
            for _ in 0..<32 { group.addTask { try SecretKeyFile(dataDirectory: data).loadOrCreate() } }
            return try await group.reduce(into: Set<Data>()) { $0.insert($1) }
        }
        #expect(keys.count == 1)
        #expect(try SecretKeyFile(dataDirectory: data).loadOrCreate() == keys.first)
    }

    @Test func aMalformedKeyStopsAndIsLeftAlone() throws {
        let data = try directory()
        let file = SecretKeyFile(dataDirectory: data)
        try "not a key\n".write(to: file.url, atomically: true, encoding: .utf8)
        #expect(throws: SecretKeyFile.Problem.malformed(path: file.url.path)) { try file.loadOrCreate() }
        #expect(try String(contentsOf: file.url, encoding: .utf8) == "not a key\n")
        // A truncated key is malformed too, not a reason to make a new one.
        try String(repeating: "ab", count: 31).write(to: file.url, atomically: true, encoding: .utf8)
        #expect(throws: SecretKeyFile.Problem.malformed(path: file.url.path)) { try file.loadOrCreate() }
    }

    @Test func anUnreadableKeyStopsAndIsLeftAlone() throws {
        // Root reads any file, so "unreadable" is made with a directory in the key's place
        // (e2e covers another user's file: test_hardening_cli.py).
        let data = try directory()
        let file = SecretKeyFile(dataDirectory: data)
        try FileManager.default.createDirectory(at: file.url, withIntermediateDirectories: true)
        do {
            _ = try file.loadOrCreate()
            Issue.record("a key was made over an unreadable one")
        } catch {
            guard case .unreadable(let path, _) = error else { Issue.record("\(error)"); return }
            #expect(path == file.url.path)
            #expect(error.description.contains("never replaces a key"))
        }
        var isDirectory: ObjCBool = false
        #expect(FileManager.default.fileExists(atPath: file.url.path, isDirectory: &isDirectory) && isDirectory.boolValue)
    }

    @Test func hexKeysAreReadExactly() {
        #expect(SecretKeyFile.key(hex: String(repeating: "0F", count: 32)) == Data(repeating: 15, count: 32))
        #expect(SecretKeyFile.key(hex: String(repeating: "0g", count: 32)) == nil)
        #expect(SecretKeyFile.key(hex: String(repeating: "00", count: 33)) == nil)
    }
}
