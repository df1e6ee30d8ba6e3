import Foundation
import HTTPTypes
import HummingbirdTesting
import KefuCore
import Testing

@testable import KefuWeb

@Suite struct ClientAddressTests {
    @Test func theProxysOwnEntryIsTheClient() {
        #expect(ClientAddressMiddleware.appendedByProxy(["203.0.113.9, 198.51.100.7"]) == "198.51.100.7")
        #expect(ClientAddressMiddleware.appendedByProxy(["203.0.113.9", "198.51.100.7 "]) == "198.51.100.7")
        #expect(ClientAddressMiddleware.appendedByProxy(["", " , "]) == nil)
        #expect(ClientAddressMiddleware.appendedByProxy([]) == nil)
        #expect(ClientAddressMiddleware.appendedByProxy([String(repeating: "9", count: 65)]) == nil)
        // Ports and brackets some proxies add are dropped; what is not an IP address is not a
        // client (each new spelling would be a fresh budget): the connection's peer is kept.
        #expect(ClientAddressMiddleware.appendedByProxy(["198.51.100.7:8443"]) == "198.51.100.7")
        #expect(ClientAddressMiddleware.appendedByProxy(["[2001:db8:5:5::9]:8443"]) == "2001:db8:5:5::9")
        #expect(ClientAddressMiddleware.appendedByProxy(["[2001:db8:5:5::9]"]) == "2001:db8:5:5::9")
        #expect(ClientAddressMiddleware.appendedByProxy(["2001:DB8::1"]) == "2001:db8::1")
        for spelling in ["garbage-1", "010.090.000.001", "10.90.1", "0x0a5a0001", "168427521", "10.88.0.1:", "[::1]x", "256.1.1.1", "１.２.３.４"] {
            #expect(ClientAddressMiddleware.appendedByProxy([spelling]) == nil, "\(spelling)")
        }
    }

    /// The address lands in the security history (and the throttles' keys) only when the proxy is trusted.
    @Test(arguments: [true, false])
    func forwardedForCountsOnlyBehindATrustedProxy(_ trusted: Bool) async throws {
        try await TestApp.run(trustProxy: trusted) { client, app in
            _ = try await client.json(.post, "/api/v1/accounts", body: #"{"email":"proxy@example.cn","password":"Behind-a-relay-2026!"}"#)
            let login = try await client.json(
                .post, "/api/v1/accounts/sessions", body: #"{"email":"proxy@example.cn","password":"Behind-a-relay-2026!"}"#,
                headers: [HTTPField.Name("X-Forwarded-For")!: "203.0.113.9, 198.51.100.7"])
            #expect(login.status == .ok)
            let account = try #require(try await app.store.accountCredentials(email: "proxy@example.cn")?.0)
            let event = try #require(try await app.store.accountEvents(accountId: account.id, limit: 1).first)
            #expect(event.kind == .login)
            #expect((event.clientAddress == "198.51.100.7") == trusted)
            #expect(event.clientAddress != "203.0.113.9")
        }
    }
}
