import ComposeModel
import Foundation
import Yams

/// Reads YAML text into `ComposeNode` trees, one per document, the way Docker Compose's go-yaml
/// v3 decoder reads it into `map[string]any`:
/// - plain scalars resolve by YAML 1.2's core schema (`22:22`, `on`, `yes` stay strings; only
///   `true`/`false` are booleans; `0x1F`, `0o17` and `017` are integers), quoted ones stay strings;
/// - `<<` merge keys are applied (Yams leaves them to us): keys written in the mapping win over
///   merged ones, and of several merged mappings the earlier wins;
/// - `!reset` and `!override` tags are kept on the node for the merge step; `!!str` and friends
///   force the kind.
public enum YAMLReader {
    public static func documents(_ text: String, file: String) throws -> [ComposeNode] {
        var docs: [ComposeNode] = []
        do {
            // The basic resolver: scalars are typed by `resolvePlain` below, by their text; Yams'
            // default resolver would run its regular expressions on every key it hashes.
            let parser = try Parser(yaml: text, resolver: .basic)
            // Aliases are expanded by copying, so a few hundred bytes of nested aliases can stand
            // for billions of values ("billion laughs"). Docker Compose refuses such files with
            // "excessive aliasing"; so do we, with a budget of values far above any real file's
            // size. compose-go's own limit did not stop a 9^10 bomb in 2.40.3 (it passed 17 GB)
            // yet it loads a 3^10 one (about 200,000 values): the budget admits that one and
            // holds memory to some hundreds of MB.
            var budget = 1_000_000 + 100 * text.utf8.count
            while let node = try parser.nextRoot() {
                docs.append(try convert(node, file: file, path: KeyPath(), budget: &budget))
            }
        } catch let e as ComposeError {
            throw e
        } catch let e as YamlError {
            throw yamlError(e, file: file)
        }
        return docs
    }

    private static func yamlError(_ e: YamlError, file: String) -> ComposeError {
        switch e {
        case .scanner(_, let problem, let mark, _), .parser(_, let problem, let mark, _), .composer(_, let problem, let mark, _):
            return ComposeError("invalid YAML: \(problem)", mark: SourceMark(file: file, line: mark.line, column: mark.column))
        case .duplicatedKeysInMapping(let duplicates, let context):
            return ComposeError("mapping key \(duplicates.map { "\"\($0)\"" }.joined(separator: ", ")) already defined",
                                mark: SourceMark(file: file, line: context.mark.line, column: context.mark.column))
        default:
            return ComposeError("invalid YAML: \(e)", file: file)
        }
    }

    private static func mark(_ m: Mark?, _ file: String) -> SourceMark? {
        m.map { SourceMark(file: file, line: $0.line, column: $0.column) }
    }

    private static func mergeTag(_ tag: Tag) -> MergeTag? {
        MergeTag(rawValue: tag.description)
    }

    static func convert(_ node: Node, file: String, path: KeyPath, budget: inout Int) throws -> ComposeNode {
        budget -= 1
        if budget < 0 {
            throw ComposeError("excessive aliasing: the document expands to too many values through YAML aliases", path: path.description, mark: mark(node.mark, file))
        }
        switch node {
        case .scalar(let s):
            let m = mark(s.mark, file)
            let tagName = s.tag.description
            let value: ComposeValue
            switch tagName {
            case "tag:yaml.org,2002:str": value = .string(s.string)
            case "tag:yaml.org,2002:int":
                guard let v = resolvePlain(s.string), case .int = v else {
                    throw ComposeError("cannot read \"\(s.string)\" as an integer (!!int)", path: path.description, mark: m)
                }
                value = v
            case "tag:yaml.org,2002:float":
                guard let d = Double(s.string) else {
                    throw ComposeError("cannot read \"\(s.string)\" as a number (!!float)", path: path.description, mark: m)
                }
                value = .double(d)
            case "tag:yaml.org,2002:bool":
                guard let v = resolvePlain(s.string), case .bool = v else {
                    throw ComposeError("cannot read \"\(s.string)\" as a boolean (!!bool)", path: path.description, mark: m)
                }
                value = v
            case "tag:yaml.org,2002:null": value = .null
            default:
                if s.style == .plain, s.tag.description == "" || mergeTag(s.tag) != nil {
                    if isTimestamp(s.string) {
                        // go-yaml reads it as a time.Time, which no Compose field accepts.
                        throw ComposeError("\(s.string) is read as a YAML timestamp, which Compose does not accept here: quote it to make it a string",
                                           path: path.description, mark: m)
                    }
                    value = resolvePlain(s.string) ?? .string(s.string)
                } else {
                    value = .string(s.string)
                }
            }
            return ComposeNode(value, mark: m, tag: mergeTag(s.tag))
        case .sequence(let seq):
            var items: [ComposeNode] = []
            items.reserveCapacity(seq.count)
            for (i, n) in seq.enumerated() { items.append(try convert(n, file: file, path: path + i, budget: &budget)) }
            return ComposeNode(.array(items), mark: mark(seq.mark, file), tag: mergeTag(seq.tag))
        case .mapping(let map):
            var obj = ComposeObject()
            var merges: [ComposeNode] = []
            for (k, v) in map {
                let keyText: String
                if case .scalar(let ks) = k {
                    if ks.string == "<<", ks.style == .plain {
                        let merged = try convert(v, file: file, path: path + "<<", budget: &budget)
                        switch merged.value {
                        case .object: merges.append(merged)
                        case .array(let list):
                            for item in list {
                                guard item.object != nil else {
                                    throw ComposeError("map merge requires map or sequence of maps as the value", path: path.description, mark: item.mark)
                                }
                                merges.append(item)
                            }
                        default:
                            throw ComposeError("map merge requires map or sequence of maps as the value", path: path.description, mark: merged.mark)
                        }
                        continue
                    }
                    keyText = try keyString(ks, path: path, file: file)
                } else {
                    throw ComposeError("mapping keys must be scalars", path: path.description, mark: mark(k.mark, file))
                }
                obj.set(keyText, try convert(v, file: file, path: path + keyText, budget: &budget), keyMark: mark(k.mark, file))
            }
            for m in merges {
                guard let src = m.object else { continue }
                for (k, v) in src where !obj.contains(k) {
                    obj.set(k, v, keyMark: src.keyMark(k))
                }
            }
            return ComposeNode(.object(obj), mark: mark(map.mark, file), tag: mergeTag(map.tag))
        case .alias:
            // Yams resolves aliases while composing; an unresolved one cannot reach here.
            throw ComposeError("unresolved YAML alias", path: path.description, mark: mark(node.mark, file))
        }
    }

    /// Keys must be strings, as compose-go's `convertToStringKeysRecursive` demands: a plain key
    /// that reads as a number, boolean or null is an error (`1: x` under labels), like Docker's
    /// "non-string key in services.s.labels: 1".
    private static func keyString(_ s: Node.Scalar, path: KeyPath, file: String) throws -> String {
        guard s.style == .plain, resolvePlain(s.string) != nil else { return s.string }
        let where_ = path.description.isEmpty ? "the top level" : path.description
        throw ComposeError("non-string key in \(where_): \(s.string) (quote it to use it as a name)",
                           path: path.description, mark: mark(s.mark, file))
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
