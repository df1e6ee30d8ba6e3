import Foundation
import KefuStore
import KefuTestSupport
import Logging
import SQLKit
import Testing

@Suite struct MigrationTests {
    /// Released migrations are frozen: editing one changes its checksum and must fail here.
    /// When you add a migration, add its checksums; never change an existing line.
    static let releasedChecksums: [Int: (sqlite: String, postgres: String)] = [
        1: (
            sqlite: "5188e61336bc26fd08e90d29f2298925fd33169fd0f853fb3581ee7f94c21fd9",
            postgres: "8ec556304604a77c098dd74fd9b45e9986ed6b55ad932c164eb70e23884c8490"
        ),
        2: (
            sqlite: "f830ae8ce67e89d9801cbf3c9c3ac3403f3f6ee337ec18f9ca41c79b385dc6ad",
            postgres: "f830ae8ce67e89d9801cbf3c9c3ac3403f3f6ee337ec18f9ca41c79b385dc6ad"
        ),
        3: (
            sqlite: "e6932cbbf0d062249b95982b3d36a657d87b4dc4aab166aadc109d7b5ef22c3d",
            postgres: "e6932cbbf0d062249b95982b3d36a657d87b4dc4aab166aadc109d7b5ef22c3d"
        ),
        4: (
            sqlite: "501ef6ae085208a5cfd37572732a35ad6bdcea666dbe4aeb3e08d91619ef6559",
            postgres: "501ef6ae085208a5cfd37572732a35ad6bdcea666dbe4aeb3e08d91619ef6559"
        ),
        5: (
            sqlite: "9261f906df01274c9fc2cbeb31ec415776e5164dff83ce2bb3486083de2f59c5",
            postgres: "9261f906df01274c9fc2cbeb31ec415776e5164dff83ce2bb3486083de2f59c5"
        ),
        6: (
            sqlite: "3f2e268644cc692b8bf5070d16a22f20f4cbb507b2949a05cf5477c87bf20b29",
            postgres: "3f2e268644cc692b8bf5070d16a22f20f4cbb507b2949a05cf5477c87bf20b29"
        ),
        7: (
            sqlite: "3565a28754925fcb68d0388d81dc64d2cf0837e3d99ff61f56f657446de4480e",
            postgres: "22bff939d60c26a18feebd442ee3dd173cb4fa09c9d6e79502e3aabdb4966b61"
        ),
        8: (
            sqlite: "233413c89f0bde5eb5a6ceaf87de433b0bad9b3da41b39345879910a9ae8861f",
            postgres: "233413c89f0bde5eb5a6ceaf87de433b0bad9b3da41b39345879910a9ae8861f"
        ),
        9: (
            sqlite: "cf52f8958e8f260bca10fe193195c254724a3c08335d2cc4a2e2ac8deefe8451",
            postgres: "cf52f8958e8f260bca10fe193195c254724a3c08335d2cc4a2e2ac8deefe8451"
        ),
        10: (
            sqlite: "8b32b3d2cb9ece8f6f8d7b2f558469b5a10a3b81f29565493e763887233b3dcd",
            postgres: "8b32b3d2cb9ece8f6f8d7b2f558469b5a10a3b81f29565493e763887233b3dcd"
        ),
        11: (
            sqlite: "6a71de39177696fefb47dadd89d1f395016254e672248dfc9d8b37d14af5e8cb",
            postgres: "6a71de39177696fefb47dadd89d1f395016254e672248dfc9d8b37d14af5e8cb"
        ),
        12: (
            sqlite: "00d8083541fc963eabc61a0dcafc66a7f1091bf31dd02f970b848ffe1961ef95",
            postgres: "43f1bff7ec174c109a7ad95d6b6efe74dd1602e24f6aad531826031d013dd2b0"
        ),
        13: (
            sqlite: "7aee1b6fc1ccb3d817e65b21e0cdf0407ff2936e52b1172dfa68c1ee81d58cde",
            postgres: "7aee1b6fc1ccb3d817e65b21e0cdf0407ff2936e52b1172dfa68c1ee81d58cde"
        ),
        14: (
            sqlite: "4fffa4a47ba5db32e6bae3602dfd626ceee35cbfa6a5a1459f219ab8de7a3565",
            postgres: "4fffa4a47ba5db32e6bae3602dfd626ceee35cbfa6a5a1459f219ab8de7a3565"
        ),
        15: (
            sqlite: "72552153b52fe30886827fdb408c448458b05c9b09eb16b0dec5dd88ebae4f88",
            postgres: "21ec58238224ff64faefeb13a67c2fcc1bf4c7de4643ad1f3559c5db95fbe9d6"
        ),
        16: (
            sqlite: "a4fe67d04e713669fd8ea65389c39ae8f9e749c2d6256e5a4da74ee2d9f43f29",
            postgres: "9cb0d1c683821cf507ad9e291cd5ba4e31e7ee381f26a9c18e9a9c2c822daea4"
        ),
        17: (
            sqlite: "0859eedd30e7fa6053ba13c0035a248c3a8f80eb386c94b2949194110b1f6380",
            postgres: "0859eedd30e7fa6053ba13c0035a248c3a8f80eb386c94b2949194110b1f6380"
        ),
        18: (
            sqlite: "6480e9cd40db1c8e070783c77b6c9cff4bdb8e1f4a86a8118199ce9cd1c8af32",
            postgres: "6480e9cd40db1c8e070783c77b6c9cff4bdb8e1f4a86a8118199ce9cd1c8af32"
        ),
        19: (
            sqlite: "b82b1bc3813ca2a682a511775375f62a518d03ab0b2681720468370e8b23b77c",
            postgres: "fbadd07d2ff78ddd59daba65bc5e24d76f38a2a3d412349d38de903cd806c343"
        ),
        20: (
            sqlite: "636af83fad89e4202e5de6d927517ceffc0c94e68ad019a4371096a185b91e50",
            postgres: "0c26fd07612e0e451310251a6f3727647ef0cba3f7fc1ecf7ea72fb3440d39a9"
        ),
        21: (
            sqlite: "4d8bea2529d3daf4f90db8d1b9e99df2826bf4db81f428388d6a7bbe3e842190",
            postgres: "4d8bea2529d3daf4f90db8d1b9e99df2826bf4db81f428388d6a7bbe3e842190"
        ),
        22: (
            sqlite: "2019d35711ded6fd53dc309392ea508e8beb90269ca358e78d55bdc8949fb09b",
            postgres: "2019d35711ded6fd53dc309392ea508e8beb90269ca358e78d55bdc8949fb09b"
        ),
    ]

