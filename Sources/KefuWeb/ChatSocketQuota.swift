import HummingbirdWebSocket
import KefuCore

/// How both chat sockets (the widget's and the agents' feed) keep to their sockets per session.
extension SocketQuota {
    /// At the handshake: `429 too_many_sockets` when `holder` already has all its sockets open.
    func checkHandshake(_ holder: String) throws {
        guard hasRoom(holder) else { throw APIError.tooManySockets(limit: perHolder) }
    }

    /// Runs an upgraded socket holding one of `holder`'s places (`SocketPump` ends it when the
    /// server shuts down). A handshake that raced past `checkHandshake` finds none left and is
    /// closed (1008).
    func serve(_ holder: String, closing outbound: WebSocketOutboundWriter, _ run: () async throws -> Void) async throws {
        let held = try await holding(holder, run)
        if !held { try await outbound.close(.policyViolation, reason: "too_many_sockets") }
    }
}
