import Foundation

/// A QR code (ISO/IEC 18004) for a short text, in byte mode at error-correction level M.
///
/// Kefu draws the TOTP enrolment QR code itself so the secret never leaves the server for an
/// outside renderer. Only what enrolment needs is here: byte mode, level M, versions 1–40,
/// automatic mask choice by the standard's penalty rules.
public struct QRCode: Sendable {
    public let version: Int
    public let size: Int
    public let mask: Int
    /// modules[y][x]; true is dark.
    public let modules: [[Bool]]

    public enum EncodingError: Error, Equatable {
        case tooLong
    }

    public init(text: String) throws(EncodingError) {
        try self.init(bytes: Array(text.utf8))
    }

    public init(bytes: [UInt8], forcedMask: Int? = nil) throws(EncodingError) {
        guard let version = (1...40).first(where: { Self.dataCapacityBits($0) >= Self.bitLength(count: bytes.count, version: $0) })
        else { throw .tooLong }
        var grid = ModuleGrid(version: version)
        grid.drawFunctionPatterns()
        let codewords = Self.interleavedCodewords(data: Self.dataCodewords(bytes: bytes, version: version), version: version)
        grid.drawCodewords(codewords)

        var chosen = forcedMask ?? 0
        if forcedMask == nil {
            var best = Int.max
            for candidate in 0..<8 {
                var trial = grid
                trial.applyMask(candidate)
                trial.drawFormatBits(mask: candidate)
                let score = trial.penalty()
                if score < best {
                    best = score
                    chosen = candidate
                }
            }
        }
        grid.applyMask(chosen)
        grid.drawFormatBits(mask: chosen)
        self.version = version
        self.size = grid.size
        self.mask = chosen
        self.modules = grid.modules
    }

    /// An SVG drawing with a four-module quiet zone, scaled by the viewer.
    public func svg(moduleSize: Int = 4) -> String {
        let border = 4
        let dimension = (size + border * 2)
        var path = ""
        for y in 0..<size {
            for x in 0..<size where modules[y][x] {
                path += "M\(x + border),\(y + border)h1v1h-1z"
            }
        }
        let pixels = dimension * moduleSize
        return """
            <svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 \(dimension) \(dimension)" width="\(pixels)" height="\(pixels)" shape-rendering="crispEdges" role="img">\
            <rect width="100%" height="100%" fill="#ffffff"/><path d="\(path)" fill="#000000"/></svg>
            """
    }

    // MARK: - Capacity and data codewords

    // Level M tables, indexed by version (index 0 unused).
    static let eccCodewordsPerBlock = [
        -1, 10, 16, 26, 18, 24, 16, 18, 22, 22, 26, 30, 22, 22, 24, 24, 28, 28, 26, 26, 26,
        26, 28, 28, 28, 28, 28, 28, 28, 28, 28, 28, 28, 28, 28, 28, 28, 28, 28, 28, 28,
    ]
    static let errorCorrectionBlocks = [
        -1, 1, 1, 1, 2, 2, 4, 4, 4, 5, 5, 5, 8, 9, 9, 10, 10, 11, 13, 14, 16,
        17, 17, 18, 20, 21, 23, 25, 26, 28, 29, 31, 33, 35, 37, 38, 40, 43, 45, 47, 49,
    ]

    static func rawDataModules(_ version: Int) -> Int {
        var result = (16 * version + 128) * version + 64
        if version >= 2 {
            let alignments = version / 7 + 2
            result -= (25 * alignments - 10) * alignments - 55
            if version >= 7 { result -= 36 }
        }
        return result
    }

    static func dataCodewordCount(_ version: Int) -> Int {
        rawDataModules(version) / 8 - eccCodewordsPerBlock[version] * errorCorrectionBlocks[version]
    }

    static func dataCapacityBits(_ version: Int) -> Int { dataCodewordCount(version) * 8 }

