import ComposeModel
import Foundation

/// Variable substitution as Docker Compose v2 does it (compose-go `template` + `interpolation`).
///
/// In a string: `$$` is a literal `$`; `$NAME` and `${NAME}` are looked up (unset: empty, with
/// a warning); `${NAME:-d}` / `${NAME-d}` give `d` when NAME is unset or empty / unset;
/// `${NAME:+r}` / `${NAME+r}` give `r` when NAME is set and non-empty / set; `${NAME:?msg}` /
/// `${NAME?msg}` fail with msg when NAME is unset or empty / unset. Defaults and messages are
/// themselves interpolated, so `${A:-${B:-c}}` nests. A `$` before anything else is kept as it
/// is; `${` that does not open a valid form is an error quoting the whole string.
///
/// Over a document only values are interpolated, never keys, and afterwards the strings at the
/// paths Compose types as numbers or booleans are converted (`cpus: "${CPUS}"` → 1.5,
/// `privileged: "yes"` → true, with Compose's YAML 1.2 warning).
public enum Interpolation {
    enum TemplateError: Error {
        /// A malformed `${…}`; the associated value is the whole template.
        case invalid(String)
        /// `${NAME?reason}` or `${NAME:?reason}` with NAME missing.
        case missing(name: String, reason: String)
    }

    /// Substitutes one string (for values outside a document, such as the top-level `name`).
    public static func substitute(_ template: String, lookup: (String) -> String?) throws -> String {
        do {
            return try substituteRaw(template, lookup: lookup, unset: { _ in })
        } catch let e as TemplateError {
            throw ComposeError(describe(e, path: "name"))
        }
    }

    static func describe(_ e: TemplateError, path: String) -> String {
        switch e {
        case .invalid(let t):
            return "invalid interpolation format for \(path).\nYou may need to escape any $ with another $.\n\(t)"
        case .missing(let name, let reason):
            return "error while interpolating \(path): required variable \(name) is missing a value" + (reason.isEmpty ? "" : ": \(reason)")
        }
    }

    // MARK: - Strings

    private static let operators: [String] = [":?", "?", ":-", "-", ":+", "+"]

    static func isNameStart(_ b: UInt8) -> Bool {
        b == UInt8(ascii: "_") || (b >= 0x41 && b <= 0x5A) || (b >= 0x61 && b <= 0x7A)
    }
    static func isNameChar(_ b: UInt8) -> Bool { isNameStart(b) || (b >= 0x30 && b <= 0x39) }

    /// The substitution proper. Every match is evaluated (so every unset variable is reported),
    /// and the first error is thrown at the end, as compose-go does.
    static func substituteRaw(_ template: String, lookup: (String) -> String?, unset: (String) -> Void) throws -> String {
        let t = Array(template.utf8)
        guard t.contains(UInt8(ascii: "$")) else { return template }
        var out: [UInt8] = []
        out.reserveCapacity(t.count)
        var firstError: TemplateError?
        var i = 0
        let n = t.count
        while i < n {
            guard t[i] == UInt8(ascii: "$"), i + 1 < n else { out.append(t[i]); i += 1; continue }
            let next = t[i + 1]
            if next == UInt8(ascii: "$") {
                out.append(next); i += 2; continue
            }
            if isNameStart(next) {
                var j = i + 1
                while j < n, isNameChar(t[j]) { j += 1 }
                let name = String(decoding: t[(i + 1)..<j], as: UTF8.self)
                if let v = lookup(name) { out += Array(v.utf8) } else { unset(name) }
                i = j
                continue
            }
            guard next == UInt8(ascii: "{") else { out.append(t[i]); i += 1; continue }
            guard let end = bracedEnd(t, from: i) else {
                if firstError == nil { firstError = .invalid(template) }
                i += 2
                continue
            }
            do {
                out += Array(try replace(Array(t[i..<end]), lookup: lookup, unset: unset).utf8)
            } catch let e as TemplateError {
                if firstError == nil {
                    if case .invalid(let inner) = e, inner.isEmpty { firstError = .invalid(template) } else { firstError = e }
                }
            }
            i = end
        }
        if let firstError { throw firstError }
        return String(decoding: out, as: UTF8.self)
    }

