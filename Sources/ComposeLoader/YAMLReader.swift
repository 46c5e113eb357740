import ComposeModel
import Foundation

/// Reads YAML text into `ComposeNode` trees, one per document (libyaml's events, read by
/// `YAMLEventReader`), the way Docker Compose's go-yaml v3 decoder reads it into `map[string]any`:
/// - plain scalars resolve by YAML 1.2's core schema (`22:22`, `on`, `yes` stay strings; only
///   `true`/`false` are booleans; `0x1F`, `0o17` and `017` are integers), quoted ones stay strings;
/// - `<<` merge keys are applied: keys written in the mapping win over
///   merged ones, and of several merged mappings the earlier wins;
/// - `!reset` and `!override` tags are kept on the node for the merge step; `!!str` and friends
///   force the kind.
public enum YAMLReader {
    public static func documents(_ text: String, file: String) throws -> [ComposeNode] {
        // Aliases are expanded by reference, but a few hundred bytes of nested aliases can
        // stand for billions of values ("billion laughs") that later steps would walk. Docker
        // Compose refuses such files with "excessive aliasing"; so do we, with a budget of values
        // far above any real file's size. compose-go's own limit did not stop a 9^10 bomb in
        // 2.40.3 (it passed 17 GB) yet it loads a 3^10 one (about 200,000 values): the budget
        // admits that one and holds memory to some hundreds of MB.
        try YAMLEventReader.documents(text, file: file, budget: 1_000_000 + 100 * text.utf8.count)
    }

    /// A scalar as go-yaml v3 types it: by its explicit tag, else (plain ones) by its text.
    static func scalar(_ text: String, tag tagName: String, plain: Bool, mark m: SourceMark?, path: KeyPath) throws -> ComposeNode {
        let value: ComposeValue
        switch tagName {
        case "tag:yaml.org,2002:str": value = .string(text)
        case "tag:yaml.org,2002:int":
            guard let v = resolvePlain(text), case .int = v else {
                throw ComposeError("cannot read \"\(text)\" as an integer (!!int)", path: path.description, mark: m)
            }
            value = v
        case "tag:yaml.org,2002:float":
            guard let d = Double(text) else {
                throw ComposeError("cannot read \"\(text)\" as a number (!!float)", path: path.description, mark: m)
            }
            value = .double(d)
        case "tag:yaml.org,2002:bool":
            guard let v = resolvePlain(text), case .bool = v else {
                throw ComposeError("cannot read \"\(text)\" as a boolean (!!bool)", path: path.description, mark: m)
            }
            value = v
        case "tag:yaml.org,2002:null": value = .null
        default:
            if plain, tagName == "" || MergeTag(rawValue: tagName) != nil {
                if isTimestamp(text) {
                    // go-yaml reads it as a time.Time, which no Compose field accepts.
                    throw ComposeError("\(text) is read as a YAML timestamp, which Compose does not accept here: quote it to make it a string",
                                       path: path.description, mark: m)
                }
                value = resolvePlain(text) ?? .string(text)
            } else {
                value = .string(text)
            }
        }
        return ComposeNode(value, mark: m, tag: MergeTag(rawValue: tagName))
    }

    /// Keys must be strings, as compose-go's `convertToStringKeysRecursive` demands: a plain key
    /// that reads as a number, boolean or null is an error (`1: x` under labels), like Docker's
    /// "non-string key in services.s.labels: 1".
    static func keyString(_ text: String, plain: Bool, path: KeyPath, mark: SourceMark?) throws -> String {
        guard plain, resolvePlain(text) != nil else { return text }
        let where_ = path.description.isEmpty ? "the top level" : path.description
        throw ComposeError("non-string key in \(where_): \(text) (quote it to use it as a name)",
                           path: path.description, mark: mark)
    }

    /// YAML 1.2 core-schema resolution of a plain scalar as go-yaml v3 does it; nil means "a string".
    public static func resolvePlain(_ s: String) -> ComposeValue? {
        switch s {
        case "", "~", "null", "Null", "NULL": return .null
        case "true", "True", "TRUE": return .bool(true)
        case "false", "False", "FALSE": return .bool(false)
        case ".inf", ".Inf", ".INF", "+.inf", "+.Inf", "+.INF": return .double(.infinity)
        case "-.inf", "-.Inf", "-.INF": return .double(-.infinity)
        case ".nan", ".NaN", ".NAN": return .double(.nan)
        default: break
        }
        guard let first = s.utf8.first,
              first == UInt8(ascii: "-") || first == UInt8(ascii: "+") || first == UInt8(ascii: ".") || (first >= 0x30 && first <= 0x39)
        else { return nil }
        if let i = parseGoInt(s) { return .int(i) }
        if isYAMLFloat(s), let d = Double(s) { return .double(d) }
        return nil
    }

