import Foundation
import KefuCore
import Testing

@Suite struct SearchTextTests {
    @Test func normalisingFoldsWidthCaseLatinDiacriticsAndTraditionalChinese() {
        #expect(SearchText.normalize("ＴＯＴＰ １２３") == "totp 123")
        #expect(SearchText.normalize("Café RÉSUMÉ naïve Ångström") == "cafe resume naive angstrom")
        #expect(SearchText.normalize("忘記密碼") == "忘记密码")
        #expect(SearchText.normalize("提幣限額") == "提币限额")
        // Kana keep their voicing marks; Hangul is untouched; half-width katakana widen.
        #expect(SearchText.normalize("パスワード ﾊﾟｽﾜｰﾄﾞ 비밀번호") == "パスワード パスワード 비밀번호")
        // Compatibility ideographs become the unified ones (then simplified): 豈 U+F900 → 豈 → 岂.
        #expect(SearchText.normalize("\u{F900}\u{F902}\u{2F00}") == "岂车一")
        // Soft hyphens and zero-width spaces cannot split a word.
        #expect(SearchText.normalize("with\u{AD}draw\u{200B}al") == "withdrawal")
        for text in ["ＴＯＴＰ 忘記密碼", "Ǆemal İstanbul ẞ", "\u{F900}豈 ｶﾞ"] {
            let once = SearchText.normalize(text)
            #expect(SearchText.normalize(once) == once)
        }
    }

    @Test func chineseIsIndexedAsCharactersAndOverlappingBigrams() {
        let expected = ["忘", "忘记", "记", "记密", "密", "密码", "码"]
        #expect(SearchText.indexTerms("忘记密码") == expected)
        #expect(SearchText.indexTerms("忘記密碼") == expected)
        #expect(SearchText.indexTerms("提幣限額") == SearchText.indexTerms("提币限额"))
        #expect(SearchText.indexTerms("提幣限額") == ["提", "提币", "币", "币限", "限", "限额", "额"])
        #expect(SearchText.indexTerms("提") == ["提"])
        // Punctuation, emoji and spaces split runs and are dropped.
        #expect(SearchText.indexTerms("密码🔑重置！") == ["密", "密码", "码", "重", "重置", "置"])
        #expect(SearchText.indexTerms("密码，重置") == SearchText.indexTerms("密码 重置"))
        // Kana and Hangul are treated like Han.
        #expect(SearchText.indexTerms("ログ") == ["ロ", "ログ", "グ"])
        #expect(SearchText.indexTerms("암호") == ["암", "암호", "호"])
    }

    @Test func compatibilityIdeographsIndexLikeTheUnifiedOnes() {
        #expect(SearchText.indexTerms("\u{F902}\u{F91D}") == SearchText.indexTerms("車欄"))
        #expect(SearchText.indexTerms("\u{F902}\u{F91D}") == ["车", "车栏", "栏"])
    }

    @Test func latinWordsAreFoldedStemmedAndStopWordsDropped() {
        #expect(SearchText.indexTerms("How do I reset the password?") == ["reset", "password"])
        #expect(SearchText.indexTerms("Withdrawals withdrawal WITHDRAWING") == ["withdraw", "withdraw", "withdraw"])
        #expect(SearchText.indexTerms("2FA e-mail don't") == ["2fa", "e", "mail", "dont"])
        #expect(SearchText.indexTerms("don\u{2019}t") == ["dont"])
        #expect(SearchText.indexTerms("ＴＯＴＰ") == ["totp"])
        #expect(SearchText.indexTerms("Résumé") == ["resum"])
        let longest = String(repeating: "a", count: 40)
        #expect(SearchText.indexTerms("\(longest) \(longest)b ok") == [longest, "ok"])
        #expect(SearchText.indexTerms("the of and, it is!").isEmpty)
        #expect(SearchText.indexTerms("").isEmpty)
    }

