import Foundation
import Testing

@testable import KefuCore

@Suite struct QRCodeTests {
    /// The worked example of ISO 18004 tutorials ("HELLO WORLD", version 1-M).
    @Test func reedSolomonMatchesTheStandardExample() {
        let data: [UInt8] = [32, 91, 11, 120, 209, 114, 220, 77, 67, 64, 236, 17, 236, 17, 236, 17]
        let ecc = ReedSolomon.remainder(data: data, divisor: ReedSolomon.divisor(degree: 10))
        #expect(ecc == [196, 35, 39, 119, 235, 215, 231, 226, 93, 23])
    }

    @Test func capacityTablesAddUp() {
        // Level M data codewords per version, from the standard's tables.
        #expect(QRCode.dataCodewordCount(1) == 16)
        #expect(QRCode.dataCodewordCount(5) == 86)
        #expect(QRCode.dataCodewordCount(7) == 124)
        #expect(QRCode.dataCodewordCount(10) == 216)
        #expect(QRCode.dataCodewordCount(40) == 2334)
    }

    @Test func anOtpauthURIFitsAndCarriesItsFormatInformation() throws {
        let uri = "otpauth://totp/Kefu:agent@kefu.example?secret=JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP&issuer=Kefu"
        let code = try QRCode(text: uri)
        #expect(code.size == code.version * 4 + 17)
        #expect(code.version >= 6 && code.version <= 8)
        // Finder pattern corners are dark, their separators light.
        for (x, y) in [(0, 0), (code.size - 1, 0), (0, code.size - 1)] { #expect(code.modules[y][x]) }
        #expect(!code.modules[7][7])
        // Read the 15 format bits back from around the top-left finder and check them.
        var bits = 0
        let positions = (0...5).map { (8, $0) } + [(8, 7), (8, 8), (7, 8)] + (9..<15).map { (14 - $0, 8) }
        for (index, (x, y)) in positions.enumerated() where code.modules[y][x] { bits |= 1 << index }
        let unmasked = bits ^ 0x5412
        #expect(unmasked >> 13 == 0, "error correction level M")
        #expect((unmasked >> 10) & 7 == code.mask)
        // The second copy agrees with the first.
        var second = 0
        for index in 0..<8 where code.modules[8][code.size - 1 - index] { second |= 1 << index }
        for index in 8..<15 where code.modules[code.size - 15 + index][8] { second |= 1 << index }
        #expect(second == bits)
        #expect(code.svg().hasPrefix("<svg"))
    }

    @Test func tooMuchTextIsRefused() {
        #expect(throws: QRCode.EncodingError.tooLong) { try QRCode(text: String(repeating: "x", count: 3000)) }
    }
}