    /// `strconv.ParseInt(s, 0, 64)`: optional sign, then `0x`/`0o`/`0b` prefixes or a leading `0`
    /// for octal, underscores allowed only after a prefix.
    static func parseGoInt(_ text: String) -> Int? {
        var s = Substring(text)
        var negative = false
        if s.hasPrefix("+") || s.hasPrefix("-") { negative = s.hasPrefix("-"); s = s.dropFirst() }
        guard !s.isEmpty else { return nil }
        var radix = 10
        let lower = s.lowercased()
        if lower.hasPrefix("0x") { radix = 16; s = s.dropFirst(2) }
        else if lower.hasPrefix("0o") { radix = 8; s = s.dropFirst(2) }
        else if lower.hasPrefix("0b") { radix = 2; s = s.dropFirst(2) }
        else if s.count > 1, s.hasPrefix("0") { radix = 8; s = s.dropFirst() }
        let digits = String(s.filter { $0 != "_" })
        guard !digits.isEmpty, digits.allSatisfy({ $0.isHexDigit }), let magnitude = UInt64(digits, radix: radix) else { return nil }
        if negative {
            guard magnitude <= UInt64(Int64.max) + 1 else { return nil }
            return magnitude == UInt64(Int64.max) + 1 ? Int.min : -Int(magnitude)
        }
        guard magnitude <= UInt64(Int64.max) else { return nil }
        return Int(magnitude)
    }

    /// YAML 1.1 timestamps (`2001-12-14`, `2001-12-14t21:59:43.10-05:00`, `2001-12-14 21:59:43.10 -5`).
    static func isTimestamp(_ s: String) -> Bool {
        let u = Array(s.utf8)
        func digit(_ i: Int) -> Bool { i < u.count && u[i] >= 0x30 && u[i] <= 0x39 }
        // yyyy-m?m-d?d
        guard u.count >= 8, (0..<4).allSatisfy(digit), u[4] == UInt8(ascii: "-") else { return false }
        var i = 5
        guard digit(i) else { return false }
        i += digit(i + 1) ? 2 : 1
        guard i < u.count, u[i] == UInt8(ascii: "-"), digit(i + 1) else { return false }
        i += digit(i + 2) ? 3 : 2
        if i == u.count { return true }
        // a time part: [Tt ]hh:mm:ss...
        guard u[i] == UInt8(ascii: "T") || u[i] == UInt8(ascii: "t") || u[i] == UInt8(ascii: " ") else { return false }
        i += 1
        while i < u.count, u[i] == UInt8(ascii: " ") { i += 1 }
        guard digit(i) else { return false }
        i += digit(i + 1) ? 2 : 1
        return i + 5 < u.count + 1 && u[i] == UInt8(ascii: ":") && digit(i + 1) && digit(i + 2)
            && i + 3 < u.count && u[i + 3] == UInt8(ascii: ":") && digit(i + 4) && digit(i + 5)
    }

    /// go-yaml v3's float pattern: `^[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?$`.
    static func isYAMLFloat(_ s: String) -> Bool {
        var u = Array(s.utf8)[...]
        func digits() -> Int {
            var n = 0
            while let c = u.first, c >= 0x30, c <= 0x39 { u = u.dropFirst(); n += 1 }
            return n
        }
        if let c = u.first, c == UInt8(ascii: "+") || c == UInt8(ascii: "-") { u = u.dropFirst() }
        if u.first == UInt8(ascii: ".") {
            u = u.dropFirst()
            guard digits() > 0 else { return false }
        } else {
            guard digits() > 0 else { return false }
            if u.first == UInt8(ascii: ".") { u = u.dropFirst(); _ = digits() }
        }
        if let c = u.first, c == UInt8(ascii: "e") || c == UInt8(ascii: "E") {
            u = u.dropFirst()
            if let c = u.first, c == UInt8(ascii: "+") || c == UInt8(ascii: "-") { u = u.dropFirst() }
            guard digits() > 0 else { return false }
        }
        return u.isEmpty
    }
}