    @Test func mixedScriptsSplitWhereTheScriptChanges() {
        #expect(SearchText.indexTerms("2FA 重置") == ["2fa", "重", "重置", "置"])
        #expect(SearchText.indexTerms("用Google Authenticator绑定")
            == ["用", "googl", "authent", "绑", "绑定", "定"])
        #expect(SearchText.indexTerms("ＴＯＴＰ验证码") == ["totp", "验", "验证", "证", "证码", "码"])
    }

    @Test func queriesAskForStemsAndBigrams() {
        #expect(SearchText.query("2FA 重置").terms == ["2fa", "重置"])
        #expect(SearchText.query("谷歌验证器丢了").terms == ["谷歌", "歌验", "验证", "证器", "器丢", "丢了"])
        #expect(SearchText.query("提").terms == ["提"])
        #expect(SearchText.query("忘記密碼") == SearchText.query("忘记密码"))
        #expect(SearchText.query("忘記密碼").cjkRuns == ["忘记密码"])

        let query = SearchText.query("How to raise the Withdrawal limits?")
        #expect(query.terms == ["rais", "withdraw", "limit"])
        #expect(query.words == [
            .init(surface: "raise", stem: "rais"),
            .init(surface: "withdrawal", stem: "withdraw"),
            .init(surface: "limits", stem: "limit"),
        ])
        #expect(query.cjkRuns.isEmpty)
    }

    @Test func queryTermsAreDistinctAndInQueryOrder() {
        let query = SearchText.query("fees 手续费 fee 手续费 Google")
        #expect(query.terms == ["fee", "手续", "续费", "googl"])
        #expect(query.words.map(\.surface) == ["fees", "fee", "google"])
        #expect(query.cjkRuns == ["手续费"])
        #expect(SearchText.query("Authenticater").words == [.init(surface: "authenticater", stem: "authenticat")])
    }

    @Test func aQueryOfOnlyStopWordsKeepsThem() {
        #expect(SearchText.query("how to").terms == ["how", "to"])
        #expect(SearchText.query("how to 提币").terms == ["提币"])
        #expect(SearchText.query("  ？！ ").isEmpty)
        #expect(SearchText.query("").isEmpty)
    }

    @Test func theVocabularyIsWholeLowercaseWords() {
        #expect(SearchText.vocabularyWords("Authenticator, the 2FA app: Google's AUTHENTICATOR! 绑定 ok")
            == ["authenticator", "app", "googles", "authenticator"])
        #expect(SearchText.vocabularyWords("Vérification 忘記密碼") == ["verification"])
    }
}

@Suite struct ChineseVariantsTests {
    @Test func traditionalCharactersBecomeSimplified() {
        #expect(ChineseVariants.simplified("記") == "记")
        #expect(ChineseVariants.simplified("记") == "记")
        #expect(ChineseVariants.simplified("A") == "A")
        #expect(ChineseVariants.simplify("提幣限額，忘記密碼") == "提币限额，忘记密码")
        #expect(ChineseVariants.simplify("Google 驗證器") == "Google 验证器")
        // 薴 → 苧 → 苎 in OpenCC's table: chains are followed, so simplifying twice changes nothing.
        #expect(ChineseVariants.simplify("薴") == "苎")
        // A variation selector stays with its character.
        #expect(ChineseVariants.simplified("記\u{FE00}") == "记\u{FE00}")
    }
}