    /// The end (exclusive) of `${NAME}` or `${NAME<op>…}` starting at `start`, as Go's regexp
    /// `\$\{[_a-z][_a-z0-9]*(?::?[-+?](.*))?\}` matches it: with an operator, up to the last `}`
    /// before the end of the line. Nil when no valid form starts there.
    static func bracedEnd(_ t: [UInt8], from start: Int) -> Int? {
        let n = t.count
        var k = start + 2
        guard k < n, isNameStart(t[k]) else { return nil }
        while k < n, isNameChar(t[k]) { k += 1 }
        guard k < n else { return nil }
        if t[k] == UInt8(ascii: "}") { return k + 1 }
        var afterOp = k
        if t[k] == UInt8(ascii: ":") { afterOp += 1 }
        guard afterOp < n, t[afterOp] == UInt8(ascii: "-") || t[afterOp] == UInt8(ascii: "+") || t[afterOp] == UInt8(ascii: "?") else { return nil }
        afterOp += 1
        var lineEnd = afterOp
        while lineEnd < n, t[lineEnd] != 0x0A { lineEnd += 1 }
        var last = lineEnd - 1
        while last >= afterOp, t[last] != UInt8(ascii: "}") { last -= 1 }
        return last >= afterOp ? last + 1 : nil
    }

    /// Where `needle` first starts in `bytes`, counted from the slice's start (a plain byte
    /// search: the operators are ASCII, so no Unicode comparison is needed).
    static func byteOffset(of needle: String, in bytes: ArraySlice<UInt8>) -> Int? {
        let n = Array(needle.utf8)
        guard !n.isEmpty, bytes.count >= n.count else { return nil }
        var i = bytes.startIndex
        while i <= bytes.endIndex - n.count {
            if bytes[i] == n[0], bytes[i..<(i + n.count)].elementsEqual(n) { return i - bytes.startIndex }
            i += 1
        }
        return nil
    }

    /// compose-go's replacement of one matched `${…}`: the operator is the earliest one in the
    /// match, the match is cut at the first balanced `}` and what follows the cut is substituted
    /// and appended.
    static func replace(_ match: [UInt8], lookup: (String) -> String?, unset: (String) -> Void) throws -> String {
        var op: String?
        var best = Int.max
        for o in operators {
            if let d = byteOffset(of: o, in: match[...]), d < best { best = d; op = o }
        }
        var cut = match
        var rest: [UInt8] = []
        var depth = 0
        var i = 0
        while i < match.count {
            if match[i] == UInt8(ascii: "}") {
                depth -= 1
                if depth == 0 { cut = Array(match[...i]); rest = Array(match[(i + 1)...]); break }
            }
            if match[i] == UInt8(ascii: "{") { depth += 1; i += 1 }
            i += 1
        }
        guard let end = bracedEnd(cut, from: 0) else { throw TemplateError.invalid("") }
        let inner = cut[2..<(end - 1)]
        if let op, let d = byteOffset(of: op, in: inner) {
            let name = String(decoding: inner[inner.startIndex..<(inner.startIndex + d)], as: UTF8.self)
            let arg = try substituteRaw(String(decoding: inner[(inner.startIndex + d + op.utf8.count)...], as: UTF8.self),
                                        lookup: lookup, unset: unset)
            let value = lookup(name)
            let result: String
            switch op {
            case ":-": result = (value ?? "").isEmpty ? arg : value!
            case "-": result = value ?? arg
            case ":+": result = (value.map { !$0.isEmpty } ?? false) ? arg : (value ?? "")
            case "+": result = value != nil ? arg : ""
            case ":?":
                guard let v = value, !v.isEmpty else { throw TemplateError.missing(name: name, reason: arg) }
                result = v
            default:
                guard let v = value else { throw TemplateError.missing(name: name, reason: arg) }
                result = v
            }
            return result + (try substituteRaw(String(decoding: rest, as: UTF8.self), lookup: lookup, unset: unset))
        }
        let substitution = String(decoding: inner, as: UTF8.self)
        if let v = lookup(substitution) { return v }
        unset(substitution)
        return ""
    }

