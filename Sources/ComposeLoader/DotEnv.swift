import ComposeModel
import Foundation

/// `.env` files as Docker Compose v2 reads them (compose-go's dotenv dialect), checked against
/// Docker Compose 2.40.3 case by case (Tests/ComposeLoaderTests/DotEnvTests.swift):
///
/// - `KEY=value` and `KEY: value`; an optional `export ` prefix; keys of letters, digits and
///   `_ . - [ ]`; a bare `KEY` line takes KEY from the environment, if it is set there.
/// - Unquoted values end at the line's end or at ` #`, trailing white space trimmed.
/// - `'single'` values are literal except `\'`; `"double"` values may span lines and know the
///   escapes `\a \b \f \n \r \t \v \\ \" \$` and octal `\0NNN`; any other backslash stays.
/// - Unquoted and double-quoted values are interpolated like the Compose file (`${VAR:-d}`, …),
///   looking up the process environment first, then what the file set so far.
/// - A variable set in the process environment wins over the file's value.
/// - Keys that begin with a digit are read but dropped.
public enum DotEnv {
    /// Parses `.env` text; `lookup` resolves variables from outside the file (the process
    /// environment, then earlier env files). Entries come back in file order (a later duplicate
    /// wins when the caller applies them in order).
    public static func parse(_ text: String, file: String, lookup: (String) -> String?) throws -> [(key: String, value: String)] {
        let entries = try withoutActuallyEscaping(lookup) { lookup in
            var parser = Parser(bytes: Array(text.utf8), file: file, lookup: lookup)
            return try parser.run()
        }
        return entries.filter { entry in
            guard let f = entry.key.utf8.first else { return true }
            return !(f >= 0x30 && f <= 0x39)
        }
    }

    private struct Parser {
        let bytes: [UInt8]
        let file: String
        let lookup: (String) -> String?
        var pos = 0
        var line = 1
        var out: [(key: String, value: String)] = []
        var seen: [String: String] = [:]

        init(bytes: [UInt8], file: String, lookup: @escaping (String) -> String?) {
            self.bytes = bytes.starts(with: [0xEF, 0xBB, 0xBF]) ? Array(bytes.dropFirst(3)) : bytes
            self.file = file
            self.lookup = lookup
        }

        func fail(_ message: String) -> ComposeError {
            ComposeError("failed to read \(file): \(message)", mark: SourceMark(file: file, line: line, column: 1))
        }

        static func isSpace(_ b: UInt8) -> Bool { b == 0x09 || b == 0x0B || b == 0x0C || b == 0x0D || b == 0x20 }
        static func isWhite(_ b: UInt8) -> Bool { isSpace(b) || b == 0x0A }

        mutating func set(_ key: String, _ value: String) {
            out.append((key, value))
            seen[key] = value
        }

        mutating func run() throws -> [(key: String, value: String)] {
            while true {
                // Skip blank space and comment lines.
                while pos < bytes.count, Self.isWhite(bytes[pos]) {
                    if bytes[pos] == 0x0A { line += 1 }
                    pos += 1
                }
                if pos >= bytes.count { return out }
                if bytes[pos] == UInt8(ascii: "#") {
                    while pos < bytes.count, bytes[pos] != 0x0A { pos += 1 }
                    continue
                }
                try statement()
            }
        }

