import Logging
import Synchronization

/// Keeps every log line, with its metadata, for tests of what is logged.
public final class LogRecorder: LogHandler, @unchecked Sendable {
    public let lines = Mutex<[String]>([])
    public var metadata: Logger.Metadata = [:]
    public var logLevel: Logger.Level = .trace

    public init() {}

    public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    public func log(
        level: Logger.Level, message: Logger.Message, metadata: Logger.Metadata?, source: String, file: String, function: String, line: UInt
    ) {
        let fields = (metadata ?? [:]).sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: " ")
        lines.withLock { $0.append("\(level) \(message) \(fields)") }
    }

    /// A logger that writes here.
    public func logger(_ label: String) -> Logger { Logger(label: label) { _ in self } }
}
