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