        mutating func statement() throws {
            // `export` followed by blank space is a prefix, not part of the key.
            let export = Array("export".utf8)
            if bytes[pos...].starts(with: export), pos + 6 < bytes.count, Self.isSpace(bytes[pos + 6]) {
                pos += 6
                while pos < bytes.count, Self.isSpace(bytes[pos]) { pos += 1 }
            }
            let keyStart = pos
            var keyEnd = -1
            var inherited = false
            var i = pos
            while i < bytes.count {
                let b = bytes[i]
                if Self.isSpace(b) { i += 1; continue }
                if b == UInt8(ascii: "=") || b == UInt8(ascii: ":") || b == 0x0A {
                    keyEnd = i
                    inherited = b == 0x0A
                    break
                }
                let ok = b == UInt8(ascii: "_") || b == UInt8(ascii: ".") || b == UInt8(ascii: "-") || b == UInt8(ascii: "[") || b == UInt8(ascii: "]")
                    || (b >= 0x30 && b <= 0x39) || (b >= 0x41 && b <= 0x5A) || (b >= 0x61 && b <= 0x7A) || b >= 0x80
                if !ok {
                    let lineText = String(decoding: bytes[keyStart...].prefix { $0 != 0x0A }, as: UTF8.self)
                    var ch = String(decoding: [b], as: UTF8.self)
                    if ch == "\"" { ch = "\\\"" }
                    throw fail("line \(line): unexpected character \"\(ch)\" in variable name \(goQuote(lineText))")
                }
                i += 1
            }
            if keyEnd < 0 {
                // A last line without `=` or newline: a bare key, inherited.
                keyEnd = bytes.count
                inherited = true
            }
            var key = String(decoding: bytes[keyStart..<keyEnd], as: UTF8.self)
            while let l = key.last, l.isWhitespace { key.removeLast() }
            if key.contains(" ") || key.contains("\t") { throw fail("line \(line): key cannot contain a space") }
            if inherited {
                if keyEnd < bytes.count { line += 1 }
                pos = min(keyEnd + 1, bytes.count)
                if let v = lookup(key) { set(key, v) }
                return
            }
            pos = keyEnd + 1
            while pos < bytes.count, Self.isSpace(bytes[pos]) { pos += 1 }
            var value: String
            if pos < bytes.count, bytes[pos] == UInt8(ascii: "'") || bytes[pos] == UInt8(ascii: "\"") {
                let quote = bytes[pos]
                let startLine = line
                var j = pos + 1
                var escaped = false
                var end = -1
                while j < bytes.count {
                    let c = bytes[j]
                    if c == 0x0A { line += 1 }
                    if c == quote && !escaped { end = j; break }
                    escaped = !escaped && c == UInt8(ascii: "\\")
                    j += 1
                }
                if end < 0 {
                    let rest = String(decoding: bytes[pos...].prefix { $0 != 0x0A }, as: UTF8.self)
                    _ = startLine
                    throw fail("line \(line): unterminated quoted value \(rest)")
                }
                let raw = String(decoding: bytes[(pos + 1)..<end], as: UTF8.self)
                pos = end + 1
                if quote == UInt8(ascii: "'") {
                    value = raw.replacingOccurrences(of: "\\'", with: "'")
                } else {
                    value = try expand(Self.unescape(raw))
                }
            } else {
                let lineEnd = bytes[pos...].firstIndex(of: 0x0A) ?? bytes.count
                var text = String(decoding: bytes[pos..<lineEnd], as: UTF8.self)
                if let r = text.range(of: " #") { text = String(text[..<r.lowerBound]) }
                while let l = text.last, l.isWhitespace { text.removeLast() }
                value = try expand(text)
                pos = lineEnd
            }
            if let v = lookup(key) { value = v }
            set(key, value)
        }

        func expand(_ text: String) throws -> String {
            do {
                return try Interpolation.substituteRaw(text, lookup: { lookup($0) ?? seen[$0] }, unset: { _ in })
            } catch let e as Interpolation.TemplateError {
                switch e {
                case .invalid(let template): throw fail("Invalid template: \(goQuote(template))")
                case .missing(let name, let reason):
                    throw fail("required variable \(name) is missing a value" + (reason.isEmpty ? "" : ": \(reason)"))
                }
            }
        }

        /// Double-quoted escapes: `\a \b \f \n \r \t \v \\ \"`, `\$` (a literal dollar), and
        /// `\0` followed by up to three digits (octal, the 0 dropped); anything else is kept.
        static func unescape(_ s: String) -> String {
            let b = Array(s.utf8)
            var out: [UInt8] = []
            out.reserveCapacity(b.count)
            var i = 0
            while i < b.count {
                guard b[i] == UInt8(ascii: "\\"), i + 1 < b.count else { out.append(b[i]); i += 1; continue }
                let c = b[i + 1]
                switch c {
                case UInt8(ascii: "a"): out.append(0x07)
                case UInt8(ascii: "b"): out.append(0x08)
                case UInt8(ascii: "f"): out.append(0x0C)
                case UInt8(ascii: "n"): out.append(0x0A)
                case UInt8(ascii: "r"): out.append(0x0D)
                case UInt8(ascii: "t"): out.append(0x09)
                case UInt8(ascii: "v"): out.append(0x0B)
                case UInt8(ascii: "\\"): out.append(c)
                case UInt8(ascii: "\""): out.append(c)
                case UInt8(ascii: "$"): out += [c, c]
                case UInt8(ascii: "0"):
                    var j = i + 2
                    while j < b.count, j < i + 5, b[j] >= 0x30, b[j] <= 0x39 { j += 1 }
                    let digits = Array(b[(i + 2)..<j])
                    if digits.count == 3, digits.allSatisfy({ $0 <= 0x37 }),
                       let v = Int(String(decoding: digits, as: UTF8.self), radix: 8), v <= 255 {
                        out += Array(String(UnicodeScalar(UInt8(v))).utf8)
                    } else {
                        out.append(UInt8(ascii: "\\"))
                        out += digits
                    }
                    i = j
                    continue
                default:
                    out += [b[i], c]
                }
                i += 2
            }
            return String(decoding: out, as: UTF8.self)
        }
    }
}

/// A string quoted the way Go's `%q` quotes it (enough for error messages).
func goQuote(_ s: String) -> String {
    var r = "\""
    for u in s.unicodeScalars {
        switch u {
        case "\"": r += "\\\""
        case "\\": r += "\\\\"
        case "\n": r += "\\n"
        case "\t": r += "\\t"
        case "\r": r += "\\r"
        default:
            if u.value < 0x20 || u.value == 0x7F { r += String(format: "\\x%02x", u.value) } else { r.unicodeScalars.append(u) }
        }
    }
    return r + "\""
}
