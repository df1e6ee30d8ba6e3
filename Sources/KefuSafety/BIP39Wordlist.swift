import Foundation

/// One of the BIP-39 word lists Kefu ships (Resources/bip39, MIT): 2,048 words, a word's index
/// being its 11-bit value in a phrase.
struct BIP39Wordlist: Sendable {
    let name: String
    let words: [String]
    let index: [String: Int]

    init(name: String, words: [String]) {
        self.name = name
        self.words = words
        var index: [String: Int] = [:]
        for (position, word) in words.enumerated() { index[word] = position }
        self.index = index
    }

    /// Loads `Resources/bip39/NAME.txt`; a list that is missing or not 2,048 words is a broken build.
    static func load(_ name: String) -> BIP39Wordlist {
        guard let url = Bundle.module.url(forResource: name, withExtension: "txt", subdirectory: "Resources/bip39"),
            let text = try? String(contentsOf: url, encoding: .utf8)
        else { fatalError("the BIP-39 word list \(name) is missing from the bundle") }
        let words = text.split(whereSeparator: \.isNewline).map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
        precondition(words.count == 2048, "the BIP-39 word list \(name) has \(words.count) words")
        return BIP39Wordlist(name: name, words: words)
    }

    static let english = load("english")
    /// English words by their first four letters (unique in the list; shorter words are whole).
    static let englishPrefixes: [String: Int] = {
        var prefixes: [String: Int] = [:]
        for (index, word) in english.words.enumerated() where word.count > 4 { prefixes[String(word.prefix(4))] = index }
        return prefixes
    }()
    /// List words that people write to support anyway (a complaint made of them is not a phrase).
    static let supportWords: Set<String> = Set(
        """
        able about above access account action actual add address again agree alert all also amount answer any app approve area arrive ask
        balance bank before begin below better between bonus brief bring buy call can card case cash change charge check choose claim client
        code coin come confirm connect contact correct cost credit current daily danger deal delay deny deposit detail device differ
        document double easy either else email end enough error even event exchange exist extra fail fee file find fine first fix follow
        found free fresh friend gas give good great hello help high history hold hour idea identify income increase just keep key kind know
        last later limit link list live load local lock long lucky make many market maybe method minute miss mistake mobile money month
        more most move much need net never new next normal note notice now number obtain off offer office often old once only open option
        order other over own pass payment people phone please price problem process profit program proof provide pull purchase quick
        reason receive record reduce refuse region reject remain remind remove rent repair repeat replace report request require rescue
        result return review reward right risk safe same save scan screen search second security seed sell send service session setup
        share short show similar simple since size slow small soon sorry spend still stock such sudden suggest supply support sure system
        talk task team test thank there thing time today together token tomorrow total trade transfer try twice type until update upgrade
        use useful usual valid verify wait wallet want warning way week what when where wrong year zero
        """.split(whereSeparator: \.isWhitespace).map(String.init)
    ).intersection(english.words)
    static let chineseSimplified = load("chinese_simplified")
    static let chineseTraditional = load("chinese_traditional")

    /// Phrase lengths BIP-39 defines.
    static let phraseLengths: Set<Int> = [12, 15, 18, 21, 24]

    /// Whether these word indices (12, 15, 18, 21 or 24 of them) carry a valid checksum: the
    /// last ENT/32 bits are the first bits of SHA-256 of the ENT bits before them.
    static func checksumHolds(_ indices: [Int], sha256: (Data) -> Data) -> Bool {
        guard phraseLengths.contains(indices.count) else { return false }
        let totalBits = indices.count * 11
        let checksumBits = totalBits / 33
        let entropyBits = totalBits - checksumBits
        var bits: [Bool] = []
        bits.reserveCapacity(totalBits)
        for index in indices {
            for shift in stride(from: 10, through: 0, by: -1) { bits.append((index >> shift) & 1 == 1) }
        }
        var entropy = Data(count: entropyBits / 8)
        for bit in 0..<entropyBits where bits[bit] { entropy[bit / 8] |= UInt8(0x80 >> (bit % 8)) }
        let hash = sha256(entropy)
        for bit in 0..<checksumBits {
            let expected = (hash[hash.startIndex + bit / 8] >> (7 - UInt8(bit % 8))) & 1 == 1
            if bits[entropyBits + bit] != expected { return false }
        }
        return true
    }
}