@Suite struct EnglishStemmerTests {
    /// Pairs from Porter's paper (1980) and its classic vocabulary, run through the whole algorithm.
    static let classic: [(String, String)] = [
        ("caresses", "caress"), ("ponies", "poni"), ("ties", "ti"), ("caress", "caress"), ("cats", "cat"),
        ("feed", "feed"), ("agreed", "agre"), ("plastered", "plaster"), ("bled", "bled"), ("motoring", "motor"),
        ("sing", "sing"), ("conflated", "conflat"), ("troubled", "troubl"), ("sized", "size"), ("hopping", "hop"),
        ("tanned", "tan"), ("falling", "fall"), ("hissing", "hiss"), ("fizzed", "fizz"), ("failing", "fail"),
        ("filing", "file"), ("happy", "happi"), ("sky", "sky"), ("relational", "relat"), ("conditional", "condit"),
        ("rational", "ration"), ("valenci", "valenc"), ("digitizer", "digit"), ("conformabli", "conform"),
        ("differentli", "differ"), ("vietnamization", "vietnam"), ("predication", "predic"), ("operator", "oper"),
        ("feudalism", "feudal"), ("decisiveness", "decis"), ("hopefulness", "hope"), ("callousness", "callous"),
        ("formaliti", "formal"), ("sensibiliti", "sensibl"), ("triplicate", "triplic"), ("formative", "form"),
        ("electrical", "electr"), ("goodness", "good"), ("revival", "reviv"), ("allowance", "allow"),
        ("inference", "infer"), ("airliner", "airlin"), ("gyroscopic", "gyroscop"), ("adjustable", "adjust"),
        ("defensible", "defens"), ("irritant", "irrit"), ("replacement", "replac"), ("adjustment", "adjust"),
        ("dependent", "depend"), ("adoption", "adopt"), ("communism", "commun"), ("activate", "activ"),
        ("angulariti", "angular"), ("homologous", "homolog"), ("effective", "effect"), ("bowdlerize", "bowdler"),
        ("probate", "probat"), ("rate", "rate"), ("cease", "ceas"), ("controll", "control"), ("roll", "roll"),
        ("generalization", "gener"), ("oscillators", "oscil"),
    ]

    @Test func classicVocabulary() {
        for (word, stem) in Self.classic {
            #expect(EnglishStemmer.stem(word) == stem, "\(word)")
        }
    }

    @Test func helpCenterWords() {
        for word in ["withdrawal", "withdrawals", "withdrawing", "withdraw", "withdraws"] {
            #expect(EnglishStemmer.stem(word) == "withdraw", "\(word)")
        }
        // The misspelling ends in -er, not -ator, so it keeps more of the word: typo correction
        // (edit distance on the surface words) is what connects the two.
        #expect(EnglishStemmer.stem("authenticator") == "authent")
        #expect(EnglishStemmer.stem("authentication") == "authent")
        #expect(EnglishStemmer.stem("authenticater") == "authenticat")
        // Porter does not join the noun with the verb here: -ation/-ic go, the verb's -y becomes -i.
        #expect(EnglishStemmer.stem("verification") == "verif")
        #expect(EnglishStemmer.stem("verify") == "verifi")
        #expect(EnglishStemmer.stem("verified") == "verifi")
        #expect(EnglishStemmer.stem("verifying") == "verifi")
        #expect(EnglishStemmer.stem("passwords") == "password")
    }

    @Test func wordsItDoesNotHandleAreReturnedUnchanged() {
        for word in ["2fa", "is", "as", "Running", "café", "密码", ""] {
            #expect(EnglishStemmer.stem(word) == word)
        }
    }
}

@Suite struct EditDistanceTests {
    @Test func distances() {
        #expect(EditDistance.distance("kitten", "sitting", limit: 3) == 3)
        #expect(EditDistance.distance("authenticater", "authenticator", limit: 2) == 1)
        #expect(EditDistance.distance("", "abc", limit: 3) == 3)
        #expect(EditDistance.distance("same", "same", limit: 0) == 0)
        #expect(EditDistance.distance("密码", "密马", limit: 1) == 1)
        #expect(EditDistance.distance("café", "cafe", limit: 1) == 1)
    }

