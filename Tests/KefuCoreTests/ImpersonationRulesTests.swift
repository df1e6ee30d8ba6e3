import Foundation
import Testing

@testable import KefuCore

/// The help-center check: is what a customer pasted one of the operator's channels, a lookalike
/// of one, or neither? Cyrillic and Greek letters are written as escapes so the test says which.
@Suite struct ImpersonationRulesTests {
    static let officials = [
        OfficialChannel(kind: .url, value: "wallet.example.com"),
        OfficialChannel(kind: .email, value: "support@wallet.example.com"),
        OfficialChannel(kind: .telegram, value: "kefusupportbot"),
        OfficialChannel(kind: .telegram, value: "kefu_announcements"),
        OfficialChannel(kind: .x, value: "kefuwallet"),
        OfficialChannel(kind: .phone, value: "+8613800138000"),
    ]

    func verify(_ text: String, _ officials: [OfficialChannel] = Self.officials) -> Verification {
        ImpersonationRules.verify(PastedValue(text), against: officials)
    }

    func match(_ kind: OfficialChannelKind, _ official: String, _ reason: VerificationMatch.Reason) -> VerificationMatch {
        VerificationMatch(kind: kind, official: official, reason: reason)
    }

    // MARK: Official

    @Test(arguments: [
        "https://wallet.example.com/login", "WALLET.example.com", "help.wallet.example.com", "support@wallet.example.com",
        "noreply@wallet.example.com", "@KefuSupportBot", "https://t.me/kefusupportbot", "t.me/kefu_announcements",
        "https://x.com/KefuWallet", "twitter.com/kefuwallet", "+86 138 0013 8000",
    ])
    func theOperatorsOwnChannelsAreOfficial(_ text: String) {
        let result = verify(text)
        #expect(result.status == .official, "\(text): \(result.matches)")
        #expect(result.matches.first?.reason.isOfficial == true, "\(text)")
    }

    /// Kefu's own reply addresses (`support+c-…@`) are the support mailbox with a tag: official.
    @Test func aTagOnAnOfficialMailboxIsOfficial() {
        let only = [OfficialChannel(kind: .email, value: "support@kefu.example")]
        #expect(verify("support+c-tuivjoqkkrgq@kefu.example", only).status == .official)
        #expect(verify("support+c-x@kefu-example.com", only).status != .official)
        #expect(verify("supp0rt+c-x@kefu.example", only).status != .official)
        #expect(verify("support+c-x@evil.example", only).status != .official)
    }

