import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// How many connections the listeners may keep: the process's descriptor limit (raised to its
/// hard limit at start, as servers do) less a reserve for the database, attachment files, logs
/// and outgoing connections. A cap at or above the limit would let a connection flood make
/// `accept` fail, which stops the listener answering anyone.
struct DescriptorBudget {
    /// Descriptors kept for everything that is not a client connection.
    static let reserve = 256

    let limit: Int

    /// Raises the soft limit to the hard one and reads it back.
    static func raised() -> DescriptorBudget {
        var limits = rlimit()
        guard getrlimit(Int32(RLIMIT_NOFILE.rawValue), &limits) == 0 else { return DescriptorBudget(limit: 1024) }
        if limits.rlim_cur < limits.rlim_max {
            var raised = limits
            raised.rlim_cur = min(limits.rlim_max, 1 << 20)
            if setrlimit(Int32(RLIMIT_NOFILE.rawValue), &raised) == 0 { limits = raised }
        }
        return DescriptorBudget(limit: Int(min(limits.rlim_cur, 1 << 20)))
    }

    /// Descriptors the listeners may use between them.
    var forConnections: Int { max(0, limit - Self.reserve) }

    /// SMTP gets a tenth (at most 1,000: mail servers open few connections), HTTP the rest.
    var defaultSMTP: Int { min(1000, forConnections / 10) }
    var defaultHTTP: Int { forConnections - defaultSMTP }
}
