import ComposeModel

/// One schema violation: where in the document (key path and source mark), and which rule.
public struct SchemaFailure: Sendable, CustomStringConvertible {
    public enum Kind: Sendable {
        case falseSchema
        case type(want: [String], got: String)
        case const(ComposeNode)
        case enumeration([ComposeNode])
        case format(String, String)
        case required([String])
        case dependentRequired(String, [String])
        /// Unknown keys, and the keys the schema knows there (for "did you mean" hints).
        case additionalProperties([String], known: [String])
        case propertyName(String)
        case minProperties(got: Int, want: Int)
        case maxProperties(got: Int, want: Int)
        case minItems(got: Int, want: Int)
        case maxItems(got: Int, want: Int)
        case additionalItems(Int)
        case uniqueItems(Int, Int)
        case minLength(got: Int, want: Int)
        case maxLength(got: Int, want: Int)
        case pattern(got: String, pattern: String)
        case minimum(Double)
        case maximum(Double)
        case exclusiveMinimum(Double)
        case exclusiveMaximum(Double)
        case multipleOf(Double)
        case not
        /// More than one `oneOf` branch matched.
        case oneOfSeveral(Int, Int)
    }

    public var kind: Kind
    public var path: [KeyPath.Component]
    /// The offending value, for messages that quote it.
    var offendingValue: ComposeNode?
    /// The offending value's position; for unknown keys, the first unknown key's own position.
    public var mark: SourceMark?

    /// compose-go's measure: the depth of the instance location, one more for unknown keys.
    var specificity: Int {
        if case .additionalProperties = kind { return path.count + 1 }
        return path.count
    }

    /// The key path as swcompose prints it: `services.web.ports[0]`.
    public var keyPath: String { KeyPath(path).description }

    /// The key path as Docker Compose prints it: `services.web.ports.0`.
    public var dockerPath: String {
        path.map { c -> String in
            switch c {
            case .key(let k): return k
            case .index(let i): return String(i)
            }
        }.joined(separator: ".")
    }

    /// The text Docker Compose (compose-go with santhosh-tekuri/jsonschema) prints after
    /// "validating FILE: ", e.g. `services.kafka additional properties 'restrat' not allowed`.
    public var dockerText: String {
        let p = dockerPath
        switch kind {
        case .type(let want, _):
            return "\(p) must be a \(SchemaFailure.humanTypes(want))"
        case .minimum(let m):
            return "\(p) must be greater than or equal to \(SchemaFailure.number(m))"
        case .maximum(let m):
            return "\(p) must be less than or equal to \(SchemaFailure.number(m))"
        default:
            return "\(p) \(dockerDetail)"
        }
    }

    /// santhosh-tekuri/jsonschema's wording of the rule, without the path.
    var dockerDetail: String {
        switch kind {
        case .falseSchema: return "false schema"
        case .type(let want, let got): return "got \(got), want \(want.joined(separator: " or "))"
        case .const(let c): return "value must be \(SchemaFailure.display(c))"
        case .enumeration(let values):
            if values.contains(where: { $0.array != nil || $0.object != nil }) { return "enum failed" }
            if values.count == 1 { return "value must be \(SchemaFailure.display(values[0]))" }
            return "value must be one of \(values.map(SchemaFailure.display).joined(separator: ", "))"
        case .format(let f, let problem): return "is not valid \(f): \(problem)"
        case .required(let missing):
            if missing.count == 1 { return "missing property \(SchemaFailure.quote(missing[0]))" }
            return "missing properties \(missing.map(SchemaFailure.quote).joined(separator: ", "))"
        case .dependentRequired(let prop, let missing):
            return "properties \(missing.map(SchemaFailure.quote).joined(separator: ", ")) required, if \(SchemaFailure.quote(prop)) exists"
        case .additionalProperties(let keys, _):
            return "additional properties \(keys.map(SchemaFailure.quote).joined(separator: ", ")) not allowed"
        case .propertyName(let k): return "invalid property \(SchemaFailure.quote(k))"
        case .minProperties(let got, let want): return "minProperties: got \(got), want \(want)"
        case .maxProperties(let got, let want): return "maxProperties: got \(got), want \(want)"
        case .minItems(let got, let want): return "minItems: got \(got), want \(want)"
        case .maxItems(let got, let want): return "maxItems: got \(got), want \(want)"
        case .additionalItems(let n): return "last \(n) additionalItem(s) not allowed"
        case .uniqueItems(let i, let j): return "items at \(i) and \(j) are equal"
        case .minLength(let got, let want): return "minLength: got \(got), want \(want)"
        case .maxLength(let got, let want): return "maxLength: got \(got), want \(want)"
        case .pattern(let got, let pattern): return "\(SchemaFailure.quote(got)) does not match pattern \(SchemaFailure.quote(pattern))"
        case .minimum(let m): return "must be greater than or equal to \(SchemaFailure.number(m))"
        case .maximum(let m): return "must be less than or equal to \(SchemaFailure.number(m))"
        case .exclusiveMinimum(let m): return "must be greater than \(SchemaFailure.number(m))"
        case .exclusiveMaximum(let m): return "must be less than \(SchemaFailure.number(m))"
        case .multipleOf(let m): return "must be a multiple of \(SchemaFailure.number(m))"
        case .not: return "not failed"
        case .oneOfSeveral(let a, let b): return "oneOf failed, subschemas \(a), \(b) matched"
        }
    }

