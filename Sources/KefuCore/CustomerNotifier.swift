import Foundation

/// Kefu's own notices to a customer about their account and money (verification links, resets,
/// security alerts, hold outcomes). The email channel implements it; account and risk code
/// depend on this, never on a channel.
public protocol CustomerNotifier: Sendable {
    /// Queues the notice durably; the same `key` queues it once however often it is asked.
    func sendNotice(to address: String, subject: String, text: String, key: String) async throws
}
