import Foundation
import KefuCore

public protocol AuditRepository: Sendable {
    func appendAudit(_ event: AuditEvent) async throws
    func auditEntries(before id: Int64?, limit: Int) async throws -> [AuditEntry]
}

public protocol SettingsRepository: Sendable {
    func setting(_ key: String) async throws -> String?
    func setSetting(_ key: String, value: String, audit: AuditEvent?) async throws
}
