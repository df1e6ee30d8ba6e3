import Foundation
import PostgresNIO

/// What an operator reads when a command stops on a database error. postgres-nio hides every
/// detail behind a generic description (so that a careless server cannot show it to end users);
/// a command's standard error goes to the operator, who needs the server's reason to act on it.
/// Only the server's message, SQLSTATE, hint and context and the driver's error code are shown:
/// never a query's bound values, nor the server's detail, which repeats a row's key (a token,
/// an address) when a unique key is violated. Log lines use the same words.
public enum DatabaseFailure {
    public static func describe(_ error: any Error) -> String? {
        guard let error = error as? PSQLError else { return nil }
        guard let server = error.serverInfo else {
            let underlying = error.underlying.map { ": \(String(describing: $0))" } ?? ""
            return "PostgreSQL connection failed (\(error.code))\(underlying)"
        }
        let fields: [(String, PSQLError.ServerInfo.Field)] = [
            ("SQLSTATE", .sqlState), ("hint", .hint), ("where", .locationContext),
        ]
        let extras = fields.compactMap { label, field in server[field].map { "\(label) \($0)" } }
        return "PostgreSQL: \(server[.message] ?? "error") (\(extras.joined(separator: "; ")))"
    }

    /// For a log line's error field: the database's reason when the error is the database's,
    /// else the error's own description.
    public static func logged(_ error: any Error) -> String {
        describe(error) ?? "\(error)"
    }
}
