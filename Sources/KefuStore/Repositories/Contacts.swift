import Foundation
import KefuCore

public protocol ContactRepository: Sendable {
    func createContact(name: String?, email: String?, locale: String?) async throws -> Contact
    func contact(id: ContactID) async throws -> Contact?
    func contact(email: String) async throws -> Contact?
    /// Several contacts in one query (for lists), keyed by id; unknown ids are absent.
    func contacts(ids: [ContactID]) async throws -> [ContactID: Contact]
}
