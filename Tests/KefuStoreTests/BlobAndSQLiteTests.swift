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
