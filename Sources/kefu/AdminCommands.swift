import ArgumentParser
import Foundation
import KefuAccounts
import KefuCore
import KefuRisk
import KefuStore
import KefuWeb

struct Admin: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Manage agent accounts and service tokens from the command line.",
        subcommands: [Create.self, List.self, Disable.self, ResetPassword.self, ResetTwoFactor.self, Token.self])

    /// Runs `body` with the store and the agent of `email`; a clear error when there is none.
    static func withAgent(email: String, _ body: @Sendable @escaping (SQLStore, Agent) async throws -> Void) async throws {
        let settings = Settings()
        try await Runtime.withStore(settings, logger: Runtime.logger(settings)) { store in
            guard let (agent, _) = try await store.credentials(email: email) else { throw ValidationError("no agent \(email)") }
            try await body(store, agent)
        }
    }

    struct Create: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Create an agent. The password is read from standard input when one is piped in; otherwise a one-time password is printed.",
            discussion: Settings.help)

        @Option(help: "The agent's email address.") var email: String
        @Option(help: "The agent's display name.") var name: String
        @Option(help: "admin, supervisor or agent.") var role: String = "admin"

        func run() async throws {
            guard let role = AgentRole(rawValue: role) else { throw ValidationError("--role must be admin, supervisor or agent") }
            let settings = Settings()
            let logger = Runtime.logger(settings)
            let piped = isatty(STDIN_FILENO) == 0 ? Self.readStandardInput() : nil
            let (email, name) = (self.email, self.name)
            let (agent, password) = try await Runtime.withStore(settings, logger: logger) { store in
                do {
                    return try await AgentInvitation(store: store, hasher: PasswordHasher(cost: 12)).invite(
                        email: email, name: name, role: role, password: piped,
                        audit: AuditEvent(actor: .system, action: "agent.created.cli", subjectKind: "agent", detail: ["email": email]))
                } catch AccountError.conflict("agent") {
                    throw ValidationError("an agent with this email exists")
                }
            }
            say("Created \(agent.role.rawValue) \(agent.email) (\(agent.id)).")
            if piped == nil { say("One-time password: \(password)") }
        }

        static func readStandardInput() -> String? {
            let data = FileHandle.standardInput.readDataToEndOfFile()
            let text = String(decoding: data, as: UTF8.self).trimmingCharacters(in: .newlines)
            return text.isEmpty ? nil : text
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List agents.", discussion: Settings.help)

        func run() async throws {
            let settings = Settings()
            let agents = try await Runtime.withStore(settings, logger: Runtime.logger(settings)) { try await $0.listAgents() }
            for agent in agents {
                say("\(agent.id)  \(agent.role.rawValue)\t\(agent.status.rawValue)\t2fa:\(agent.totpEnabled ? "on" : "off")\t\(agent.email)\t\(agent.name)")
            }
        }
    }

    struct Disable: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Disable an agent and end their sessions.", discussion: Settings.help)

        @Option(help: "The agent's email address.") var email: String

        func run() async throws {
            try await Admin.withAgent(email: email) { store, agent in
                _ = try await store.updateAgent(
                    id: agent.id, status: .disabled, role: nil, chatCapacity: nil,
                    audit: AuditEvent(actor: .system, action: "agent.disabled.cli", subjectKind: "agent", subjectId: agent.id.rawValue))
            }
            say("Disabled \(email).")
        }
    }

    struct ResetPassword: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "reset-password",
            abstract: "Give an agent a new one-time password (printed); their sessions end and they choose their own at sign-in.",
            discussion: Settings.help)

        @Option(help: "The agent's email address.") var email: String

        func run() async throws {
            try await Admin.withAgent(email: email) { store, agent in
                let password = try await AgentPasswordReset(store: store, hasher: PasswordHasher(cost: 12)).reset(
                    agent, audit: AuditEvent(actor: .system, action: "agent.password.reset.cli", subjectKind: "agent", subjectId: agent.id.rawValue))
                say("One-time password for \(agent.email): \(password)")
            }
        }
    }

    struct ResetTwoFactor: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "reset-2fa",
            abstract: "Turn off an agent's 2FA when they lost their authenticator (operator recovery).", discussion: Settings.help)

        @Option(help: "The agent's email address.") var email: String

        func run() async throws {
            try await Admin.withAgent(email: email) { store, agent in
                try await store.setTOTP(
                    id: agent.id, sealedSecret: nil, enabled: false,
                    audit: AuditEvent(actor: .system, action: "agent.2fa.reset.cli", subjectKind: "agent", subjectId: agent.id.rawValue))
                try await store.revokeAllSessions(agentId: agent.id)
            }
            say("Two-factor authentication is off for \(email); their sessions were ended.")
        }
    }

    struct Token: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Create a service token (e.g. for the wallet's backend to ask for authorizations) and print it, once.",
            discussion: Settings.help)

        @Option(
            help: "What the token may do: risk (POST /api/v1/accounts/{id}/authorizations and voids) or channel (the API channel: /api/v1/channels/{inboxId}/…)."
        ) var scope: String
        @Option(help: "Who uses it, for the audit log.") var name: String = "wallet backend"
        @Option(help: "With --scope channel: the one API inbox the token may use (else every API inbox).") var inbox: String?

        func run() async throws {
            let settings = Settings()
            let (scope, name) = (self.scope, self.name)
            guard ServiceTokens.scopes.contains(scope) else {
                throw ValidationError("--scope must be one of: \(ServiceTokens.scopes.joined(separator: ", "))")
            }
            var chosen: InboxID?
            if let inbox {
                guard scope == "channel", let id = InboxID(validating: inbox) else {
                    throw ValidationError("--inbox takes an API inbox's id, with --scope channel")
                }
                chosen = id
            }
            let bound = chosen
            let secret = try await Runtime.withStore(settings, logger: Runtime.logger(settings)) { store in
                if let bound {
                    guard let found = try await store.inbox(id: bound), found.kind == .api else {
                        throw ValidationError("no API inbox has the id \(bound)")
                    }
                }
                return try await ServiceTokens.issue(name: name, scope: scope, inbox: bound, store: store).1
            }
            // The token alone on standard output, so scripts can capture it.
            print(secret)
        }
    }
}
