import Testing

@testable import KefuSafety

/// The scan's ASCII shortcuts answer exactly as the Unicode property tables they stand in for.
@Suite struct ScalarClassTests {
    @Test func theShortcutsAgreeWithUnicodeProperties() {
        for value in UInt32(0)...0x3000 {
            guard let scalar = Unicode.Scalar(value) else { continue }
            #expect(RecoveryPhraseFinder.isASCIILetter(scalar) == (scalar.isASCII && scalar.properties.isAlphabetic), "\(value)")
            #expect(RecoveryPhraseFinder.isWhitespace(scalar) == scalar.properties.isWhitespace, "\(value)")
            #expect(RecoveryPhraseFinder.isNumeric(scalar) == (scalar.properties.numericType != nil), "\(value)")
        }
    }
}
