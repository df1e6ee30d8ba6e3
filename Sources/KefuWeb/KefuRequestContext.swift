import Foundation
import Hummingbird
import HummingbirdWebSocket
import KefuAccounts
import KefuCore
import KefuStore
import NIOCore

/// The request context of every route: the client address and, after authentication, the
/// agent or the chat widget's visitor. WebSocket upgrades use the same router and context.
public struct KefuRequestContext: RequestContext, WebSocketRequestContext {
    public var coreContext: CoreRequestContextStorage
    public let webSocket: WebSocketHandlerReference<Self>
    public var peerAddress: String?
    public var identity: AgentIdentity?
    /// A machine caller (the wallet's backend) with a service token (`kfs_…`).
    public var service: ServiceToken?
    public var widgetSession: WidgetSession?
    /// The connection, for the one thing a handler cannot say with a response: a refused
    /// WebSocket handshake's answer (WebSocketRefusalMiddleware).
    let connection: any Channel

    public init(source: ApplicationRequestContextSource) {
        self.coreContext = .init(source: source)
        self.webSocket = .init()
        self.peerAddress = source.channel.remoteAddress?.ipAddress
        self.connection = source.channel
    }

    /// Bodies are read by `JSONBody` with their own limit; this is the hard ceiling.
    public var maxUploadSize: Int { 10 << 20 }
}

/// A request context that can only exist with an authenticated agent, so a handler of an
/// authenticated route cannot run without one.
public struct AuthenticatedContext: ChildRequestContext {
    public var coreContext: CoreRequestContextStorage
    public let identity: AgentIdentity
    public let peerAddress: String?

    public init(context: KefuRequestContext) throws {
        guard let identity = context.identity else { throw APIError.unauthenticated }
        self.coreContext = context.coreContext
        self.identity = identity
        self.peerAddress = context.peerAddress
    }

    public var agent: Agent { identity.agent }

    /// Throws 403 unless the agent's role is at least `role`.
    public func require(_ role: AgentRole) throws {
        guard agent.role >= role else { throw APIError.forbidden }
    }

    /// This agent, from this address, as services take the actor.
    public var source: ActionSource { .agent(agent.id, from: peerAddress) }

    public func audit(_ action: String, subjectKind: String, subjectId: String? = nil, detail: [String: String] = [:]) -> AuditEvent {
        AuditEvent(
            actor: .agent(agent.id), action: action, subjectKind: subjectKind, subjectId: subjectId, detail: detail,
            clientAddress: peerAddress)
    }
}