    @Test func officialMatchesSayWhichEntryAndWhy() {
        #expect(verify("https://wallet.example.com/login").matches == [match(.url, "wallet.example.com", .exact)])
        #expect(verify("help.wallet.example.com").matches == [match(.url, "wallet.example.com", .subdomain)])
        #expect(verify("noreply@wallet.example.com").matches == [match(.url, "wallet.example.com", .officialDomain)])
        // The official address itself is exact, and also at the official site's domain: exact first.
        #expect(
            verify("support@wallet.example.com").matches == [
                match(.email, "support@wallet.example.com", .exact), match(.url, "wallet.example.com", .officialDomain),
            ])
        #expect(verify("@KefuSupportBot").matches == [match(.telegram, "kefusupportbot", .exact)])
        #expect(verify("+86 138-0013-8000").matches == [match(.phone, "+8613800138000", .exact)])
    }

    @Test func formsPeopleCopyAreReadToo() {
        for text in [
            "https://t.me/s/kefu_announcements", "tg://resolve?domain=kefusupportbot", "kefusupportbot.t.me", "KefuSupportBot",
            "https://x.com/KefuWallet/media", "www.wallet.example.com", "https://wallet.example.com:443/x?y#z",
            "<https://wallet.example.com>", "wallet.example.com.", "mailto:support@wallet.example.com?subject=hi",
            "Kefu Support <support@wallet.example.com>", "tel:+8613800138000", "008613800138000", "8613800138000",
            // Full-width, as a Chinese IME types it: the apps and browsers read it as ASCII.
            "\u{FF20}\u{FF2B}\u{FF45}\u{FF46}\u{FF55}\u{FF33}\u{FF55}\u{FF50}\u{FF50}\u{FF4F}\u{FF52}\u{FF54}\u{FF22}\u{FF4F}\u{FF54}",
            "wallet\u{3002}example\u{3002}com",
        ] {
            #expect(verify(text).status == .official, "\(text)")
        }
    }

    /// A name can be official on one network and a lookalike on another: both are reported.
    @Test func officialWinsButOtherReadingsStillWarn() {
        let officials = Self.officials + [OfficialChannel(kind: .telegram, value: "kefuwallet_bot")]
        let result = verify("@kefuwallet", officials)
        #expect(result.status == .official)
        #expect(result.matches == [match(.x, "kefuwallet", .exact), match(.telegram, "kefuwallet_bot", .decoratedHandle)])
        #expect(result.checked == [OfficialChannel(kind: .telegram, value: "kefuwallet"), OfficialChannel(kind: .x, value: "kefuwallet")])
    }

    /// A value that is official is not also reported as resembling another entry.
    @Test func anOfficialReadingIsNotAlsoALookalike() {
        let sites = [OfficialChannel(kind: .url, value: "wallet.example.com"), OfficialChannel(kind: .url, value: "wallet.example.net")]
        #expect(verify("wallet.example.com", sites).matches == [match(.url, "wallet.example.com", .exact)])
        #expect(verify("wallet.example.org", sites).matches == [match(.url, "wallet.example.com", .similar), match(.url, "wallet.example.net", .similar)])
    }

    /// Most specific first, whatever order the list is in.
    @Test func matchesAreListedMostSpecificFirst() {
        let officials = [OfficialChannel(kind: .telegram, value: "kefuwallett"), OfficialChannel(kind: .x, value: "kefuwallet")]
        #expect(
            verify("@kefuwallet_support", officials).matches == [
                match(.x, "kefuwallet", .decoratedHandle), match(.telegram, "kefuwallett", .similar),
            ])
    }

    // MARK: Impersonation

    @Test(arguments: [
        ("w\u{0430}llet.example.com", OfficialChannelKind.url, "wallet.example.com", VerificationMatch.Reason.homoglyph),
        ("wa11et.example.com", .url, "wallet.example.com", .homoglyph),
        ("support-wallet.example.com", .url, "wallet.example.com", .extraLabel),
        ("wallet.example.com.evil.io", .url, "wallet.example.com", .extraLabel),
        ("wallet-example.com", .url, "wallet.example.com", .extraLabel),
        ("walet.example.com", .url, "wallet.example.com", .similar),
        ("support@wallet-example.com", .url, "wallet.example.com", .extraLabel),
        ("@KefuSupportBot1", .telegram, "kefusupportbot", .decoratedHandle),
        ("@kefusupportbot_admin", .telegram, "kefusupportbot", .decoratedHandle),
        ("@kefusupp0rtbot", .telegram, "kefusupportbot", .homoglyph),
        ("t.me/kefusuportbot", .telegram, "kefusupportbot", .similar),
        ("@official_kefuwallet", .x, "kefuwallet", .decoratedHandle),
        ("x.com/kefuwallet_support", .x, "kefuwallet", .decoratedHandle),
        ("+86 138 0013 8001", .phone, "+8613800138000", .similar),
    ])
    func lookalikesAreImpersonations(_ text: String, _ kind: OfficialChannelKind, _ official: String, _ reason: VerificationMatch.Reason) {
        let result = verify(text)
        #expect(result.status == .impersonation, "\(text)")
        #expect(result.matches.first == match(kind, official, reason), "\(text): \(result.matches)")
    }

    @Test func anAddressIsComparedWithSitesAndAddressesButNotByItsLocalPart() {
        #expect(
            verify("support@wallet-example.com").matches == [
                match(.url, "wallet.example.com", .extraLabel), match(.email, "support@wallet.example.com", .extraLabel),
            ])
        // An address at the domain of an official free-mail address is anyone's.
        let gmail = [OfficialChannel(kind: .email, value: "kefu.support@gmail.com")]
        #expect(verify("someone@gmail.com", gmail).status == .unknown)
        #expect(verify("kefu.support@gmail.com", gmail).status == .official)
        #expect(verify("kefu.supp0rt@gmail.com", gmail).matches == [match(.email, "kefu.support@gmail.com", .homoglyph)])
        #expect(verify("kefu.support@gmai1.com", gmail).matches == [match(.email, "kefu.support@gmail.com", .homoglyph)])
        #expect(verify("anyone@gmial.com", gmail).matches == [match(.email, "kefu.support@gmail.com", .similar)])
    }

    @Test func hostLookalikesBeyondTheListedOnes() {
        #expect(verify("wallet.example.net").matches == [match(.url, "wallet.example.com", .similar)])  // another TLD
        #expect(verify("wallet-example-help.net").matches == [match(.url, "wallet.example.com", .extraLabel)])
        #expect(verify("help.w\u{0430}llet.example.com").matches == [match(.url, "wallet.example.com", .homoglyph)])
        #expect(verify("wallet.exarnple.com").matches == [match(.url, "wallet.example.com", .homoglyph)])  // rn → m
        #expect(verify("xn--wllet-4ve.example.com").matches == [match(.url, "wallet.example.com", .homoglyph)])  // punycode
        // Mixed scripts say more than "similar" or "extra label" when the name is not a perfect copy.
        #expect(verify("support-w\u{0430}llet.example.com").matches == [match(.url, "wallet.example.com", .mixedScript)])
        #expect(verify("w\u{0430}let.example.com").matches == [match(.url, "wallet.example.com", .mixedScript)])
        #expect(verify("@kefuw\u{0430}let").matches == [match(.x, "kefuwallet", .mixedScript)])
        // Swapped neighbours are one edit.
        #expect(verify("@kefusupprotbot").matches == [match(.telegram, "kefusupportbot", .similar)])
        #expect(verify("@kefu_announcement").matches == [match(.telegram, "kefu_announcements", .similar)])
        #expect(verify("@kef\u{00FC}_help").matches.first == match(.telegram, "kefusupportbot", .homoglyph))
    }

    /// The userinfo trick sends the browser to evil.io: never official.
    @Test func userinfoIsNotTheHost() {
        let result = verify("https://wallet.example.com@evil.io/login")
        #expect(result.checked == [OfficialChannel(kind: .url, value: "evil.io")])
        #expect(result.status == .unknown)
    }

    // MARK: Where a browser or the app really goes

    /// A full-width separator is no URL separator: the browser keeps it in the authority, where
    /// "@" then makes what follows the host.
    @Test(arguments: ["\u{FF0F}", "\u{FF03}", "\u{FF1F}", "\u{FF3C}", "\u{FE56}", "\u{FE5F}"])
    func compatibilitySeparatorsDoNotEndTheAuthority(_ separator: String) {
        let kefu = [OfficialChannel(kind: .url, value: "kefu.example")]
        let result = verify("https://kefu.example\(separator)@evil.io", kefu)
        #expect(result.status == .unknown, "\(result.matches)")
        #expect(result.checked == [OfficialChannel(kind: .url, value: "evil.io")])
        #expect(verify("https://wallet.example.com\(separator)@evil.io/login").status == .unknown)
        #expect(verify("https://t.me\(separator)@evil.io").status == .unknown)
    }

    /// The authority ends at an ASCII code point, whatever combines with it on screen.
    @Test func separatorsAreReadAsCodePoints() {
        let result = verify("https://evil.io/\u{0301}@wallet.example.com")
        #expect(result.status == .unknown)
        #expect(result.checked == [OfficialChannel(kind: .url, value: "evil.io")])
        #expect(verify("https:wallet.example.com@evil.io").status == .unknown)  // a browser needs no slashes
        #expect(verify("https:\\\\wallet.example.com").status == .official)
        #expect(verify("wallet.example.com/go?to=https://evil.io").status == .official)
    }

    /// A host a browser refuses is no url reading: a lookalike at most, never official.
    @Test func aHostHoldingOtherCharactersIsNeverOfficial() {
        #expect(PastedValue("https://wallet.example.com\u{FF03}evil").candidates == [])
        #expect(verify("https://wallet.example.com\u{FF03}evil").matches == [match(.url, "wallet.example.com", .extraLabel)])
        #expect(verify("https://wallet.example.com%2Fevil").matches == [match(.url, "wallet.example.com", .extraLabel)])
        #expect(verify("https://wallet_example.com").matches == [match(.url, "wallet.example.com", .homoglyph)])
        #expect(verify("https://evil.io\u{FF0F}x").status == .unknown)
        #expect(OfficialChannel.canonical(kind: .url, "https://wallet.example.com\u{FF0F}x") == nil)
    }

    @Test(arguments: [
        "https://t.me/kefusupportbot/../joinchat/AAAAAEvilGroup", "https://t.me/kefusupportbot/%2e%2e/+AbCdEvil",
        "https://t.me/kefusupportbot/%2E./scammer", "https://t.me/kefusupportbot/.%2E/addstickers/Evil",
        "https://t.me/kefusupportbot\\..\\scammer", "https://t.me/s/kefusupportbot/../../joinchat/x",
        "https://x.com/kefuwallet/../scammer", "https://x.com/kefuwallet/./%2e%2e/scammer",
        "https://t.me/kefusupportbot/joinchat/AAAAAEvilGroup", "t.me/kefusupportbot/addstickers", "kefusupportbot.t.me/joinchat/x",
    ])
    func aLinkIsReadAfterItsDotSegmentsAndOnlyWhenItIsTheAccount(_ text: String) {
        let result = verify(text)
        #expect(result.status == .unknown, "\(text): \(result.matches)")
        #expect(!result.checked.contains { $0.value == "kefusupportbot" || $0.value == "kefuwallet" }, "\(text)")
    }

    @Test func anAccountsOwnPagesAreStillItsLink() {
        for text in [
            "https://t.me/kefusupportbot/", "https://t.me/kefu_announcements/123", "https://t.me/s/kefu_announcements/45",
            "https://t.me/scammer/../kefusupportbot", "https://t.me/kefusupportbot/./?start=abc", "https://x.com/kefuwallet/media",
            "tg://resolve?domain=kefusupportbot&start=abc", "tg://resolve?post=12&domain=kefu_announcements",
        ] {
            #expect(verify(text).status == .official, "\(text)")
        }
        // A lookalike name is still one, whatever follows it.
        #expect(verify("https://t.me/kefusupp0rtbot/joinchat/x").matches == [match(.telegram, "kefusupportbot", .homoglyph)])
    }

    @Test(arguments: [
        "tg://join?invite=AbCdEvil&domain=kefusupportbot", "tg://msg_url?url=https://evil.io&domain=kefusupportbot",
        "tg://addstickers?set=Evil&domain=kefusupportbot", "tg://resolve?domain=kefusupportbot&domain=scammer",
        "tg://resolve?phone=8613900000000&domain=kefusupportbot", "tg://resolve",
    ])
    func onlyATelegramResolveLinkNamesAnAccount(_ text: String) {
        #expect(PastedValue(text).candidates == [], "\(text)")
        #expect(verify(text).status == .unknown, "\(text)")
    }

    /// A post link shows whichever post its id names, whatever the name before it.
    @Test func anXPostLinkIsNotTheAccount() {
        for text in [
            "https://x.com/kefuwallet/status/1", "https://twitter.com/KefuWallet/status/1234567890",
            "https://mobile.twitter.com/kefuwallet/status/1/photo/1",
        ] {
            #expect(PastedValue(text).candidates == [], "\(text)")
            #expect(verify(text).status == .unknown, "\(text)")
        }
        #expect(verify("https://x.com/kefuwa11et/status/1").matches == [match(.x, "kefuwallet", .homoglyph)])
        #expect(OfficialChannel.canonical(kind: .x, "https://x.com/kefuwallet/status/1") == nil)
    }

    // MARK: Lookalikes found late

    @Test func smallCapitalsAndModifierLettersAreLookalikes() {
        #expect(verify("@\u{1D0B}\u{1D07}\u{A730}usupportbot").matches.first == match(.telegram, "kefusupportbot", .homoglyph))
        #expect(verify("@\u{1D4F}efusupportbot").matches.first == match(.telegram, "kefusupportbot", .homoglyph))  // superscript k
        #expect(verify("@\u{1D4F}efusupportbot").status == .impersonation)
        #expect(Homoglyphs.skeleton("\u{0299}\u{1D00}\u{0262}\u{029C}\u{026A}\u{1D0A}\u{029F}\u{1D0D}\u{0274}") == "baghljlmn")
        let capitals = "\u{1D18}\u{0280}\u{A731}\u{1D1B}\u{1D1C}\u{1D20}\u{1D21}\u{028F}\u{1D22}\u{1D04}\u{1D05}"
        #expect(Homoglyphs.skeleton(capitals) == "prstuvwyzcd")
        #expect(Homoglyphs.skeleton("\u{1DA0}\u{1DB0}\u{02B7}") == "fnw")  // modifier letters
        #expect(!Homoglyphs.mixesScripts("\u{1D0B}\u{1D07}\u{A730}u"))
        // A host a browser maps to the official one is the official one.
        #expect(verify("https://\u{1D42}allet.example.com").status == .official)
    }

    @Test func officialHostsGluedTogetherAreLookalikes() {
        let kefu = [OfficialChannel(kind: .url, value: "kefu.example")]
        #expect(verify("https://wwwkefu.example", kefu).matches == [match(.url, "kefu.example", .extraLabel)])
        #expect(verify("https://kefuexample.com", kefu).matches == [match(.url, "kefu.example", .extraLabel)])
        #expect(verify("wwwwallet.example.com").matches == [match(.url, "wallet.example.com", .extraLabel)])
        #expect(verify("walletexample.com").matches == [match(.url, "wallet.example.com", .extraLabel)])
        #expect(verify("walletexamplecom.evil.io").matches == [match(.url, "wallet.example.com", .extraLabel)])
        #expect(verify("support@walletexample.com").matches.first == match(.url, "wallet.example.com", .extraLabel))
        #expect(verify("www.kefu.example", kefu).status == .official)
        #expect(verify("wwwexample.com", kefu).status == .unknown)
    }

    /// A zero-width character is dropped and the rest judged, but it never passes as official.
    @Test(arguments: ["\u{200B}", "\u{200C}", "\u{200D}", "\u{00AD}"])
    func zeroWidthCharactersAreDroppedButNeverOfficial(_ invisible: String) {
        let handle = verify("kefu\(invisible)supportbot")
        #expect(handle.status == .impersonation)
        #expect(handle.matches == [match(.telegram, "kefusupportbot", .homoglyph)])
        #expect(verify("https://wallet.example.com\(invisible)/login").matches == [match(.url, "wallet.example.com", .homoglyph)])
        #expect(verify("kefu\(invisible)@wallet.example.com").matches.first == match(.url, "wallet.example.com", .homoglyph))
        #expect(verify("@kefusupp\(invisible)0rtbot").matches == [match(.telegram, "kefusupportbot", .homoglyph)])
        #expect(verify("https://wallet.example.com\(invisible)@evil.io").status == .unknown)
        #expect(verify("@some\(invisible)oneelse").status == .unknown)
        #expect(OfficialChannel.canonical(kind: .telegram, "kefu\(invisible)supportbot") == nil)
    }

    @Test func longHostileInputsStayFast() {
        let inputs = [
            "https://" + String(repeating: "a.", count: 120) + "example.com",
            "https://x.com/" + String(repeating: "../", count: 160),
            "https://t.me/" + String(repeating: "%2e%2e/", count: 70),
            "https://" + String(repeating: "\u{FF0F}", count: 500),
            "tg://resolve?" + String(repeating: "domain=a&", count: 55),
            String(repeating: "\u{200B}k", count: 250),
            "https://" + String(repeating: "wallet", count: 40) + ".com",
        ]
        let clock = ContinuousClock()
        let elapsed = clock.measure {
            for _ in 0..<20 { for text in inputs { _ = verify(text) } }
        }
        #expect(elapsed < .seconds(2), "\(elapsed)")  // a loose bound: a few ms each even in a debug build
    }

    // MARK: Unknown

    @Test(arguments: ["https://www.google.com", "@someoneelse", "hello@gmail.com", "+1 202 555 0100", "", "!!!", String(repeating: "a", count: 600)])
    func unrelatedValuesAreUnknown(_ text: String) {
        let result = verify(text)
        #expect(result.status == .unknown, "\(text.prefix(40))")
        #expect(result.matches.isEmpty)
    }

    @Test func neighboursTheOperatorProbablyRunsAreNotJudged() {
        #expect(verify("example.com").status == .unknown)  // the parent of the official host
        #expect(verify("someone@example.com").status == .unknown)
        // Even when the parent is a small edit from the official host's distinctive part.
        let deep = [OfficialChannel(kind: .url, value: "a.kefuwallet.com")]
        #expect(verify("kefuwallet.com", deep).status == .unknown)
        #expect(verify("a.kefuwalet.com", deep).status == .impersonation)
        let app = [OfficialChannel(kind: .url, value: "app.kefu.io")]
        #expect(verify("api.kefu.io", app).status == .unknown)
        #expect(verify("kefu.io", app).status == .unknown)
        #expect(verify("app.kefu.io.evil.com", app).matches == [match(.url, "app.kefu.io", .extraLabel)])
        #expect(verify("kefu.com", app).matches == [match(.url, "app.kefu.io", .similar)])
        #expect(verify("kefa.io", app).matches == [match(.url, "app.kefu.io", .similar)])
        // Shared hosting is not the operator's: another name there is a lookalike.
        let pages = [OfficialChannel(kind: .url, value: "kefu.github.io")]
        #expect(verify("kefuu.github.io", pages).status == .impersonation)
        #expect(verify("octocat.github.io", pages).status == .unknown)
    }

    @Test func shortNamesMatchOnlyExactlyOrByLook() {
        let short = [OfficialChannel(kind: .x, value: "kfw"), OfficialChannel(kind: .url, value: "kw.io")]
        #expect(verify("@kfw", short).status == .official)
        #expect(verify("@kfx", short).status == .unknown)
        #expect(verify("@kfw_support", short).status == .unknown)
        #expect(verify("@kf\u{03C9}", short).matches == [match(.x, "kfw", .homoglyph)])  // Greek ω
        #expect(verify("kv.io", short).status == .unknown)
        #expect(verify("k\u{03C9}.io", short).matches == [match(.url, "kw.io", .homoglyph)])
        // A longer official whose core is short after stripping is short too.
        let bot = [OfficialChannel(kind: .telegram, value: "kfwbot")]
        #expect(verify("@kfw_help", bot).status == .unknown)
        #expect(verify("@kfwbot", bot).status == .official)
    }

    @Test func phonesMatchExactlyOrByOneDigit() {
        #expect(verify("+86 138 0013 8011").status == .unknown)  // two digits
        #expect(verify("+86 138 0013 80000").status == .unknown)  // another length
        #expect(verify("138 0013 8000").status == .unknown)  // no country code: read as +138…
    }

    @Test func hostileInputGivesNothingToCheck() {
        for text in [
            String(repeating: "a", count: 513), "wallet.example.com\u{0}", "wallet\u{202E}moc.elpmaxe",
            "wallet .example.com", "@", "@___", "http://", "https://t.me/+AbCdEf", "t.me/joinchat/AbC", "x.com/home", "ftp://wallet.example.com",
            "1.2.3.4", "a@b", "a@@b.c", "@kefu\nbot", "kefu\u{200E}supportbot", "kefu\u{2066}supportbot",
        ] {
            #expect(PastedValue(text).candidates == [], "\(text.prefix(40))")
            #expect(verify(text).status == .unknown)
        }
        let longest = "https://wallet.example.com/" + String(repeating: "a", count: 512 - 27)
        #expect(verify(longest).status == .official)
        #expect(PastedValue(longest + "a").candidates == [])
        // Long labels are cut for distance, so this stays fast and still finds nothing.
        let long = String(repeating: "kefu", count: 60) + ".com"
        #expect(verify(long).status == .unknown)
    }

    @Test func readingsOfAPastedValue() {
        let both = [OfficialChannel(kind: .telegram, value: "kefu"), OfficialChannel(kind: .x, value: "kefu")]
        #expect(PastedValue("@Kefu").candidates == both)
        #expect(PastedValue("t.me/x").candidates == [OfficialChannel(kind: .telegram, value: "x")])
        #expect(PastedValue("https://x.com/y").candidates == [OfficialChannel(kind: .x, value: "y")])
        #expect(PastedValue("A@B.co").candidates == [OfficialChannel(kind: .email, value: "a@b.co")])
        #expect(PastedValue("Wallet.Example.com/path").candidates == [OfficialChannel(kind: .url, value: "wallet.example.com")])
        #expect(PastedValue("http://10.0.0.1/").candidates == [OfficialChannel(kind: .url, value: "10.0.0.1")])
        #expect(PastedValue("+1 555 0100").candidates == [OfficialChannel(kind: .phone, value: "+15550100")])
        #expect(PastedValue("  \"wallet.example.com\",  ").candidates == [OfficialChannel(kind: .url, value: "wallet.example.com")])
    }

    // MARK: canonical()

    @Test func canonicalForEachKind() {
        let cases: [(OfficialChannelKind, String, String?)] = [
            (.url, "https://Wallet.Example.com/path", "wallet.example.com"),
            (.url, "www.wallet.example.com", "wallet.example.com"),
            (.url, "http://xn--wllet-4ve.example.com", "w\u{0430}llet.example.com"),
            (.url, "W\u{0410}LLET.example.com", "w\u{0430}llet.example.com"),
            (.url, "wallet", nil), (.url, "not a url", nil), (.url, "a@b.com", nil), (.url, "ftp://a.com", nil), (.url, "", nil),
            (.email, "Support@Wallet.Example.com", "support@wallet.example.com"),
            (.email, "mailto:help@kefu.io", "help@kefu.io"),
            (.email, "a@b", nil), (.email, "a@b@c.com", nil), (.email, "@c.com", nil), (.email, "a b@c.com", nil), (.email, "kefu.io", nil),
            (.telegram, "@KefuBot", "kefubot"), (.telegram, "t.me/KefuBot", "kefubot"), (.telegram, "https://t.me/KefuBot", "kefubot"),
            (.telegram, "KefuBot", "kefubot"), (.telegram, "https://x.com/kefu", nil), (.telegram, "t.me/+invite", nil),
            (.telegram, "kefu bot", nil), (.telegram, "kefu.bot", nil), (.telegram, "@", nil),
            (.x, "x.com/kefu", "kefu"), (.x, "twitter.com/kefu", "kefu"), (.x, "@kefu", "kefu"), (.x, "https://mobile.twitter.com/Kefu", "kefu"),
            (.x, "t.me/kefu", nil), (.x, "x.com/i/flow", nil), (.x, "@ke-fu", nil),
            (.phone, "+86 138-0013-8000", "+8613800138000"), (.phone, "0086 (138) 0013 8000", "+8613800138000"),
            (.phone, "13800138000", nil), (.phone, "+123", nil), (.phone, "+1234567890123456", nil), (.phone, "+86 138 abc", nil),
            (.phone, "+0123456789", nil),
        ]
        for (kind, raw, expected) in cases {
            #expect(OfficialChannel.canonical(kind: kind, raw) == expected, "\(kind) \(raw)")
        }
    }

    // MARK: Pieces

    @Test func skeletonsFoldLookalikes() {
        #expect(Homoglyphs.skeleton("w\u{0430}llet") == "wallet")  // Cyrillic а
        #expect(Homoglyphs.skeleton("\u{0440}\u{0430}\u{0443}\u{0440}\u{0430}l") == "paypal")  // Cyrillic р а у
        #expect(Homoglyphs.skeleton("\u{03BF}\u{03C1}\u{03B1}") == "opa")  // Greek ο ρ α
        #expect(Homoglyphs.skeleton("\u{FF37}\u{FF41}\u{FF4C}\u{FF4C}\u{FF45}\u{FF54}") == "wallet")  // full-width
        #expect(Homoglyphs.skeleton("k3fu5") == "kefus")
        #expect(Homoglyphs.skeleton("c0rn") == "com")
        #expect(Homoglyphs.skeleton("vvallet") == "wallet")
        #expect(Homoglyphs.skeleton("\u{03BD}\u{03BD}") == "w")  // Greek νν
        #expect(Set(["l", "I", "|", "1", "i", "\u{0456}", "\u{04CF}"].map(Homoglyphs.skeleton)) == ["l"])
        #expect(Homoglyphs.skeleton("w\u{00E1}llet") == "wallet")  // an accent is easy to miss
        #expect(Homoglyphs.skeleton("\u{0397}ELP") == "help")  // Greek capital Η
        #expect(Homoglyphs.skeleton("wallet") != Homoglyphs.skeleton("wa11et0"))
    }

    @Test func scriptsAreMixedOnlyAcrossLookalikeScripts() {
        #expect(Homoglyphs.mixesScripts("w\u{0430}llet"))
        #expect(Homoglyphs.mixesScripts("\u{03B1}\u{0430}"))
        #expect(!Homoglyphs.mixesScripts("wallet"))
        #expect(!Homoglyphs.mixesScripts("\u{043A}\u{043E}\u{0448}\u{0435}\u{043B}\u{0435}\u{043A}"))  // all Cyrillic
        #expect(!Homoglyphs.mixesScripts("kefu\u{5BA2}\u{670D}"))  // Latin next to Chinese is ordinary
        #expect(!Homoglyphs.mixesScripts("wallet2024"))
    }

    @Test func decorationsComeOffBothEnds() {
        #expect(ImpersonationRules.core("kefusupportbot") == "kefu")
        #expect(ImpersonationRules.core("official_kefuwallet_support_2") == "kefuwallet")
        #expect(ImpersonationRules.core("support") == "support")
        #expect(ImpersonationRules.core("helpdesk") == "desk")  // never down to nothing
        #expect(ImpersonationRules.core("kefu_announcements") == "kefu_announcements")
    }

    @Test func editDistanceIsBounded() {
        #expect(ImpersonationRules.distance("wallet", "walet", within: 1))
        #expect(ImpersonationRules.distance("wallet", "wlalet", within: 1))  // a swap
        #expect(!ImpersonationRules.distance("wallet", "waltel", within: 0))
        #expect(!ImpersonationRules.distance("wallet", "tablet", within: 1))
        #expect(ImpersonationRules.distance("", "ab", within: 2))
        let long = String(repeating: "a", count: 200)
        #expect(ImpersonationRules.distance(long, long + "b", within: 0))  // cut at 64
        #expect(ImpersonationRules.limit(forLength: 3) == nil)
        #expect(ImpersonationRules.limit(forLength: 7) == 1)
        #expect(ImpersonationRules.limit(forLength: 8) == 2)
    }

    @Test func aListedTwiceEntryIsMatchedOnce() {
        let twice = Self.officials + [OfficialChannel(kind: .x, value: "kefuwallet")]
        #expect(verify("@kefuwallet_support", twice).matches == [match(.x, "kefuwallet", .decoratedHandle)])
        let result = verify("@kefuwallet_support", twice)
        #expect(result.matches.count == 1)
    }

    @Test func valuesRoundTripAsJSON() throws {
        let value = match(.telegram, "kefusupportbot", .decoratedHandle)
        let data = try JSONEncoder().encode(value)
        #expect(try JSONDecoder().decode(VerificationMatch.self, from: data) == value)
        #expect(String(decoding: data, as: UTF8.self).contains("\"decoratedHandle\""))
        #expect(OfficialChannelKind.allCases == [.url, .email, .telegram, .x, .phone])
    }

    /// A mailto link that also sends to someone else is not the official address.
    @Test func mailtoWithExtraRecipientsIsNotOfficial() {
        let officials = [OfficialChannel(kind: .email, value: "support@kefu.example")]
        #expect(ImpersonationRules.verify(PastedValue("mailto:support@kefu.example"), against: officials).status == .official)
        for value in ["mailto:support@kefu.example?cc=attacker@evil.io", "mailto:support@kefu.example?bcc=a@evil.io", "mailto:support@kefu.example?to=a@evil.io",
                      "mailto:support@kefu.example,a@evil.io"] {
            #expect(ImpersonationRules.verify(PastedValue(value), against: officials).status != .official, "\(value)")
        }
    }
}
