// Concurrent writers against Kefu's store, outside the benchmark harness: the harness blocks
// one of the two cooperative threads while it waits for an async benchmark, so callers there
// never overlap and group commit never forms a group. Here they run on the whole pool.
//
//   swift build -c release --package-path Benchmarks --product StoreLoad
//   Benchmarks/.build/release/StoreLoad [--writes N] [--only appends|decisions] [--past-per-account 100]
//       [--checkpoint-pages 1000,4000] [--postgres URL]
//
// Each case runs the same number of writes with 1 and with 64 callers; the baseline is a raw
// INSERT through the same database in the same run (SQLite: one write transaction through
// Kefu's writer; PostgreSQL: one autocommitted INSERT through the same pool). Every acknowledged
// write is counted in the database afterwards, and the run stops if one is missing.
import BenchSupport
import Foundation
import KefuCore
import KefuStore
import Logging
import SQLKit

let arguments = CommandLine.arguments
func option(_ name: String) -> String? { arguments.firstIndex(of: name).map { arguments[$0 + 1] } }
let writes = option("--writes").flatMap(Int.init) ?? 20_000
let only = option("--only")
let postgresURL = option("--postgres")
var logger = Logger(label: "store-load")
logger.logLevel = .error

let target: LoadTarget = postgresURL.map { .postgres(url: $0) } ?? .sqlite(checkpointPages: SQLiteStoreDatabase.defaultCheckpointPages)
print("database: \(target)")
if only == nil || only == "decisions" {
    try await decisionCases(on: target, total: writes, perAccount: option("--past-per-account").flatMap(Int.init) ?? 100, logger: logger)
}
if only == nil || only == "appends" {
    var targets = [target]
    if postgresURL == nil, let pages = option("--checkpoint-pages") {
        targets = pages.split(separator: ",").compactMap { Int($0) }.map { .sqlite(checkpointPages: $0) }
    }
    for target in targets { try await appendCases(on: target, total: writes, logger: logger) }
}
