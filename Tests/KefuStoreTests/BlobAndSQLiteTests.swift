import Foundation
import KefuStore
import KefuTestSupport
import Logging
import SQLKit
import Testing

@Suite struct BlobAndSQLiteTests {
    @Test func blobsAreStoredOnceByContent() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("kefu-blob-\(UUID().uuidString)")
        let blobs = AttachmentBlobStore(dataDirectory: directory)
        let data = Data("截图 screenshot".utf8)
        let first = try blobs.put(data)
        let second = try blobs.put(data)
        #expect(first == second)
        #expect(first == AttachmentBlobStore.digest(data))
        #expect(try blobs.get(first) == data)
        #expect(throws: (any Error).self) { try blobs.get("../../etc/passwd") }
    }

    @Test func blobsLieUnderTheirSHA256WithNoTemporaryFilesLeft() async throws {
        #expect(AttachmentBlobStore.digest(Data("abc".utf8)) == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("kefu-blob-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: directory) }
        let blobs = AttachmentBlobStore(dataDirectory: directory)
        #expect(try blobs.get(try blobs.put(Data())) == Data())
        // Ten writers of the same new bytes at once: one file, the right bytes, nothing else.
        let data = Data((0..<100_000).map { UInt8($0 % 251) })
        let digests = try await withThrowingTaskGroup(of: String.self) { group in
            for _ in 0..<10 { group.addTask { try blobs.put(data) } }
            return try await group.reduce(into: Set<String>()) { $0.insert($1) }
        }
        #expect(digests.count == 1)
        let digest = try #require(digests.first)
        #expect(try blobs.path(digest) == directory.path + "/attachments/" + digest.prefix(2) + "/" + digest.dropFirst(2))
        #expect(try blobs.get(digest) == data)
        let names = try FileManager.default.contentsOfDirectory(atPath: directory.path + "/attachments/" + digest.prefix(2))
        #expect(names == [String(digest.dropFirst(2))])
    }

    /// Several instances mount one directory: what one stores, another reads and serves (as a
    /// file to stream), through the interface the rest of Kefu sees.
    @Test func instancesSharingADirectorySeeEachOthersBlobs() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("kefu-shared-\(UUID().uuidString)")
        let first: any BlobStore = AttachmentBlobStore(dataDirectory: directory)
        let second: any BlobStore = AttachmentBlobStore(dataDirectory: directory)
        let data = Data("提现截图 withdrawal screenshot".utf8)
        let digest = try await first.put(data)
        #expect(try await second.get(digest) == data)
        guard case .file(let path) = try await second.content(digest) else { Issue.record("not a file"); return }
        #expect(FileManager.default.contents(atPath: path) == data)
        #expect(try await second.put(data) == digest)
        await #expect(throws: (any Error).self) { try await second.content("../../etc/passwd") }
    }

    @Test func sqliteRunsInWALModeWithForeignKeys() async throws {
        let location = try await TestDatabases.create(.sqlite)
        try await withDatabase(location, logger: Logger(label: "test")) { database in
            let mode = try await database.read { sql in
                try await sql.raw("PRAGMA journal_mode").first()?.decode(column: "journal_mode", as: String.self)
            }
            #expect(mode == "wal")
            let foreignKeys = try await database.write { sql in
                try await sql.raw("PRAGMA foreign_keys").first()?.decode(column: "foreign_keys", as: Int.self)
            }
            #expect(foreignKeys == 1)
        }
    }

    @Test func sqliteBackupIsAConsistentCopy() async throws {
        let location = try await TestDatabases.create(.sqlite)
        guard case .sqlite(let path) = location else { return }
        let target = path + ".backup"
        try await withDatabase(location, logger: Logger(label: "test")) { database in
            try await Migrator().migrate(database, logger: Logger(label: "test"))
            let store = SQLStore(database: database)
            _ = try await store.createInbox(name: "Backup me", kind: .email, audit: nil)
            try await (database as! SQLiteStoreDatabase).backup(to: target)
        }
        try await withDatabase(.sqlite(path: target), logger: Logger(label: "test")) { database in
            let inboxes = try await SQLStore(database: database).listInboxes()
            #expect(inboxes.map(\.name) == ["Backup me"])
        }
    }
}