    @Test func anAdjacentSwapCostsOne() {
        #expect(EditDistance.distance("ab", "ba", limit: 1) == 1)
        #expect(EditDistance.distance("withdrawl", "withdrwal", limit: 1) == 1)
        #expect(EditDistance.distance("recieve", "receive", limit: 1) == 1)
        // Optimal string alignment edits no substring twice: "ca" → "abc" is 3, not Damerau's 2.
        #expect(EditDistance.distance("ca", "abc", limit: 3) == 3)
    }

    @Test func beyondTheLimitIsNil() {
        #expect(EditDistance.distance("kitten", "sitting", limit: 2) == nil)
        #expect(EditDistance.distance("a", "abcdef", limit: 2) == nil)
        #expect(EditDistance.distance("password", "passport", limit: 1) == nil)
        #expect(EditDistance.distance("abc", "xyz", limit: -1) == nil)
        #expect(EditDistance.distance(String(repeating: "a", count: 5_000), String(repeating: "b", count: 5_000), limit: 2) == nil)
    }

    @Test func agreesWithTheFullTableOnRandomStrings() {
        var generator = SplitMix64(seed: 42)
        let alphabet = Array("abcd密")
        for _ in 0..<2_000 {
            let a = String((0..<Int.random(in: 0...7, using: &generator)).map { _ in alphabet.randomElement(using: &generator) ?? "a" })
            let b = String((0..<Int.random(in: 0...7, using: &generator)).map { _ in alphabet.randomElement(using: &generator) ?? "a" })
            let exact = Self.fullTable(Array(a), Array(b))
            for limit in 0...4 {
                #expect(EditDistance.distance(a, b, limit: limit) == (exact <= limit ? exact : nil), "\(a) \(b) \(limit)")
            }
        }
    }

    /// The textbook optimal string alignment table, unbounded.
    static func fullTable(_ a: [Character], _ b: [Character]) -> Int {
        var d = [[Int]](repeating: [Int](repeating: 0, count: b.count + 1), count: a.count + 1)
        for i in 0...a.count { d[i][0] = i }
        for j in 0...b.count { d[0][j] = j }
        for i in stride(from: 1, through: a.count, by: 1) {
            for j in stride(from: 1, through: b.count, by: 1) {
                let cost = a[i - 1] == b[j - 1] ? 0 : 1
                d[i][j] = min(d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + cost)
                if i > 1, j > 1, a[i - 1] == b[j - 2], a[i - 2] == b[j - 1] {
                    d[i][j] = min(d[i][j], d[i - 2][j - 2] + 1)
                }
            }
        }
        return d[a.count][b.count]
    }
}

