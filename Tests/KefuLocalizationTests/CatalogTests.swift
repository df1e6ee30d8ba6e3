import Foundation
import KefuCore
import KefuLocalization
import Testing

@Suite struct CatalogTests {
    static let catalog = Catalog.standard
    static let sources = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Sources")

    @Test func everyLanguageHasEveryKeyAndNoEmptyText() {
        let english = Self.catalog.table(.en)
        #expect(english.count > 400)
        for locale in UILocale.allCases {
            let table = Self.catalog.table(locale)
            #expect(Set(table.keys) == Set(english.keys), "\(locale)")
            #expect(table.filter { $0.value.trimmingCharacters(in: .whitespaces).isEmpty }.keys.sorted() == [], "\(locale)")
        }
    }

    /// A translation may leave out a value English names (a noun only English repeats), but never
    /// ask for one the code does not give.
    @Test func translationsUseOnlyThePlaceholdersEnglishHas() {
        let english = Self.catalog.table(.en)
        for locale in UILocale.allCases where locale != .en {
            for (key, text) in Self.catalog.table(locale) {
                let extra = Catalog.placeholders(in: text).subtracting(Catalog.placeholders(in: english[key] ?? ""))
                #expect(extra.isEmpty, "\(locale) \(key) uses \(extra.sorted())")
            }
        }
    }

    @Test func everyKeyCodeAsksForExists() {
        #expect(TextKey.all.count > 60)
        for key in TextKey.all {
            for locale in UILocale.allCases {
                #expect(Self.catalog.table(locale)[key.rawValue] != nil, "\(key) missing in \(locale)")
            }
        }
    }

    @Test func placeholdersAreFilledAndValuesAreNotReadAsTemplates() {
        let catalog = Catalog(tables: [.en: ["greet": "Hi {name}, {missing} stays; {name} again"], .zhCN: [:]])
        #expect(catalog.text("greet", .en, ["name": "{missing}"]) == "Hi {missing}, {missing} stays; {missing} again")
        // A locale without the key speaks English; an unknown key shows itself.
        #expect(catalog.text("greet", .zhCN, ["name": "李"]) == "Hi 李, {missing} stays; 李 again")
        #expect(catalog.text("nope", .en) == "nope")
        #expect(Catalog.placeholders(in: "{a} and {b_c} but not { d }") == ["a", "b_c"])
    }

    @Test func mailsEndWithTheWarningAndCarryTheAntiPhishingCode() {
        for mail in NoticeMail.allCases {
            for locale in UILocale.allCases {
                let (subject, text) = Self.catalog.mail(mail, locale, ["link": "https://kefu.test/x"])
                #expect(!subject.isEmpty)
                #expect(text.hasSuffix(Self.catalog.text(.mailWarning, locale)), "\(mail) \(locale)")
            }
        }
        let marked = Self.catalog.withAntiPhishingCode("body", code: "青山-42", locale: .zhCN)
        #expect(marked.hasPrefix("您的防钓鱼码：青山-42\n\n") && marked.hasSuffix("body"))
    }

    /// Words for people come from the catalog: no Swift file picks a language's words itself
    /// (`zh ? "…" : "…"`). The few files allowed Chinese text say why.
    @Test func noUserFacingStringIsBuiltByALanguageSwitchInCode() throws {
        let allowedChinese: [String: String] = [
            "KefuApp/DemoData.swift": "demo conversations are data, seeded once",
            "KefuMail/QuotedHistory.swift": "patterns that recognise Chinese mail clients' quoting",
            "KefuCore/PrechatForm.swift": "the default pre-chat topics, stored per inbox as data admins edit in both languages",
            "KefuWeb/Connections/ConnectionDeadlineHandler.swift": "answers before a request (and its language) was read: both languages in one line",
            "kefu/Settings.swift": "the default sender name, a setting",
            "KefuChannels/Email/EmailSettings.swift": "the same default sender name",
            "KefuWeb/Console/ConsolePage.swift": "a comment's example",
            "kefu/Kefu.swift": "the product's name in the command's help",
            "KefuChannels/Email/EmailReplies.swift": "the reply prefixes Chinese mail clients add, stripped from subjects",
            "KefuCore/Help/ChineseVariants.swift": "the traditional-to-simplified table search folds characters with (data)",
            "KefuQuality/HolidayReview.swift": "the words Chinese holiday calendars mark make-up working days with (data)",
            "KefuCore/Help/SearchText.swift": "comments showing how Chinese is cut into search terms",
            "KefuCore/Help/Snippet.swift": "a comment showing a traditional query highlighting simplified text",
            "KefuSafety/RecoveryPhraseFinder.swift": "the punctuation Chinese phrases are listed with, and comments with examples (data)",
            "KefuSafety/PrivateKeyFinder.swift": "the words Chinese writers put beside a pasted key (data)",
        ]
        let switches = [#/\bzh\s*\?/#, #/\bchinese\s*\?/#, #/==\s*\.zhCN\s*\?/#, #/chinese\(/#]
        var offenders: [String] = []
        let files = FileManager.default.enumerator(at: Self.sources, includingPropertiesForKeys: nil)!
        for case let url as URL in files where url.pathExtension == "swift" {
            let relative = String(url.path.dropFirst(Self.sources.path.count + 1))
            let text = try String(contentsOf: url, encoding: .utf8)
            for (number, line) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
                if switches.contains(where: { line.firstMatch(of: $0) != nil }) { offenders.append("\(relative):\(number + 1) language switch") }
                if allowedChinese[relative] == nil, line.unicodeScalars.contains(where: { (0x4E00...0x9FFF).contains($0.value) }) {
                    offenders.append("\(relative):\(number + 1) Chinese text")
                }
            }
        }
        #expect(offenders == [])
    }
}