    /// The explanation swcompose prints after the position: Docker Compose's own text (so that
    /// whatever Docker users search for is there), then what was found and a "did you mean" hint
    /// where a known name is close.
    public var message: String {
        var text = dockerText
        if text.hasPrefix(" ") { text.removeFirst() }  // a violation of the whole document
        switch kind {
        case .type(_, let got):
            text += " (found \(SchemaFailure.article(SchemaFailure.plainTypes([got]))))"
        case .enumeration(let values):
            var notes: [String] = []
            if let got = valueText { notes.append("found \(got)") }
            if let s = offendingString, let near = closestName(to: s, among: values.compactMap(\.string)) {
                notes.append("did you mean \"\(near)\"?")
            }
            if !notes.isEmpty { text += " (" + notes.joined(separator: "; ") + ")" }
        case .const:
            if let got = valueText { text += " (found \(got))" }
        case .additionalProperties(let keys, let known):
            let hints = keys.compactMap { k in closestName(to: k, among: known).map { (k, $0) } }
            if keys.count == 1, let (_, near) = hints.first {
                text += " (did you mean \"\(near)\"?)"
            } else if !hints.isEmpty {
                text += " (did you mean " + hints.map { "\"\($1)\" for '\($0)'" }.joined(separator: ", ") + "?)"
            }
        case .uniqueItems:
            text += " (the entries of this list must be unique)"
        case .oneOfSeveral:
            text += " (it must match exactly one of the allowed forms)"
        default:
            break
        }
        return text
    }

    public var description: String {
        (mark.map { "\($0.file):\($0.line):\($0.column): " } ?? "") + message
    }

    private var valueText: String? {
        guard let v = offendingValue else { return nil }
        if v.array != nil || v.object != nil { return nil }
        return SchemaFailure.display(v)
    }

    private var offendingString: String? { offendingValue?.string }

    // MARK: - Wording helpers (the conventions compose-go and santhosh-tekuri use)

    /// compose-go's `humanReadableType`: `object` is a mapping; several types are sorted and
    /// joined with commas and a final "or".
    static func humanTypes(_ want: [String]) -> String {
        let names = want.map { $0 == "object" ? "mapping" : $0 }
        if names.count == 1 { return names[0] }
        let sorted = names.sorted()
        return sorted.dropLast().joined(separator: ", ") + " or " + (sorted.last ?? "")
    }

    /// The type names in the words of Compose users: `object` is a mapping, `array` a list.
    static func plainTypes(_ want: [String]) -> String {
        let names = want.map { $0 == "object" ? "mapping" : $0 == "array" ? "list" : $0 }.sorted()
        if names.count == 1 { return names[0] }
        return names.dropLast().joined(separator: ", ") + " or " + (names.last ?? "")
    }

    /// "a string", "an integer".
    static func article(_ phrase: String) -> String {
        guard let c = phrase.first else { return phrase }
        return ("aeiou".contains(c) ? "an " : "a ") + phrase
    }

    static func number(_ d: Double) -> String {
        if d == d.rounded(), abs(d) < 1e15 { return String(Int(d)) }
        return String(d)
    }

    /// santhosh-tekuri's `quote`: Go-quoted text in single quotes.
    static func quote(_ s: String) -> String { goQuote(s, quote: "'") }

    /// santhosh-tekuri's `display` of a primitive value.
    static func display(_ v: ComposeNode) -> String {
        switch v.value {
        case .string(let s): return quote(s)
        case .array, .object: return "value"
        case .null: return "<nil>"
        default: return v.scalarText ?? "value"
        }
    }
}
