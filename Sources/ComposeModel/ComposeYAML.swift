/// YAML text for a `ComposeNode`: block style, keys sorted like the JSON output, strings quoted
/// only where a YAML reader would otherwise read them as something else.
public enum ComposeYAML {
    public static func render(_ node: ComposeNode) -> String {
        var out = ""
        switch node.value {
        case .object(let o) where !o.isEmpty: writeObject(o, into: &out, indent: 0)
        case .array(let a) where !a.isEmpty: writeArray(a, into: &out, indent: 0)
        default: out = scalar(node) + "\n"
        }
        return out
    }

    private static func pad(_ n: Int) -> String { String(repeating: "  ", count: n) }

    private static func writeObject(_ o: ComposeObject, into out: inout String, indent: Int) {
        for key in o.sortedKeys {
            let v = o[key] ?? .null
            out += pad(indent) + quoteIfNeeded(key) + ":"
            writeValue(v, into: &out, indent: indent, inSequence: false)
        }
    }

    private static func writeArray(_ a: [ComposeNode], into out: inout String, indent: Int) {
        for v in a {
            out += pad(indent) + "-"
            switch v.value {
            case .object(let o) where !o.isEmpty:
                // The first key goes on the dash line, the rest align under it.
                var first = true
                for key in o.sortedKeys {
                    let child = o[key] ?? .null
                    out += (first ? " " : pad(indent + 1)) + quoteIfNeeded(key) + ":"
                    writeValue(child, into: &out, indent: indent + 1, inSequence: false)
                    first = false
                }
            default:
                writeValue(v, into: &out, indent: indent, inSequence: true)
            }
        }
    }

    private static func writeValue(_ v: ComposeNode, into out: inout String, indent: Int, inSequence: Bool) {
        switch v.value {
        case .object(let o) where !o.isEmpty:
            out += "\n"
            writeObject(o, into: &out, indent: indent + 1)
        case .array(let a) where !a.isEmpty:
            out += "\n"
            writeArray(a, into: &out, indent: inSequence ? indent + 1 : indent + 1)
        case .string(let s) where s.utf8.contains(0x0A) && literalBlockKeepsIndent(s) && !s.utf8.contains(0x0D):
            let indicator = s.hasSuffix("\n") ? (s.hasSuffix("\n\n") ? "|+" : "|") : "|-"
            out += " " + indicator + "\n"
            var body = s
            if body.hasSuffix("\n") { body.removeLast() }
            for line in body.split(separator: "\n", omittingEmptySubsequences: false) {
                out += line.isEmpty ? "\n" : pad(indent + 1) + line + "\n"
            }
        default:
            out += " " + scalar(v) + "\n"
        }
    }

    /// A literal block takes its indentation from its first non-empty line: one that starts with
    /// a space or tab would lose those, so such text is written double-quoted instead.
    private static func literalBlockKeepsIndent(_ s: String) -> Bool {
        guard let first = s.split(separator: "\n").first(where: { !$0.isEmpty }) else { return false }
        return first.first != " " && first.first != "\t"
    }

    private static func scalar(_ v: ComposeNode) -> String {
        switch v.value {
        case .null: return "null"
        case .bool(let b): return b ? "true" : "false"
        case .int(let i): return String(i)
        case .double(let d): return ComposeJSON.formatDouble(d)
        case .string(let s): return quoteIfNeeded(s)
        case .array: return "[]"
        case .object: return "{}"
        }
    }

    /// Plain when a YAML 1.1 or 1.2 reader reads the text back as the same string, else double-quoted.
    static func quoteIfNeeded(_ s: String) -> String {
        if needsQuotes(s) {
            var out = ""
            ComposeJSON.writeString(s, into: &out)
            return out
        }
        return s
    }

    private static let reserved: Set<String> = [
        "", "~", "null", "true", "false", "yes", "no", "on", "off", "y", "n",
    ]

    private static let indicators = Set("-?:,[]{}#&*!|>'\"%@`".utf8)
    private static let numberLike = Set("0123456789.:_+-eExXoObBabcdefABCDEF".utf8)

    /// One pass over the UTF-8 bytes (this runs for every scalar of the output).
    private static func needsQuotes(_ s: String) -> Bool {
        let bytes = s.utf8
        guard let first = bytes.first, let last = bytes.last else { return true }
        if bytes.count <= 5, reserved.contains(s.lowercased()) { return true }
        let space = UInt8(ascii: " "), tab = UInt8(ascii: "\t"), colon = UInt8(ascii: ":"), hash = UInt8(ascii: "#")
        if first == space || first == tab || last == space || last == tab { return true }
        if indicators.contains(first) || last == colon { return true }
        // Anything that looks like a number (incl. sexagesimal 22:22 for YAML 1.1 readers).
        var numeric = first == UInt8(ascii: ".") || first == UInt8(ascii: "+") || (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(first)
        var previous: UInt8 = 0
        for b in bytes {
            if b < 0x20 || b == 0x7F { return true }
            if previous == colon && b == space { return true }  // ": "
            if previous == space && b == hash { return true }   // " #"
            if numeric, !numberLike.contains(b) { numeric = false }
            previous = b
        }
        return numeric
    }
}