    // MARK: - Documents

    /// Interpolates every string value of a parsed document (keys stay as they are), then casts
    /// the values at the paths Compose types as integers, numbers or booleans.
    /// `unset` is told the name of each variable used but not set; `warn` gets other warnings.
    public static func interpolate(_ node: ComposeNode, lookup: (String) -> String?, unset: (String) -> Void = { _ in },
                                   warn: (String) -> Void = { _ in }) throws -> ComposeNode {
        var path: [String] = []
        return try walk(node, path: &path, lookup: lookup, unset: unset, warn: warn)
    }

    private static func walk(_ node: ComposeNode, path: inout [String], lookup: (String) -> String?,
                             unset: (String) -> Void, warn: (String) -> Void) throws -> ComposeNode {
        switch node.value {
        case .string(let s):
            let shown = path.joined(separator: ".")
            let value: String
            do {
                value = try substituteRaw(s, lookup: lookup, unset: unset)
            } catch let e as TemplateError {
                throw ComposeError(describe(e, path: shown), mark: node.mark)
            }
            guard let cast = caster(for: path) else {
                var copy = node
                copy.value = .string(value)
                return copy
            }
            do {
                var copy = node
                copy.value = try apply(cast, value, warn: warn)
                return copy
            } catch let e as CastError {
                throw ComposeError("error while interpolating \(shown): failed to cast to expected type: \(e.text)", mark: node.mark)
            }
        case .object(var o):
            for k in o.keys {
                path.append(k)
                defer { path.removeLast() }
                o.set(k, try walk(o[k]!, path: &path, lookup: lookup, unset: unset, warn: warn), keyMark: o.keyMark(k))
            }
            var copy = node
            copy.value = .object(o)
            return copy
        case .array(let a):
            path.append("[]")
            defer { path.removeLast() }
            var copy = node
            copy.value = .array(try a.map { try walk($0, path: &path, lookup: lookup, unset: unset, warn: warn) })
            return copy
        default:
            return node
        }
    }

    // MARK: - Casts

    struct CastError: Error { var text: String }
    enum Cast: Sendable { case toInt, toInt64, toFloat, toFloat32, toBool }

    /// compose-go's `interpolateTypeCastMapping`: `*` is any one key, `[]` any list item.
    private static let castTable: [([String], Cast)] = {
        func svc(_ p: String...) -> [String] { ["services", "*"] + p }
        return [
            // configs/secrets `mode` is listed in compose-go but measured on 2.40.3 it is not cast:
            // `mode: "${M}"` with M=0440 is read as octal text, like any string mode (FileMode).
            (svc("cpu_count"), .toInt64), (svc("cpu_percent"), .toFloat), (svc("cpu_period"), .toInt64),
            (svc("cpu_quota"), .toInt64), (svc("cpu_rt_period"), .toInt64), (svc("cpu_rt_runtime"), .toInt64),
            (svc("cpus"), .toFloat32), (svc("cpu_shares"), .toInt64), (svc("init"), .toBool),
            (svc("deploy", "replicas"), .toInt),
            (svc("deploy", "update_config", "parallelism"), .toInt),
            (svc("deploy", "update_config", "max_failure_ratio"), .toFloat),
            (svc("deploy", "rollback_config", "parallelism"), .toInt),
            (svc("deploy", "rollback_config", "max_failure_ratio"), .toFloat),
            (svc("deploy", "restart_policy", "max_attempts"), .toInt),
            (svc("deploy", "placement", "max_replicas_per_node"), .toInt),
            (svc("healthcheck", "retries"), .toInt), (svc("healthcheck", "disable"), .toBool),
            (svc("oom_kill_disable"), .toBool), (svc("oom_score_adj"), .toInt64), (svc("pids_limit"), .toInt64),
            (svc("ports", "[]", "target"), .toInt), (svc("privileged"), .toBool), (svc("read_only"), .toBool),
            (svc("scale"), .toInt), (svc("stdin_open"), .toBool),
            (svc("tty"), .toBool),
            (svc("ulimits", "*"), .toInt), (svc("ulimits", "*", "hard"), .toInt), (svc("ulimits", "*", "soft"), .toInt),
            (svc("volumes", "[]", "read_only"), .toBool), (svc("volumes", "[]", "volume", "nocopy"), .toBool),
            (["networks", "*", "external"], .toBool), (["networks", "*", "internal"], .toBool),
            (["networks", "*", "attachable"], .toBool), (["networks", "*", "enable_ipv6"], .toBool),
            (["volumes", "*", "external"], .toBool), (["secrets", "*", "external"], .toBool),
            (["configs", "*", "external"], .toBool),
        ]
    }()

