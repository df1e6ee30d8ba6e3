import Foundation
import KefuCore
import KefuHelp
import KefuStore
import KefuTestSupport
import Testing

/// The verify page's list and log: admins' entries and what Kefu knows by itself, a lookalike
/// flagged, and every check counted per value (parallel checks lose no count).
@Suite struct OfficialChannelsTests {
    @Test(arguments: TestBackend.available)
    func listsChecksAndCountsWhatCustomersAsk(_ backend: TestBackend) async throws {
        try await withTestStore(backend) { store in
            let admin = try await store.createAgent(email: "admin@kefu.example", name: "Admin", role: .admin, passwordHash: "x", mustChangePassword: false, audit: nil)
            _ = try await store.createTelegramInbox(
                name: "Telegram",
                bot: TelegramBotRecord(
                    inboxId: .generate(), botId: 42, username: "KefuSupportBot", tokenSealed: "t", webhookSecretSealed: "s", announceChats: ["@kefu_news=zh-CN", "-100123"]),
                audit: nil)
            let channels = OfficialChannels(store: store, supportAddress: "support@wallet.example.com", publicURL: "https://help.wallet.example.com")
            _ = try await channels.add(kind: .url, value: "https://Wallet.Example.com/", note: "main site", admin: admin.id, source: .system)
            _ = try await channels.add(kind: .x, value: "@KefuWallet", note: nil, admin: admin.id, source: .system)
            await #expect(throws: HelpError.conflict("official_channel")) {
                try await channels.add(kind: .x, value: "https://x.com/kefuwallet", note: nil, admin: admin.id, source: .system)
            }
            await #expect(throws: HelpError.self) { try await channels.add(kind: .email, value: "not an address", note: nil, admin: admin.id, source: .system) }

            let listed = try await channels.list()
            #expect(Set(listed.map { "\($0.channel.kind.rawValue):\($0.channel.value)" }) == [
                "url:wallet.example.com", "x:kefuwallet", "telegram:kefusupportbot", "telegram:kefu_news", "email:support@wallet.example.com",
                "url:help.wallet.example.com",
            ])
            #expect(listed.first { $0.channel.value == "kefusupportbot" }?.source == .telegram)

            #expect(try await channels.verify("https://t.me/KefuSupportBot").status == .official)
            #expect(try await channels.verify("support@wallet.example.com").status == .official)
            let lookalike = try await channels.verify("@KefuSupportBot_admin")
            #expect(lookalike.status == .impersonation)
            #expect(lookalike.matches.first?.official == "kefusupportbot")
            #expect(try await channels.verify("wa11et.example.com").status == .impersonation)
            #expect(try await channels.verify("https://example.org").status == .unknown)
            await #expect(throws: HelpError.self) { try await channels.verify("   ") }
            await #expect(throws: HelpError.self) { try await channels.verify(String(repeating: "a", count: 513)) }

            await withTaskGroup(of: Void.self) { group in
                for _ in 0..<10 { group.addTask { _ = try? await channels.verify("@kefusupportbot1") } }
            }
            let counted = try await channels.checks(status: .impersonation)
            #expect(counted.first?.checks == 10)
            #expect(counted.first?.resembles == "telegram:kefusupportbot")
            #expect(try await channels.checks().count == counted.count + 3)

            // Removing an admin's entry takes it off the list; the automatic ones stay.
            let removable = try #require(listed.first { $0.channel.kind == .x }?.id)
            try await channels.remove(id: removable, source: .system)
            #expect(try await channels.verify("@kefuwallet").matches.allSatisfy { $0.kind != .x })
            await #expect(throws: HelpError.notFound("official_channel")) { try await channels.remove(id: removable, source: .system) }
        }
    }
}
