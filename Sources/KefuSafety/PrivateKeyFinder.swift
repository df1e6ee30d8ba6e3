import Foundation

/// Finds raw private keys in text: WIF (51 or 52 Base58 characters with a valid checksum),
/// extended private keys (`xprv`, `tprv`, `yprv`, `zprv`… with a valid checksum), and 64 hex
/// digits only when the words around them say "private key" (a bare 64-hex string is usually a
/// transaction id, and must stay).
struct PrivateKeyFinder: Sendable {
    let sha256: @Sendable (Data) -> Data

    static let extendedPrefixes: Set<String> = ["xprv", "tprv", "yprv", "zprv", "uprv", "vprv", "Yprv", "Zprv", "Uprv", "Vprv"]
    /// What people write next to a key they paste (lowercased; spaces, underscores and hyphens
    /// between the words are all found).
    static let keyWords = ["privatekey", "privkey", "secretkey", "私钥", "私鑰", "密钥", "密鑰", "秘钥", "秘鑰", "私匙"]
    /// Words that say a hex string is a transaction's, said right before it: such a string
    /// stays, even in a message that talks about a private key ("I never shared my private key,
    /// but this transaction 0x… drained my wallet").
    static let transactionWords = ["transaction", "txid", "txhash", "tx", "hash", "交易", "哈希", "订单", "區塊", "区块"]
    /// How far from a hex string its words may be, in characters.
    static let contextBefore = 120
    static let contextAfter = 40

    /// `hexIsKey`: a field where 64 hex digits can only be a key (a "wallet UID" someone pasted
    /// a key into), no words needed.
    func keys(in text: String, hexIsKey: Bool = false) -> [Range<String.Index>] {
        var found: [Range<String.Index>] = []
        let scalars = text.unicodeScalars
        var index = scalars.startIndex
        // Keys are runs of ASCII letters and digits.
        func inWord(_ scalar: Unicode.Scalar) -> Bool { RecoveryPhraseFinder.isASCIILetter(scalar) || ("0"..."9").contains(scalar) }
        while index < scalars.endIndex {
            guard inWord(scalars[index]) else {
                index = scalars.index(after: index)
                continue
            }
            var end = scalars.index(after: index)
            while end < scalars.endIndex, inWord(scalars[end]) { end = scalars.index(after: end) }
            let word = Substring(scalars[index..<end])
            if isKey(word) || (isHexKey(word) && (hexIsKey || saysPrivateKey(text, around: index..<end))) { found.append(index..<end) }
            index = end
        }
        return found
    }

    func isKey(_ word: Substring) -> Bool {
        switch word.utf8.count {
        case 51, 52:
            // WIF: version 0x80 (mainnet) or 0xEF (testnet), 32 key bytes, 0x01 when compressed.
            guard let payload = Base58Check.decode(word, sha256: sha256), payload.count == 33 || payload.count == 34,
                payload.first == 0x80 || payload.first == 0xEF
            else { return false }
            return payload.count == 33 || payload.last == 0x01
        case 111:
            guard Self.extendedPrefixes.contains(String(word.prefix(4))), let payload = Base58Check.decode(word, sha256: sha256) else { return false }
            return payload.count == 78
        default:
            return false
        }
    }

    func isHexKey(_ word: Substring) -> Bool {
        let digits = word.hasPrefix("0x") || word.hasPrefix("0X") ? word.dropFirst(2) : word
        // Digits, and a to f in either case (| 0x20 lowercases an ASCII letter).
        return digits.utf8.count == 64 && digits.utf8.allSatisfy { (0x30...0x39).contains($0) || (0x61...0x66).contains($0 | 0x20) }
    }

    /// Whether the words around the hex string call it a private key, read without spaces,
    /// underscores, hyphens or line breaks ("Private\nKey", "private_key"), and the nearest
    /// words before it do not call it a transaction's.
    func saysPrivateKey(_ text: String, around range: Range<String.Index>) -> Bool {
        func squeezed(_ part: Substring) -> String {
            String(part.lowercased().unicodeScalars.filter { !$0.properties.isWhitespace && $0 != "_" && $0 != "-" }.map(Character.init))
        }
        let context = squeezed(text[..<range.lowerBound].suffix(Self.contextBefore)) + "|" + squeezed(text[range.upperBound...].prefix(Self.contextAfter))
        guard Self.keyWords.contains(where: { context.contains($0) }) else { return false }
        let nearest = squeezed(text[..<range.lowerBound].suffix(24))
        return !Self.transactionWords.contains { nearest.contains($0) }
    }
}