    static func caster(for path: [String]) -> Cast? {
        guard let first = path.first, first == "services" || first == "networks" || first == "volumes" || first == "secrets" || first == "configs" else { return nil }
        for (pattern, cast) in castTable where pattern.count == path.count {
            if zip(pattern, path).allSatisfy({ $0 == "*" || $0 == $1 }) { return cast }
        }
        return nil
    }

    /// Go's `strconv.ParseInt(s, 10, 64)` (Atoi is the same on 64-bit).
    static func parseGoInt(_ s: String, fn: String) throws -> Int {
        var body = Substring(s)
        if body.first == "+" || body.first == "-" { body = body.dropFirst() }
        guard !body.isEmpty, body.utf8.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }) else {
            throw CastError(text: "strconv.\(fn): parsing \(goQuote(s)): invalid syntax")
        }
        guard let v = Int(s.hasPrefix("+") ? String(s.dropFirst()) : s) else {
            throw CastError(text: "strconv.\(fn): parsing \(goQuote(s)): value out of range")
        }
        return v
    }

    
    static func parseGoFloat(_ s: String) throws -> Double {
        let t = s.lowercased()
        let body = t.hasPrefix("+") || t.hasPrefix("-") ? String(t.dropFirst()) : t
        if ["inf", "infinity"].contains(body) { return t.hasPrefix("-") ? -.infinity : .infinity }
        if body == "nan" { return .nan }
        guard !body.isEmpty, body.allSatisfy({ "0123456789.e+-_xp".contains($0) || $0.isHexDigit }),
              let v = Double(s.replacingOccurrences(of: "_", with: "")) else {
            throw CastError(text: "strconv.ParseFloat: parsing \(goQuote(s)): invalid syntax")
        }
        return v
    }

        /// A float32, kept as the shortest decimal that reads back as the same float32 (what Go
    /// prints for it).
    static func apply(_ cast: Cast, _ s: String, warn: (String) -> Void) throws -> ComposeValue {
        switch cast {
        case .toInt: return .int(try parseGoInt(s, fn: "Atoi"))
        case .toInt64: return .int(try parseGoInt(s, fn: "ParseInt"))
        case .toFloat: return .double(try parseGoFloat(s))
        case .toFloat32: return try float32(s)
        case .toBool: return try bool(s, warn: warn)
        }
    }

    static func float32(_ s: String) throws -> ComposeValue {
        let d = try parseGoFloat(s)
        let f = Float(d)
        guard f.isFinite || !d.isFinite else {
            throw CastError(text: "strconv.ParseFloat: parsing \(goQuote(s)): value out of range")
        }
        return .double(Double(f.description) ?? d)
    }

    static func bool(_ s: String, warn: (String) -> Void) throws -> ComposeValue {
        switch s.lowercased() {
        case "true": return .bool(true)
        case "false": return .bool(false)
        case "y", "yes", "on":
            warn("\(goQuote(s)) for boolean is not supported by YAML 1.2, please use `true`")
            return .bool(true)
        case "n", "no", "off":
            warn("\(goQuote(s)) for boolean is not supported by YAML 1.2, please use `false`")
            return .bool(false)
        default: throw CastError(text: "invalid boolean: \(s)")
        }
    }
}
