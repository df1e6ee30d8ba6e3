import Foundation

/// One page of a list, with an opaque cursor for the next one (nil on the last page).
public struct Page<Item: Sendable>: Sendable {
    public var items: [Item]
    public var nextCursor: PageCursor?

    public init(items: [Item], nextCursor: PageCursor?) {
        self.items = items
        self.nextCursor = nextCursor
    }
}

/// Keyset position in a list sorted by (sortKey descending, id descending).
/// Opaque to clients: base64url of "sortKey:id", so it survives inserts between pages.
public struct PageCursor: Sendable, Equatable {
    public var sortKey: Int64
    public var id: String

    public init(sortKey: Int64, id: String) {
        self.sortKey = sortKey
        self.id = id
    }

    public var token: String {
        Data("\(sortKey):\(id)".utf8).base64EncodedString()
            .replacingOccurrences(of: "+", with: "-")
            .replacingOccurrences(of: "/", with: "_")
            .replacingOccurrences(of: "=", with: "")
    }

    public init?(token: String) {
        var base64 = token.replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
        while base64.count % 4 != 0 { base64 += "=" }
        guard token.count <= 200, let data = Data(base64Encoded: base64), let text = String(data: data, encoding: .utf8)
        else { return nil }
        let parts = text.split(separator: ":", maxSplits: 1)
        guard parts.count == 2, let key = Int64(parts[0]), !parts[1].isEmpty,
            parts[1].allSatisfy({ $0.isHexDigit || $0 == "-" })
        else { return nil }
        self.sortKey = key
        self.id = String(parts[1])
    }
}

/// Bounds for a page size requested by a client.
public enum PageSize {
    public static let `default` = 25
    public static let maximum = 100

    public static func clamp(_ requested: Int?) -> Int {
        guard let requested else { return `default` }
        return min(max(requested, 1), maximum)
    }
}