/// A seeded generator, so a failure can be replayed.
private struct SplitMix64: RandomNumberGenerator {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

@Suite struct SnippetTests {
    @Test func anEnglishWordMatchesByItsStem() {
        let snippet = SearchText.snippet(of: "Withdrawals are processed within 24 hours.", for: SearchText.query("withdrawal"))
        #expect(snippet.parts == [
            .init(text: "Withdrawals", isMatch: true),
            .init(text: " are processed within 24 hours.", isMatch: false),
        ])
        #expect(snippet.html == "<mark>Withdrawals</mark> are processed within 24 hours.")
    }

    @Test func aChineseRunIsMarkedWhereverItOccurs() {
        let text = "如果您忘记密码，请点击登录页的“忘记密码”链接。"
        let snippet = SearchText.snippet(of: text, for: SearchText.query("忘记密码"))
        #expect(snippet.parts.filter(\.isMatch).map(\.text) == ["忘记密码", "忘记密码"])
        #expect(snippet.parts.map(\.text).joined() == text)
        #expect(snippet.html == "如果您<mark>忘记密码</mark>，请点击登录页的“<mark>忘记密码</mark>”链接。")
    }

    @Test func aTraditionalQueryMarksTheSimplifiedOriginalAndTheOtherWayRound() {
        let simplified = SearchText.snippet(of: "如何重置密码？", for: SearchText.query("密碼"))
        #expect(simplified.html == "如何重置<mark>密码</mark>？")
        let traditional = SearchText.snippet(of: "如何重置密碼？", for: SearchText.query("密码"))
        #expect(traditional.html == "如何重置<mark>密碼</mark>？")
    }

    @Test func withoutTheWholeRunItsBigramsAreMarked() {
        let snippet = SearchText.snippet(of: "重置您的密码", for: SearchText.query("密码重置"))
        #expect(snippet.html == "<mark>重置</mark>您的<mark>密码</mark>")
        // A one-character query marks that character.
        #expect(SearchText.snippet(of: "提币与充币", for: SearchText.query("币")).html == "提<mark>币</mark>与充<mark>币</mark>")
    }

    @Test func mixedQueriesMarkBoth() {
        let snippet = SearchText.snippet(of: "用 Google Authenticator 绑定两步验证", for: SearchText.query("authenticators 绑定"))
        #expect(snippet.html == "用 Google <mark>Authenticator</mark> <mark>绑定</mark>两步验证")
    }

    @Test func noMatchShowsTheStartOfTheText() {
        let text = (1...60).map { "word\($0)" }.joined(separator: " ")
        let snippet = SearchText.snippet(of: text, for: SearchText.query("nothing"), length: 40)
        #expect(snippet.parts.count == 1)
        #expect(snippet.parts.allSatisfy { !$0.isMatch })
        // 40 characters end inside "word7": the cut goes back to the space before it.
        #expect(snippet.html == "word1 word2 word3 word4 word5 word6…")
    }

    @Test func aLongTextIsCutAtWordsAroundTheFirstMatch() {
        let before = (1...50).map { "alpha\($0)" }.joined(separator: " ")
        let after = (1...50).map { "omega\($0)" }.joined(separator: " ")
        let text = "\(before) Withdrawal limits reset daily. \(after)"
        let snippet = SearchText.snippet(of: text, for: SearchText.query("limit"), length: 80)
        let shown = snippet.parts.map(\.text).joined()
        #expect(shown.hasPrefix("…alpha"))
        #expect(shown.hasSuffix("…"))
        #expect(snippet.parts.filter(\.isMatch).map(\.text) == ["limits"])
        // Cut between words: every word shown is whole.
        let words = shown.trimmingCharacters(in: CharacterSet(charactersIn: "…")).split(separator: " ")
        for word in words {
            #expect(text.split(separator: " ").contains(word), "\(word)")
        }
        #expect(shown.count <= 80 + 2)
        #expect(shown.count >= 60)
    }

    @Test func aLongChineseTextIsCutAtPunctuationWhereItCan() {
        let filler = String(repeating: "这是一段很长的说明文字，", count: 20)
        let text = filler + "提币限额每天重置。" + filler
        let snippet = SearchText.snippet(of: text, for: SearchText.query("提幣限額"), length: 60)
        let shown = snippet.parts.map(\.text).joined()
        #expect(shown.hasPrefix("…这是"))
        #expect(shown.hasSuffix("，…"))
        #expect(snippet.parts.filter(\.isMatch).map(\.text) == ["提币限额"])
    }

    @Test func theTextIsEscapedAndWhitespaceCollapsed() {
        let text = "<script>alert('x')</script>\n\n   Withdrawal \"fees\" & limits"
        let snippet = SearchText.snippet(of: text, for: SearchText.query("withdrawals"))
        #expect(snippet.html
            == "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; <mark>Withdrawal</mark> &quot;fees&quot; &amp; limits")
    }

    @Test func nothingToShow() {
        #expect(SearchText.snippet(of: "", for: SearchText.query("fees")).parts.isEmpty)
        #expect(SearchText.snippet(of: "   \n ", for: SearchText.query("fees")).html == "")
        #expect(SearchText.snippet(of: "fees", for: SearchText.query("fees"), length: 0).parts.isEmpty)
    }
}
