/// A content digest, `algorithm:encoded` (OCI image-spec "Digests"). Only `sha256` and
/// `sha512` are accepted for content the store keeps; other registered forms parse but are
/// refused where content is verified.
public struct Digest: Hashable, Sendable, Codable, CustomStringConvertible, Comparable {
    public let algorithm: String
    public let encoded: String

    public init(algorithm: String, encoded: String) throws {
        guard Self.isAlgorithm(algorithm) else { throw OCIError("invalid digest algorithm \"\(algorithm)\"") }
        let lengths = ["sha256": 64, "sha512": 128]
        if let n = lengths[algorithm] {
            guard encoded.utf8.count == n, encoded.utf8.allSatisfy(Self.isLowerHex) else {
                throw OCIError("invalid \(algorithm) digest \"\(algorithm):\(encoded)\": want \(n) lowercase hex digits")
            }
        } else {
            guard encoded.utf8.count >= 32, encoded.utf8.allSatisfy({ Self.isLowerHex($0) || $0 == UInt8(ascii: "=") || $0 == UInt8(ascii: "_") || $0 == UInt8(ascii: "-") || (65...90).contains($0) || (97...122).contains($0) }) else {
                throw OCIError("invalid digest \"\(algorithm):\(encoded)\"")
            }
        }
        self.algorithm = algorithm
        self.encoded = encoded
    }

    public init(parsing text: String) throws {
        guard let colon = text.firstIndex(of: ":") else { throw OCIError("invalid digest \"\(text)\": no algorithm") }
        try self.init(algorithm: String(text[..<colon]), encoded: String(text[text.index(after: colon)...]))
    }

    public static func sha256(hex: String) throws -> Digest { try Digest(algorithm: "sha256", encoded: hex) }

    /// The sha256 digest whose 32 bytes a hasher produced.
    public static func sha256(bytes: [UInt8]) -> Digest {
        let digits = Array("0123456789abcdef".utf8)
        var hex = [UInt8]()
        hex.reserveCapacity(64)
        for b in bytes.prefix(32) { hex.append(digits[Int(b >> 4)]); hex.append(digits[Int(b & 15)]) }
        return Digest(trusted: "sha256", String(decoding: hex, as: UTF8.self))
    }

    private init(trusted algorithm: String, _ encoded: String) {
        self.algorithm = algorithm
        self.encoded = encoded
    }

    public var description: String { "\(algorithm):\(encoded)" }

    public init(from decoder: any Decoder) throws {
        let text = try decoder.singleValueContainer().decode(String.self)
        try self.init(parsing: text)
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.singleValueContainer()
        try c.encode(description)
    }

    public static func < (a: Digest, b: Digest) -> Bool { a.description < b.description }

    static func isLowerHex(_ b: UInt8) -> Bool { (48...57).contains(b) || (97...102).contains(b) }

    /// `[a-z0-9]+([+._-][a-z0-9]+)*`
    static func isAlgorithm(_ s: String) -> Bool {
        var prevSep = true
        for b in s.utf8 {
            let alnum = (48...57).contains(b) || (97...122).contains(b)
            if alnum { prevSep = false; continue }
            guard [UInt8(ascii: "+"), UInt8(ascii: "."), UInt8(ascii: "_"), UInt8(ascii: "-")].contains(b), !prevSep else { return false }
            prevSep = true
        }
        return !prevSep
    }
}

/// An error in OCI data: a reference, digest, manifest or platform that cannot be used.
public struct OCIError: Error, Sendable, CustomStringConvertible, Equatable {
    public var message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}
