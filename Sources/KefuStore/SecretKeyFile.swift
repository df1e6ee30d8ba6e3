import Foundation
import KefuCore

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// `KEFU_DATA_DIR/secret.key`: the key every sealed secret (TOTP secrets, widget identities)
/// depends on. It is generated once and never replaced: a replaced key makes every sealed
/// secret unreadable, so a key that is there but cannot be read stops Kefu with the reason.
public struct SecretKeyFile: Sendable {
    public enum Problem: Error, CustomStringConvertible, Equatable {
        /// The file is there but this process may not read it (another user's file, a directory…).
        case unreadable(path: String, reason: String)
        /// The file holds something other than 64 hex characters.
        case malformed(path: String)
        /// No key could be created (the data directory is not writable…).
        case cannotCreate(path: String, reason: String)

        public var description: String {
            switch self {
            case .unreadable(let path, let reason):
                return "\(path) exists but cannot be read (\(reason)). Kefu never replaces a key (every sealed TOTP secret "
                    + "would become unreadable): run Kefu as the user that owns it, fix its permissions, or set KEFU_SECRET_KEY."
            case .malformed(let path):
                return "\(path) does not hold a key (64 hex characters). Restore it from a backup or set KEFU_SECRET_KEY; "
                    + "Kefu never replaces a key (every sealed TOTP secret would become unreadable)."
            case .cannotCreate(let path, let reason):
                return "no secret key could be created at \(path) (\(reason)); make KEFU_DATA_DIR writable or set KEFU_SECRET_KEY."
            }
        }
    }

    public let url: URL

    public init(dataDirectory: URL) {
        url = dataDirectory.appendingPathComponent("secret.key")
    }

    /// The key in the file, or a new one written there if there is no file yet. Processes
    /// starting together agree on one key: it is linked into place create-exclusive, complete.
    public func loadOrCreate() throws(Problem) -> Data {
        if let key = try read() { return key }
        let directory = url.deletingLastPathComponent()
        do {
            try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        } catch {
            throw .cannotCreate(path: url.path, reason: error.localizedDescription)
        }
        var key = Data(count: 32)
        var generator = SystemRandomNumberGenerator()
        for index in key.indices { key[index] = UInt8.random(in: 0...255, using: &generator) }
        let staged = directory.appendingPathComponent(".secret.key.\(UUID().uuidString)")
        defer { unlink(staged.path) }
        try write(Self.hex(key) + "\n", to: staged)
        if link(staged.path, url.path) != 0 {
            let code = errno
            // Another process got there first: use its key, never ours.
            guard code == EEXIST else { throw .cannotCreate(path: url.path, reason: String(cString: strerror(code))) }
            guard let theirs = try read() else { throw .unreadable(path: url.path, reason: "it disappeared while being read") }
            return theirs
        }
        return key
    }

    /// The key if the file exists; nil only when there is no file at all.
    func read() throws(Problem) -> Data? {
        let descriptor = open(url.path, O_RDONLY | O_CLOEXEC | O_NONBLOCK)
        if descriptor < 0 {
            let code = errno
            if code == ENOENT { return nil }
            throw .unreadable(path: url.path, reason: String(cString: strerror(code)))
        }
        defer { close(descriptor) }
        // Only a regular file is a key (a FIFO would block start-up for ever, a device is not one).
        var status = stat()
        guard fstat(descriptor, &status) == 0, (status.st_mode & S_IFMT) == S_IFREG else {
            throw .unreadable(path: url.path, reason: "not a regular file")
        }
        var buffer = [UInt8](repeating: 0, count: 256)
        let count = Glibc.read(descriptor, &buffer, buffer.count)
        guard count >= 0 else { throw .unreadable(path: url.path, reason: String(cString: strerror(errno))) }
        let text = String(decoding: buffer[0..<count], as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        guard let key = Self.key(hex: text) else { throw .malformed(path: url.path) }
        return key
    }

    private func write(_ text: String, to staged: URL) throws(Problem) {
        let descriptor = open(staged.path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o600)
        guard descriptor >= 0 else { throw .cannotCreate(path: url.path, reason: String(cString: strerror(errno))) }
        defer { close(descriptor) }
        let bytes = Array(text.utf8)
        guard Glibc.write(descriptor, bytes, bytes.count) == bytes.count, fsync(descriptor) == 0 else {
            throw .cannotCreate(path: url.path, reason: String(cString: strerror(errno)))
        }
    }

    /// 32 bytes from 64 hex characters; nil for anything else.
    public static func key(hex: String) -> Data? {
        let characters = Array(hex.utf8)
        guard characters.count == 64 else { return nil }
        var bytes = Data(capacity: 32)
        for index in stride(from: 0, to: 64, by: 2) {
            guard let high = nibble(characters[index]), let low = nibble(characters[index + 1]) else { return nil }
            bytes.append(high << 4 | low)
        }
        return bytes
    }

    static func hex(_ key: Data) -> String { Hex.lowercase(key) }

    private static func nibble(_ character: UInt8) -> UInt8? {
        switch character {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): return character - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): return character - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): return character - UInt8(ascii: "A") + 10
        default: return nil
        }
    }
}