    @Test(arguments: TestBackend.available)
    func migrationsApplyOnceAndAreRecorded(_ backend: TestBackend) async throws {
        let logger = Logger(label: "test")
        let location = try await TestDatabases.create(backend)
        try await withDatabase(location, logger: logger, poolSize: TestDatabases.poolSize, firstConnection: TestDatabases.firstConnection) { database in
            let first = try await Migrator().migrate(database, logger: logger)
            #expect(first == Schema.migrations.map(\.version))
            let second = try await Migrator().migrate(database, logger: logger)
            #expect(second.isEmpty)
            let applied = try await Migrator().appliedChecksums(database)
            #expect(Set(applied.keys) == Set(Schema.migrations.map(\.version)))
        }
    }

    /// Three instances started at once on an empty database: each migration runs once, all start.
    @Test(arguments: TestBackend.available)
    func instancesStartedTogetherMigrateOnce(_ backend: TestBackend) async throws {
        let logger = Logger(label: "test")
        let location = try await TestDatabases.create(backend)
        let ran = try await withThrowingTaskGroup(of: [Int].self) { group in
            for _ in 0..<3 {
                group.addTask {
                    try await withDatabase(location, logger: logger, poolSize: 2, firstConnection: TestDatabases.firstConnection) { database in
                        try await Migrator().migrate(database, logger: logger)
                    }
                }
            }
            return try await group.reduce(into: [Int]()) { $0 += $1 }
        }
        #expect(ran.sorted() == Schema.migrations.map(\.version).sorted())
    }

    @Test(arguments: TestBackend.available)
    func anEditedReleasedMigrationRefusesToStart(_ backend: TestBackend) async throws {
        let logger = Logger(label: "test")
        let location = try await TestDatabases.create(backend)
        try await withDatabase(location, logger: logger, poolSize: TestDatabases.poolSize, firstConnection: TestDatabases.firstConnection) { database in
            try await Migrator().migrate(database, logger: logger)
            var edited = Schema.migrations
            let original = edited[0]
            edited[0] = Migration(version: original.version, name: original.name) { flavor in
                original.statements(flavor) + ["CREATE TABLE sneaky (id TEXT)"]
            }
            await #expect(throws: MigrationError.self) {
                try await Migrator(migrations: edited).migrate(database, logger: logger)
            }
        }
    }

    @Test func releasedMigrationsAreUnchanged() {
        #expect(!Self.releasedChecksums.isEmpty)
        for migration in Schema.migrations {
            // Every migration on main is released: pin it when you add it.
            guard let pinned = Self.releasedChecksums[migration.version] else {
                Issue.record("pin migration \(migration.version): \(migration.checksum(for: .sqlite)) / \(migration.checksum(for: .postgres))")
                continue
            }
            #expect(migration.checksum(for: .sqlite) == pinned.sqlite, "migration \(migration.version) was edited")
            #expect(migration.checksum(for: .postgres) == pinned.postgres, "migration \(migration.version) was edited")
        }
    }

    @Test(arguments: TestBackend.available)
    func auditLogIsAppendOnly(_ backend: TestBackend) async throws {
        try await withTestStore(backend) { store in
            try await store.appendAudit(.init(actor: .system, action: "test.entry", subjectKind: "test"))
            await #expect(throws: (any Error).self) {
                try await store.database.write { sql in try await sql.raw("UPDATE audit_log SET action = 'changed'").run() }
            }
            await #expect(throws: (any Error).self) {
                try await store.database.write { sql in try await sql.raw("DELETE FROM audit_log").run() }
            }
            let entries = try await store.auditEntries(before: nil, limit: 10)
            #expect(entries.map(\.action) == ["test.entry"])
        }
    }
}
