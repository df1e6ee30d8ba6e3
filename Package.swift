// swift-tools-version:6.1
import PackageDescription

let strict: [SwiftSetting] = [
    .enableUpcomingFeature("ExistentialAny"),
]

let package = Package(
    name: "Kefu",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "kefu", targets: ["kefu"]),
        .library(name: "KefuCore", targets: ["KefuCore"]),
        .library(name: "KefuStore", targets: ["KefuStore"]),
        .library(name: "KefuRealtime", targets: ["KefuRealtime"]),
        .library(name: "KefuWeb", targets: ["KefuWeb"]),
        .library(name: "KefuApp", targets: ["KefuApp"]),
        .library(name: "KefuMail", targets: ["KefuMail"]),
        .library(name: "KefuChannels", targets: ["KefuChannels"]),
        .library(name: "KefuConversations", targets: ["KefuConversations"]),
        .library(name: "KefuLocalization", targets: ["KefuLocalization"]),
        .library(name: "KefuAccounts", targets: ["KefuAccounts"]),
        .library(name: "KefuRisk", targets: ["KefuRisk"]),
        .library(name: "KefuHelp", targets: ["KefuHelp"]),
        .library(name: "KefuQuality", targets: ["KefuQuality"]),
        .library(name: "KefuSafety", targets: ["KefuSafety"]),
    ],
    dependencies: [
        .package(url: "https://github.com/hummingbird-project/hummingbird.git", from: "2.28.0"),
        .package(url: "https://github.com/hummingbird-project/hummingbird-auth.git", from: "2.5.0"),
        .package(url: "https://github.com/hummingbird-project/hummingbird-websocket.git", from: "2.8.0"),
        .package(url: "https://github.com/hummingbird-project/swift-mustache.git", from: "2.1.0"),
        .package(url: "https://github.com/apple/swift-configuration.git", from: "1.4.0"),
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.8.0"),
        .package(url: "https://github.com/apple/swift-crypto.git", from: "3.12.0"),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.16.0"),
        .package(url: "https://github.com/apple/swift-metrics.git", from: "2.13.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus.git", from: "2.4.0"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle.git", from: "2.13.0"),
        .package(url: "https://github.com/vapor/sql-kit.git", from: "3.36.0"),
        .package(url: "https://github.com/vapor/sqlite-kit.git", from: "4.5.0"),
        .package(url: "https://github.com/vapor/postgres-kit.git", from: "2.17.0"),
        .package(url: "https://github.com/vapor/postgres-nio.git", from: "1.33.0"),
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.101.0"),
        .package(url: "https://github.com/apple/swift-nio-ssl.git", from: "2.37.0"),
        .package(url: "https://github.com/apple/swift-nio-extras.git", from: "1.35.0"),
        .package(url: "https://github.com/swift-server/async-http-client.git", from: "1.30.0"),
        .package(url: "https://github.com/JohnSundell/Ink.git", from: "0.6.0"),
    ],
    targets: [
        .target(name: "KefuCore", swiftSettings: strict),
        // One C function: SQLite's variadic sqlite3_db_config, which Swift cannot call.
        .target(name: "CKefuSQLite"),
        .target(
            name: "KefuStore",
            dependencies: [
                "KefuCore",
                "CKefuSQLite",
                .product(name: "SQLKit", package: "sql-kit"),
                .product(name: "SQLiteKit", package: "sqlite-kit"),
                .product(name: "PostgresKit", package: "postgres-kit"),
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
            ],
            swiftSettings: strict
        ),
        // Mail: MIME parsing with every charset real mail uses (glibc iconv), composing, SMTP.
        .target(
            name: "KefuMail",
            dependencies: [
                "KefuCore",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOTLS", package: "swift-nio"),
                .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: strict
        ),
        // One catalog of every user-facing text, zh-CN and en.
        .target(name: "KefuLocalization", dependencies: ["KefuCore"], resources: [.copy("Resources")], swiftSettings: strict),
        // The one place a conversation changes: start, send, change, read, typing; store, then publish.
        .target(name: "KefuConversations", dependencies: ["KefuCore", "KefuStore", "KefuRealtime", "KefuSafety"], swiftSettings: strict),
        // Wallet customers' accounts and agents' sign-in: passwords, 2FA, resets, sessions, throttles.
        .target(
            name: "KefuAccounts",
            dependencies: [
                "KefuCore", "KefuStore", "KefuLocalization",
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "HummingbirdBcrypt", package: "hummingbird-auth"),
                .product(name: "HummingbirdOTP", package: "hummingbird-auth"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            resources: [.copy("Resources")],
            swiftSettings: strict
        ),
        // Limits and risk: the policy, decisions explained, hold reviews, limits summaries.
        .target(
            name: "KefuRisk",
            dependencies: [
                "KefuCore", "KefuStore", "KefuLocalization", "KefuAccounts", "KefuConversations",
                .product(name: "Crypto", package: "swift-crypto"),
            ],
            swiftSettings: strict),
        // Channel adapters: email in (SMTP, pipe) and out (outbox through the relay).
        .target(
            name: "KefuChannels",
            dependencies: [
                "KefuCore", "KefuStore", "KefuMail", "KefuRealtime", "KefuConversations", "KefuAccounts", "KefuLocalization", "KefuSafety",
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: strict
        ),
        // The help center: articles (Markdown rendered inert), search, official-channel checks.
        .target(
            name: "KefuHelp",
            dependencies: [
                "KefuCore", "KefuStore", "KefuLocalization", "KefuSafety",
                .product(name: "Ink", package: "Ink"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: strict),
        // Service quality: response targets on business calendars and their timers.
        .target(
            name: "KefuQuality",
            dependencies: [
                "KefuCore", "KefuStore", "KefuConversations", "KefuLocalization", "KefuSafety",
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: strict),
        // Trust and safety: recovery phrases and private keys found and redacted before anything is stored.
        .target(
            name: "KefuSafety",
            dependencies: ["KefuCore", "KefuLocalization", .product(name: "Crypto", package: "swift-crypto")],
            resources: [.copy("Resources")],
            swiftSettings: strict),
        // In-process event fan-out with replay semantics; no I/O, so it is tested without a server.
        .target(
            name: "KefuRealtime",
            dependencies: [
                "KefuCore", "KefuStore", .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: strict
        ),
        .target(
            name: "KefuWeb",
            dependencies: [
                "KefuCore", "KefuStore", "KefuRealtime", "KefuMail", "KefuChannels", "KefuConversations", "KefuAccounts", "KefuRisk", "KefuLocalization",
                "KefuQuality", "KefuSafety",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdAuth", package: "hummingbird-auth"),
                .product(name: "HummingbirdBcrypt", package: "hummingbird-auth"),
                .product(name: "HummingbirdOTP", package: "hummingbird-auth"),
                .product(name: "HummingbirdWebSocket", package: "hummingbird-websocket"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOHTTPTypes", package: "swift-nio-extras"),
                .product(name: "Mustache", package: "swift-mustache"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            resources: [.copy("Resources")],
            swiftSettings: strict
        ),
        // The composition root: builds every service once and hands them to the web edge and the
        // service group (a library, so the tests build exactly what `kefu serve` runs).
        .target(
            name: "KefuApp",
            dependencies: [
                "KefuCore", "KefuStore", "KefuRealtime", "KefuConversations", "KefuAccounts", "KefuRisk", "KefuChannels", "KefuWeb", "KefuHelp", "KefuQuality",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            resources: [.copy("Resources")],
            swiftSettings: strict
        ),
        .executableTarget(
            name: "kefu",
            dependencies: [
                "KefuCore", "KefuStore", "KefuWeb", "KefuApp", "KefuMail", "KefuChannels", "KefuAccounts", "KefuRisk", "KefuHelp", "KefuQuality",
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Configuration", package: "swift-configuration"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: strict
        ),
        // Shared by the test targets: fresh SQLite files and PostgreSQL databases per test.
        .target(
            name: "KefuTestSupport",
            dependencies: ["KefuStore", "KefuAccounts", "KefuCore", .product(name: "Logging", package: "swift-log")],
            path: "Tests/KefuTestSupport",
            swiftSettings: strict
        ),
        .testTarget(name: "KefuCoreTests", dependencies: ["KefuCore"], swiftSettings: strict),
        .testTarget(
            name: "KefuMailTests",
            dependencies: [
                "KefuMail", "KefuCore",
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOEmbedded", package: "swift-nio"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            resources: [.copy("Fixtures")], swiftSettings: strict),
        .testTarget(
            name: "KefuChannelsTests",
            dependencies: [
                "KefuChannels", "KefuMail", "KefuStore", "KefuCore", "KefuRealtime", "KefuConversations", "KefuTestSupport",
                .product(name: "SQLKit", package: "sql-kit"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdTesting", package: "hummingbird"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: strict),
        .testTarget(
            name: "KefuConversationsTests",
            dependencies: ["KefuConversations", "KefuStore", "KefuCore", "KefuRealtime", "KefuTestSupport"], swiftSettings: strict),
        .testTarget(name: "KefuArchitectureTests", swiftSettings: strict),
        .testTarget(
            name: "KefuAccountsTests",
            dependencies: ["KefuAccounts", "KefuStore", "KefuCore", "KefuTestSupport", .product(name: "Logging", package: "swift-log"),
                .product(name: "SQLKit", package: "sql-kit")],
            swiftSettings: strict),
        .testTarget(name: "KefuLocalizationTests", dependencies: ["KefuLocalization", "KefuCore"], swiftSettings: strict),
        .testTarget(
            name: "KefuRiskTests",
            dependencies: [
                "KefuRisk", "KefuAccounts", "KefuConversations", "KefuRealtime", "KefuStore", "KefuCore", "KefuTestSupport",
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: strict),
        .testTarget(
            name: "KefuHelpTests",
            dependencies: ["KefuHelp", "KefuApp", "KefuStore", "KefuCore", "KefuTestSupport", .product(name: "Logging", package: "swift-log")],
            swiftSettings: strict),
        .testTarget(
            name: "KefuQualityTests",
            dependencies: ["KefuQuality", "KefuConversations", "KefuRealtime", "KefuStore", "KefuCore", "KefuTestSupport", .product(name: "Logging", package: "swift-log")],
            swiftSettings: strict),
        .testTarget(name: "KefuSafetyTests", dependencies: ["KefuSafety", "KefuCore"], resources: [.copy("Corpora")], swiftSettings: strict),
        .testTarget(name: "KefuRealtimeTests", dependencies: ["KefuRealtime", "KefuCore", "KefuTestSupport"], swiftSettings: strict),
        .testTarget(
            name: "KefuStoreTests",
            dependencies: ["KefuStore", "KefuCore", "KefuTestSupport", .product(name: "SQLiteKit", package: "sqlite-kit")],
            swiftSettings: strict),
        .testTarget(
            name: "KefuWebTests",
            dependencies: [
                "KefuWeb", "KefuApp", "KefuStore", "KefuCore", "KefuRealtime", "KefuConversations", "KefuAccounts", "KefuRisk", "KefuTestSupport",
                .product(name: "HummingbirdTesting", package: "hummingbird"),
                .product(name: "HummingbirdWSTesting", package: "hummingbird-websocket"),
                .product(name: "HummingbirdOTP", package: "hummingbird-auth"),
                .product(name: "NIOPosix", package: "swift-nio"),
            ],
            swiftSettings: strict
        ),
    ]
)
