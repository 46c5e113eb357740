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
            let parser = try Parser(yaml: text)
            while let node = try parser.nextRoot() {
                docs.append(try convert(node, file: file, path: KeyPath()))
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

    static func convert(_ node: Node, file: String, path: KeyPath) throws -> ComposeNode {
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
                    value = resolvePlain(s.string) ?? .string(s.string)
                } else {
                    value = .string(s.string)
                }
            }
            return ComposeNode(value, mark: m, tag: mergeTag(s.tag))
        case .sequence(let seq):
            var items: [ComposeNode] = []
            items.reserveCapacity(seq.count)
            for (i, n) in seq.enumerated() { items.append(try convert(n, file: file, path: path + i)) }
            return ComposeNode(.array(items), mark: mark(seq.mark, file), tag: mergeTag(seq.tag))
        case .mapping(let map):
            var obj = ComposeObject()
            var merges: [ComposeNode] = []
            for (k, v) in map {
                let keyText: String
                if case .scalar(let ks) = k {
                    if ks.string == "<<", ks.style == .plain {
                        let merged = try convert(v, file: file, path: path + "<<")
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
                    keyText = keyString(ks)
                } else {
                    throw ComposeError("mapping keys must be scalars", path: path.description, mark: mark(k.mark, file))
                }
                obj.set(keyText, try convert(v, file: file, path: path + keyText), keyMark: mark(k.mark, file))
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

    /// Keys become strings as compose-go's `convertToStringKeysRecursive` makes them: the
    /// scalar's value printed (`1` → "1", `true` → "true", `null` → "null" is not possible in Go:
    /// a null key prints as "<nil>").
    private static func keyString(_ s: Node.Scalar) -> String {
        guard s.style == .plain, let v = resolvePlain(s.string) else { return s.string }
        switch v {
        case .null: return "<nil>"
        case .double(let d): return ComposeJSON.formatDouble(d)
        default: return ComposeNode(v).scalarText ?? s.string
        }
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
        var prefixed = false
        let lower = s.lowercased()
        if lower.hasPrefix("0x") { radix = 16; s = s.dropFirst(2); prefixed = true }
        else if lower.hasPrefix("0o") { radix = 8; s = s.dropFirst(2); prefixed = true }
        else if lower.hasPrefix("0b") { radix = 2; s = s.dropFirst(2); prefixed = true }
        else if s.count > 1, s.hasPrefix("0") { radix = 8; s = s.dropFirst(); prefixed = true }
        var digits = String(s)
        if prefixed { digits = digits.replacingOccurrences(of: "_", with: "") }
        guard !digits.isEmpty, digits.allSatisfy({ $0.isHexDigit }), let magnitude = UInt64(digits, radix: radix) else { return nil }
        if negative {
            guard magnitude <= UInt64(Int64.max) + 1 else { return nil }
            return magnitude == UInt64(Int64.max) + 1 ? Int.min : -Int(magnitude)
        }
        guard magnitude <= UInt64(Int64.max) else { return nil }
        return Int(magnitude)
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
