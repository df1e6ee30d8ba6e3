// swift-tools-version:6.1
// Benchmarks live in their own package so `swift build`/`swift test` of Kefu never build the
// benchmark harness. Run: cd Benchmarks && swift package --allow-writing-to-package-directory benchmark
import PackageDescription

let package = Package(
    name: "KefuBenchmarks",
    platforms: [.macOS(.v15)],
    dependencies: [
        // Named explicitly: a path package is otherwise named after its folder, which differs per clone.
        .package(name: "Kefu", path: ".."),
        .package(url: "https://github.com/ordo-one/benchmark.git", from: "1.38.0", traits: ["MallocInterposer"]),
        .package(url: "https://github.com/hummingbird-project/hummingbird.git", from: "2.28.0"),
        .package(url: "https://github.com/vapor/sqlite-nio.git", from: "1.13.0"),
        .package(url: "https://github.com/vapor/sql-kit.git", from: "3.36.0"),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.16.0"),
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.101.0"),
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.8.0"),
    ],
    targets: [
        // What the harness's benchmarks and the load executables share: concurrent callers,
        // the risk engine's seeded accounts.
        .target(
            name: "BenchSupport",
            dependencies: [
                .product(name: "KefuCore", package: "Kefu"),
                .product(name: "KefuStore", package: "Kefu"),
                .product(name: "SQLKit", package: "sql-kit"),
            ],
            path: "Support"
        ),
        .executableTarget(
            name: "KefuBenchmarks",
            dependencies: [
                "BenchSupport",
                .product(name: "Benchmark", package: "benchmark"),
                .product(name: "KefuCore", package: "Kefu"),
                .product(name: "KefuStore", package: "Kefu"),
                .product(name: "KefuWeb", package: "Kefu"),
                .product(name: "KefuApp", package: "Kefu"),
                .product(name: "KefuAccounts", package: "Kefu"),
                .product(name: "KefuRisk", package: "Kefu"),
                .product(name: "KefuMail", package: "Kefu"),
                .product(name: "KefuChannels", package: "Kefu"),
                .product(name: "KefuRealtime", package: "Kefu"),
                .product(name: "KefuHelp", package: "Kefu"),
                .product(name: "KefuQuality", package: "Kefu"),
                .product(name: "KefuSafety", package: "Kefu"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdTesting", package: "hummingbird"),
                .product(name: "SQLiteNIO", package: "sqlite-nio"),
                .product(name: "SQLKit", package: "sql-kit"),
                .product(name: "Logging", package: "swift-log"),
            ],
            path: "Benchmarks/KefuBenchmarks",
            plugins: [.plugin(name: "BenchmarkPlugin", package: "benchmark")]
        ),
        // Concurrent writers on the whole cooperative pool (see the file's header for why).
        .executableTarget(
            name: "StoreLoad",
            dependencies: [
                "BenchSupport",
                .product(name: "KefuCore", package: "Kefu"),
                .product(name: "KefuStore", package: "Kefu"),
                .product(name: "SQLKit", package: "sql-kit"),
                .product(name: "Logging", package: "swift-log"),
            ],
            path: "StoreLoad"
        ),
        // Loopback load on a real `kefu` (chat, idle sockets, SMTP) from its own process, built on
        // NIO alone: no Kefu product, so building it never compiles the product's sources.
        .executableTarget(
            name: "LoadGen",
            dependencies: [
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOWebSocket", package: "swift-nio"),
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            path: "LoadGen"
        ),
    ]
)
