import Foundation
import PostgresNIO

/// What an operator reads when a command stops on a database error. postgres-nio hides every
/// detail behind a generic description (so that a careless server cannot show it to end users);
/// a command's standard error goes to the operator, who needs the server's reason to act on it.
/// Only the server's own fields and the driver's error code are shown: never a query's bound
/// values, which can hold tokens and addresses.
public enum DatabaseFailure {
    public static func describe(_ error: any Error) -> String? {
        guard let error = error as? PSQLError else { return nil }
        guard let server = error.serverInfo else {
            let underlying = error.underlying.map { ": \(String(describing: $0))" } ?? ""
            return "PostgreSQL connection failed (\(error.code))\(underlying)"
        }
        let fields: [(String, PSQLError.ServerInfo.Field)] = [
            ("SQLSTATE", .sqlState), ("detail", .detail), ("hint", .hint), ("where", .locationContext),
        ]
        let extras = fields.compactMap { label, field in server[field].map { "\(label) \($0)" } }
        return "PostgreSQL: \(server[.message] ?? "error") (\(extras.joined(separator: "; ")))"
    }
}