    static func bitLength(count: Int, version: Int) -> Int {
        let countBits = version <= 9 ? 8 : 16
        guard count < (1 << countBits) else { return Int.max }
        return 4 + countBits + count * 8
    }

    static func dataCodewords(bytes: [UInt8], version: Int) -> [UInt8] {
        var bits = BitBuffer()
        bits.append(0b0100, count: 4)
        bits.append(bytes.count, count: version <= 9 ? 8 : 16)
        for byte in bytes { bits.append(Int(byte), count: 8) }
        let capacity = dataCapacityBits(version)
        bits.append(0, count: min(4, capacity - bits.count))
        bits.append(0, count: (8 - bits.count % 8) % 8)
        var result = bits.bytes
        var pad: UInt8 = 0xEC
        while result.count < dataCodewordCount(version) {
            result.append(pad)
            pad = pad == 0xEC ? 0x11 : 0xEC
        }
        return result
    }

    static func interleavedCodewords(data: [UInt8], version: Int) -> [UInt8] {
        let blockCount = errorCorrectionBlocks[version]
        let eccLength = eccCodewordsPerBlock[version]
        let rawCodewords = rawDataModules(version) / 8
        let shortBlocks = blockCount - rawCodewords % blockCount
        let shortBlockLength = rawCodewords / blockCount
        let divisor = ReedSolomon.divisor(degree: eccLength)

        var blocks: [[UInt8]] = []
        var offset = 0
        for index in 0..<blockCount {
            let dataLength = shortBlockLength - eccLength + (index < shortBlocks ? 0 : 1)
            var block = Array(data[offset..<offset + dataLength])
            offset += dataLength
            let ecc = ReedSolomon.remainder(data: block, divisor: divisor)
            if index < shortBlocks { block.append(0) }  // placeholder, skipped when interleaving
            blocks.append(block + ecc)
        }
        var result: [UInt8] = []
        for column in 0..<blocks[0].count {
            for (index, block) in blocks.enumerated()
            where column != shortBlockLength - eccLength || index >= shortBlocks {
                result.append(block[column])
            }
        }
        return result
    }
}

struct BitBuffer {
    private(set) var bits: [Bool] = []
    var count: Int { bits.count }

    mutating func append(_ value: Int, count: Int) {
        guard count > 0 else { return }
        for shift in stride(from: count - 1, through: 0, by: -1) {
            bits.append((value >> shift) & 1 == 1)
        }
    }

    var bytes: [UInt8] {
        stride(from: 0, to: bits.count, by: 8).map { start in
            bits[start..<min(start + 8, bits.count)].reduce(UInt8(0)) { ($0 << 1) | ($1 ? 1 : 0) }
        }
    }
}

enum ReedSolomon {
    static func multiply(_ x: UInt8, _ y: UInt8) -> UInt8 {
        var z = 0
        for shift in stride(from: 7, through: 0, by: -1) {
            z = (z << 1) ^ ((z >> 7) * 0x11D)
            z ^= ((Int(y) >> shift) & 1) * Int(x)
        }
        return UInt8(z & 0xFF)
    }

    static func divisor(degree: Int) -> [UInt8] {
        var result = [UInt8](repeating: 0, count: degree)
        result[degree - 1] = 1
        var root: UInt8 = 1
        for _ in 0..<degree {
            for index in 0..<degree {
                result[index] = multiply(result[index], root)
                if index + 1 < degree { result[index] ^= result[index + 1] }
            }
            root = multiply(root, 0x02)
        }
        return result
    }

    static func remainder(data: [UInt8], divisor: [UInt8]) -> [UInt8] {
        var result = [UInt8](repeating: 0, count: divisor.count)
        for byte in data {
            let factor = byte ^ result.removeFirst()
            result.append(0)
            for (index, coefficient) in divisor.enumerated() {
                result[index] ^= multiply(coefficient, factor)
            }
        }
        return result
    }
}
