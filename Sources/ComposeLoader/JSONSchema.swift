import Foundation
import ComposeModel

/// A JSON Schema (draft-07 to 2020-12 keywords) compiled once into a flat table of nodes, for
/// validating `ComposeNode` trees many times without looking at the schema text again.
///
/// Evaluation follows the order and rules of santhosh-tekuri/jsonschema v6, the validator
/// compose-go uses: `type`, `const`, `enum` and `format` stop at the first failure; in draft-07
/// a `$ref` replaces its siblings; object, array, string and number keywords collect every
/// failure; `oneOf`/`anyOf`/`allOf`/`not`/`if` come last. The result is the single most specific
/// failure (the deepest instance location, an unknown property counting one level deeper; the
/// first one wins a tie), which is the one compose-go reports.
public final class JSONSchema: Sendable {
    /// Why a schema could not be compiled: the keyword's location in the schema and the problem.
    public struct CompileError: Error, CustomStringConvertible {
        public var location: String
        public var message: String
        public var description: String { "invalid JSON schema at \(location.isEmpty ? "#" : location): \(message)" }
    }

    enum Additional: Sendable { case any, forbidden, schema(Int) }

    /// One compiled schema object; child schemas are indices into `JSONSchema.nodes`.
    struct Node: Sendable {
        var isFalse = false
        var types: TypeSet?
        var constValue: ComposeNode?
        var enumValues: [ComposeNode]?
        var enumTypes = TypeSet()
        var format: String?
        var ref: Int?
        var refReplacesSiblings = false
        // object
        var minProperties: Int?
        var maxProperties: Int?
        var required: [String] = []
        var dependentRequired: [(String, [String])] = []
        var dependentSchemas: [(String, Int)] = []
        var properties: [String: Int] = [:]
        var propertyOrder: [String] = []
        var patternProperties: [(SchemaPattern, Int)] = []
        var additional: Additional = .any
        var propertyNames: Int?
        // array
        var minItems: Int?
        var maxItems: Int?
        var uniqueItems = false
        var prefixItems: [Int] = []
        var items: Int?
        var additionalItems: Additional = .any
        // string
        var minLength: Int?
        var maxLength: Int?
        var pattern: SchemaPattern?
        // number
        var minimum: Double?
        var maximum: Double?
        var exclusiveMinimum: Double?
        var exclusiveMaximum: Double?
        var multipleOf: Double?
        // applicators
        var allOf: [Int] = []
        var anyOf: [Int] = []
        var oneOf: [Int] = []
        var not: Int?
        var ifSchema: Int?
        var thenSchema: Int?
        var elseSchema: Int?

        /// Whether any object keyword is present (set once compiled), to skip objects quickly.
        var hasObjectKeywords = false

        mutating func finish() {
            var additionalSet = true
            if case .any = additional { additionalSet = false }
            hasObjectKeywords = minProperties != nil || maxProperties != nil || !required.isEmpty
                || !dependentRequired.isEmpty || !dependentSchemas.isEmpty || !properties.isEmpty
                || !patternProperties.isEmpty || propertyNames != nil || additionalSet
        }
    }

    let nodes: [Node]
    let root: Int

    /// Compiles a schema document (as parsed by `ComposeJSON.parse`). `$ref`s must point into
    /// the same document (`#`, `#/definitions/...`, `#/$defs/...` or any JSON pointer).
    public init(_ document: ComposeNode) throws(CompileError) {
        var compiler = Compiler(document: document)
        root = try compiler.compile(document, at: "")
        nodes = compiler.nodes
    }

    /// The most specific failure of `instance`, or nil when it is valid.
    public func validate(_ instance: ComposeNode) -> SchemaFailure? {
        var path: [KeyPath.Component] = []
        return validate(instance, root, &path)
    }

    /// Whether `instance` is valid.
    public func isValid(_ instance: ComposeNode) -> Bool { validate(instance) == nil }

    // MARK: - Validation

    private func validate(_ v: ComposeNode, _ index: Int, _ path: inout [KeyPath.Component]) -> SchemaFailure? {
        let s = nodes[index]
        if s.isFalse { return fail(.falseSchema, v, path) }
        let t = TypeSet.of(v.value)

        if let types = s.types, !types.isEmpty, !types.accepts(v.value, kind: t) {
            return fail(.type(want: types.names, got: t.name), v, path)
        }
        if let c = s.constValue, !jsonEquals(v, c) {
            return fail(.const(c), v, path)
        }
        if let values = s.enumValues {
            let matched = !s.enumTypes.isDisjoint(with: t) && values.contains { jsonEquals(v, $0) }
            if !matched { return fail(.enumeration(values), v, path) }
        }
        if let format = s.format, let problem = SchemaFormats.check(format, v) {
            return fail(.format(format, problem), v, path)
        }

        var best: SchemaFailure?
        if let ref = s.ref {
            let r = validate(v, ref, &path)
            if s.refReplacesSiblings { return r }
            consider(r, &best)
        }

        switch v.value {
        case .object(let obj) where s.hasObjectKeywords:
            validateObject(obj, v, s, &path, &best)
        case .array(let arr):
            validateArray(arr, v, s, &path, &best)
        case .string(let str):
            if s.minLength != nil || s.maxLength != nil {
                let n = str.unicodeScalars.count
                if let m = s.minLength, n < m { consider(fail(.minLength(got: n, want: m), v, path), &best) }
                if let m = s.maxLength, n > m { consider(fail(.maxLength(got: n, want: m), v, path), &best) }
            }
            if let p = s.pattern, !p.matches(str) {
                consider(fail(.pattern(got: str, pattern: p.source), v, path), &best)
            }
        case .int(let i):
            validateNumber(Double(i), v, s, path, &best)
        case .double(let d):
            validateNumber(d, v, s, path, &best)
        default:
            break
        }

        if let n = s.not, validate(v, n, &path) == nil {
            consider(fail(.not, v, path), &best)
        }
        for sub in s.allOf {
            consider(validate(v, sub, &path), &best)
        }
        if !s.anyOf.isEmpty {
            var branchBest: SchemaFailure?
            var matched = false
            for sub in s.anyOf {
                guard let f = validate(v, sub, &path) else { matched = true; break }
                consider(f, &branchBest)
            }
            if !matched { consider(branchBest, &best) }
        }
        if !s.oneOf.isEmpty {
            var branchBest: SchemaFailure?
            var matched: Int?
            for (i, sub) in s.oneOf.enumerated() {
                if let f = validate(v, sub, &path) {
                    if matched == nil { consider(f, &branchBest) }
                } else if let first = matched {
                    consider(fail(.oneOfSeveral(first, i), v, path), &best)
                    break
                } else {
                    matched = i
                }
            }
            if matched == nil { consider(branchBest, &best) }
        }
        if let cond = s.ifSchema {
            if validate(v, cond, &path) == nil {
                if let then = s.thenSchema { consider(validate(v, then, &path), &best) }
            } else if let els = s.elseSchema {
                consider(validate(v, els, &path), &best)
            }
        }
        return best
    }

    private func validateObject(_ obj: ComposeObject, _ v: ComposeNode, _ s: Node,
                                _ path: inout [KeyPath.Component], _ best: inout SchemaFailure?) {
        if let m = s.minProperties, obj.count < m { consider(fail(.minProperties(got: obj.count, want: m), v, path), &best) }
        if let m = s.maxProperties, obj.count > m { consider(fail(.maxProperties(got: obj.count, want: m), v, path), &best) }
        if !s.required.isEmpty {
            let missing = s.required.filter { !obj.contains($0) }
            if !missing.isEmpty { consider(fail(.required(missing), v, path), &best) }
        }
        for (prop, needed) in s.dependentRequired where obj.contains(prop) {
            let missing = needed.filter { !obj.contains($0) }
            if !missing.isEmpty { consider(fail(.dependentRequired(prop, missing), v, path), &best) }
        }
        var unknown: [String] = []
        for (key, value) in obj {
            var evaluated = false
            path.append(.key(key))
            if let sub = s.properties[key] {
                evaluated = true
                consider(validate(value, sub, &path), &best)
            }
            for (pattern, sub) in s.patternProperties where pattern.matches(key) {
                evaluated = true
                consider(validate(value, sub, &path), &best)
            }
            if !evaluated {
                switch s.additional {
                case .any: break
                case .forbidden: unknown.append(key)
                case .schema(let sub): consider(validate(value, sub, &path), &best)
                }
            }
            path.removeLast()
        }
        if !unknown.isEmpty {
            var f = fail(.additionalProperties(unknown, known: s.propertyOrder), v, path)
            if let km = obj.keyMark(unknown[0]) ?? obj[unknown[0]]?.mark { f.mark = km }
            consider(f, &best)
        }
        if let names = s.propertyNames {
            for key in obj.keys where validate(.string(key, mark: obj.keyMark(key)), names, &path) != nil {
                var f = fail(.propertyName(key), v, path)
                if let km = obj.keyMark(key) { f.mark = km }
                consider(f, &best)
            }
        }
        for (prop, sub) in s.dependentSchemas where obj.contains(prop) {
            consider(validate(v, sub, &path), &best)
        }
    }

    private func validateArray(_ arr: [ComposeNode], _ v: ComposeNode, _ s: Node,
                               _ path: inout [KeyPath.Component], _ best: inout SchemaFailure?) {
        if let m = s.minItems, arr.count < m { consider(fail(.minItems(got: arr.count, want: m), v, path), &best) }
        if let m = s.maxItems, arr.count > m { consider(fail(.maxItems(got: arr.count, want: m), v, path), &best) }
        if s.uniqueItems, arr.count > 1, let (i, j) = firstDuplicate(arr) {
            consider(fail(.uniqueItems(i, j), v, path), &best)
        }
        let prefix = min(s.prefixItems.count, arr.count)
        for i in 0..<prefix {
            path.append(.index(i))
            consider(validate(arr[i], s.prefixItems[i], &path), &best)
            path.removeLast()
        }
        let rest: Additional
        if let items = s.items { rest = .schema(items) } else { rest = s.additionalItems }
        switch rest {
        case .any: break
        case .forbidden:
            if arr.count > prefix { consider(fail(.additionalItems(arr.count - prefix), v, path), &best) }
        case .schema(let sub):
            for i in prefix..<arr.count {
                path.append(.index(i))
                consider(validate(arr[i], sub, &path), &best)
                path.removeLast()
            }
        }
    }

    private func validateNumber(_ x: Double, _ v: ComposeNode, _ s: Node,
                                _ path: [KeyPath.Component], _ best: inout SchemaFailure?) {
        if let m = s.minimum, x < m { consider(fail(.minimum(m), v, path), &best) }
        if let m = s.maximum, x > m { consider(fail(.maximum(m), v, path), &best) }
        if let m = s.exclusiveMinimum, x <= m { consider(fail(.exclusiveMinimum(m), v, path), &best) }
        if let m = s.exclusiveMaximum, x >= m { consider(fail(.exclusiveMaximum(m), v, path), &best) }
        if let m = s.multipleOf, m != 0 {
            let q = x / m
            if q != q.rounded() { consider(fail(.multipleOf(m), v, path), &best) }
        }
    }

    private func fail(_ kind: SchemaFailure.Kind, _ v: ComposeNode, _ path: [KeyPath.Component]) -> SchemaFailure {
        SchemaFailure(kind: kind, path: path, offendingValue: v, mark: v.mark)
    }

    /// Keeps the more specific failure; on a tie the one found first.
    private func consider(_ f: SchemaFailure?, _ best: inout SchemaFailure?) {
        guard let f else { return }
        if let b = best, f.specificity <= b.specificity { return }
        best = f
    }

    /// The first pair of equal items (indices `i < j`, the smallest `j`), as JSON compares them.
    private func firstDuplicate(_ arr: [ComposeNode]) -> (Int, Int)? {
        if arr.allSatisfy({ $0.string != nil }) {
            var seen: [String: Int] = [:]
            for (j, item) in arr.enumerated() {
                guard let s = item.string else { continue }
                if let i = seen[s] { return (i, j) }
                seen[s] = j
            }
            return nil
        }
        for j in 1..<arr.count {
            for i in 0..<j where jsonEquals(arr[i], arr[j]) { return (i, j) }
        }
        return nil
    }
}

/// JSON equality: numbers by value whatever their spelling, objects regardless of key order.
func jsonEquals(_ a: ComposeNode, _ b: ComposeNode) -> Bool {
    switch (a.value, b.value) {
    case (.null, .null): return true
    case (.bool(let x), .bool(let y)): return x == y
    case (.string(let x), .string(let y)): return x == y
    case (.int(let x), .int(let y)): return x == y
    case (.int(let x), .double(let y)), (.double(let y), .int(let x)): return Double(x) == y
    case (.double(let x), .double(let y)): return x == y
    case (.array(let x), .array(let y)):
        return x.count == y.count && zip(x, y).allSatisfy { jsonEquals($0, $1) }
    case (.object(let x), .object(let y)):
        guard x.count == y.count else { return false }
        for (k, xv) in x {
            guard let yv = y[k], jsonEquals(xv, yv) else { return false }
        }
        return true
    default: return false
    }
}

// MARK: - Types

/// A set of JSON types, as the `type` keyword names them.
struct TypeSet: OptionSet, Sendable {
    let rawValue: UInt8
    static let null = TypeSet(rawValue: 1)
    static let boolean = TypeSet(rawValue: 2)
    static let integer = TypeSet(rawValue: 4)
    static let number = TypeSet(rawValue: 8)
    static let string = TypeSet(rawValue: 16)
    static let array = TypeSet(rawValue: 32)
    static let object = TypeSet(rawValue: 64)

    static let all: [(String, TypeSet)] = [
        ("null", .null), ("boolean", .boolean), ("integer", .integer), ("number", .number),
        ("string", .string), ("array", .array), ("object", .object),
    ]

    init(rawValue: UInt8) { self.rawValue = rawValue }

    init?(name: String) {
        guard let t = TypeSet.all.first(where: { $0.0 == name }) else { return nil }
        self = t.1
    }

    /// The type of a value: integers and integral doubles are both `integer`-compatible numbers;
    /// this returns the narrowest name (`integer` for `.int`, `number` for `.double`).
    static func of(_ v: ComposeValue) -> TypeSet {
        switch v {
        case .null: return .null
        case .bool: return .boolean
        case .int: return .integer
        case .double: return .number
        case .string: return .string
        case .array: return .array
        case .object: return .object
        }
    }

    /// Whether a value of kind `t` satisfies this `type`: an integer is a number, and a double
    /// without a fractional part is an integer (JSON has one number type).
    func accepts(_ v: ComposeValue, kind t: TypeSet) -> Bool {
        if contains(t) { return true }
        if t == .integer { return contains(.number) }
        if t == .number, contains(.integer), case .double(let d) = v { return d.isFinite && d == d.rounded() }
        return false
    }

    /// The names in schema order.
    var names: [String] { TypeSet.all.filter { contains($0.1) }.map(\.0) }
    var name: String { names.first ?? "unknown" }
}

/// The formats a schema may assert. Unknown formats are annotations, as in compose-go (which
/// registers `duration` only).
enum SchemaFormats {
    /// nil when the value conforms, otherwise what is wrong.
    static func check(_ format: String, _ v: ComposeNode) -> String? {
        switch format {
        case "duration":
            guard let s = v.string else { return nil }
            return GoDuration.parse(s) == nil ? "invalid duration \"\(s)\"" : nil
        default:
            return nil
        }
    }
}

/// Go's `time.ParseDuration` grammar: `[-+]` then one or more `<decimal><unit>`, unit one of
/// ns, us, µs, μs, ms, s, m, h; "0" alone is allowed.
enum GoDuration {
    /// The duration in nanoseconds, or nil when the text is not a Go duration.
    static func parse(_ text: String) -> Double? {
        var s = Substring(text)
        var sign = 1.0
        if let c = s.first, c == "-" || c == "+" {
            if c == "-" { sign = -1 }
            s = s.dropFirst()
        }
        if s == "0" { return 0 }
        if s.isEmpty { return nil }
        let units: [(String, Double)] = [("ns", 1), ("us", 1e3), ("µs", 1e3), ("μs", 1e3), ("ms", 1e6),
                                         ("s", 1e9), ("m", 6e10), ("h", 3.6e12)]
        var total = 0.0
        while !s.isEmpty {
            let number = s.prefix { $0.isASCII && ($0.isNumber || $0 == ".") }
            guard !number.isEmpty, number != ".", number.filter({ $0 == "." }).count <= 1,
                  let value = Double(number.hasPrefix(".") ? "0" + number : String(number)) else { return nil }
            s = s.dropFirst(number.count)
            guard let unit = units.first(where: { s.hasPrefix($0.0) && !(($0.0 == "m") && s.hasPrefix("ms")) }) else { return nil }
            s = s.dropFirst(unit.0.count)
            total += value * unit.1
        }
        return sign * total
    }
}

// MARK: - Compiler

extension JSONSchema {
    /// Turns schema JSON into `Node`s; each distinct schema location becomes one node, so shared
    /// `$ref` targets (and recursive ones) are compiled once.
    struct Compiler {
        let document: ComposeNode
        var nodes: [Node] = []
        var byLocation: [String: Int] = [:]
        var draft07 = true

        /// Keywords that carry no validation meaning here.
        static let annotations: Set<String> = [
            "$schema", "$id", "$comment", "$anchor", "title", "description", "default", "examples",
            "deprecated", "readOnly", "writeOnly", "definitions", "$defs", "contentEncoding",
            "contentMediaType",
        ]

        init(document: ComposeNode) {
            self.document = document
            if let s = document["$schema"]?.string {
                draft07 = !(s.contains("2019-09") || s.contains("2020-12"))
            }
        }

        mutating func compile(_ json: ComposeNode, at location: String) throws(CompileError) -> Int {
            if let i = byLocation[location] { return i }
            let index = nodes.count
            nodes.append(Node())
            byLocation[location] = index
            let node = try build(json, at: location)
            nodes[index] = node
            return index
        }

        private mutating func build(_ json: ComposeNode, at loc: String) throws(CompileError) -> Node {
            var n = Node()
            if let b = json.bool { n.isFalse = !b; return n }
            guard let obj = json.object else { throw CompileError(location: loc, message: "a schema must be an object or a boolean") }
            for (key, value) in obj {
                let at = loc + "/" + escape(key)
                switch key {
                case _ where Compiler.annotations.contains(key):
                    continue
                case "type":
                    var set = TypeSet()
                    for name in try strings(value, at, allowSingle: true) {
                        guard let t = TypeSet(name: name) else { throw CompileError(location: at, message: "unknown type \"\(name)\"") }
                        set.insert(t)
                    }
                    n.types = set
                case "const": n.constValue = value
                case "enum":
                    guard let values = value.array else { throw CompileError(location: at, message: "enum must be an array") }
                    n.enumValues = values
                    for v in values {
                        let t = TypeSet.of(v.value)
                        n.enumTypes.insert(t)
                        if t == .integer || t == .number { n.enumTypes.formUnion([.integer, .number]) }
                    }
                case "format": n.format = try string(value, at)
                case "$ref": n.ref = try resolve(try string(value, at), at)
                case "minProperties": n.minProperties = try count(value, at)
                case "maxProperties": n.maxProperties = try count(value, at)
                case "required":
                    // draft-03 booleans do not occur in the dialects handled here.
                    n.required = try strings(value, at, allowSingle: false)
                case "dependentRequired":
                    guard let o = value.object else { throw CompileError(location: at, message: "must be an object") }
                    for (k, v) in o { n.dependentRequired.append((k, try strings(v, at + "/" + escape(k), allowSingle: false))) }
                case "dependentSchemas":
                    guard let o = value.object else { throw CompileError(location: at, message: "must be an object") }
                    for (k, v) in o { n.dependentSchemas.append((k, try compile(v, at: at + "/" + escape(k)))) }
                case "dependencies":
                    guard let o = value.object else { throw CompileError(location: at, message: "must be an object") }
                    for (k, v) in o {
                        if v.array != nil {
                            n.dependentRequired.append((k, try strings(v, at + "/" + escape(k), allowSingle: false)))
                        } else {
                            n.dependentSchemas.append((k, try compile(v, at: at + "/" + escape(k))))
                        }
                    }
                case "properties":
                    guard let o = value.object else { throw CompileError(location: at, message: "must be an object") }
                    for (k, v) in o {
                        n.properties[k] = try compile(v, at: at + "/" + escape(k))
                        n.propertyOrder.append(k)
                    }
                case "patternProperties":
                    guard let o = value.object else { throw CompileError(location: at, message: "must be an object") }
                    for (k, v) in o {
                        n.patternProperties.append((try SchemaPattern(k, at), try compile(v, at: at + "/" + escape(k))))
                    }
                case "additionalProperties": n.additional = try additional(value, at)
                case "propertyNames": n.propertyNames = try compile(value, at: at)
                case "minItems": n.minItems = try count(value, at)
                case "maxItems": n.maxItems = try count(value, at)
                case "uniqueItems": n.uniqueItems = value.bool ?? false
                case "prefixItems":
                    guard let a = value.array else { throw CompileError(location: at, message: "must be an array") }
                    n.prefixItems = try a.enumerated().map { (i, s) throws(CompileError) in try compile(s, at: at + "/\(i)") }
                case "items":
                    if let a = value.array {  // draft-07 tuple form
                        n.prefixItems = try a.enumerated().map { (i, s) throws(CompileError) in try compile(s, at: at + "/\(i)") }
                    } else {
                        n.items = try compile(value, at: at)
                    }
                case "additionalItems": n.additionalItems = try additional(value, at)
                case "minLength": n.minLength = try count(value, at)
                case "maxLength": n.maxLength = try count(value, at)
                case "pattern": n.pattern = try SchemaPattern(try string(value, at), at)
                case "minimum": n.minimum = try number(value, at)
                case "maximum": n.maximum = try number(value, at)
                case "exclusiveMinimum":
                    if value.bool == nil { n.exclusiveMinimum = try number(value, at) }
                case "exclusiveMaximum":
                    if value.bool == nil { n.exclusiveMaximum = try number(value, at) }
                case "multipleOf": n.multipleOf = try number(value, at)
                case "allOf": n.allOf = try list(value, at)
                case "anyOf": n.anyOf = try list(value, at)
                case "oneOf": n.oneOf = try list(value, at)
                case "not": n.not = try compile(value, at: at)
                case "if": n.ifSchema = try compile(value, at: at)
                case "then": n.thenSchema = try compile(value, at: at)
                case "else": n.elseSchema = try compile(value, at: at)
                default:
                    throw CompileError(location: at, message: "unsupported keyword \"\(key)\"")
                }
            }
            n.refReplacesSiblings = draft07 && n.ref != nil
            if n.ifSchema == nil { n.thenSchema = nil; n.elseSchema = nil }
            // exclusiveMinimum/Maximum as booleans (draft-04) turn minimum/maximum exclusive.
            if obj["exclusiveMinimum"]?.bool == true, let m = n.minimum { n.exclusiveMinimum = m; n.minimum = nil }
            if obj["exclusiveMaximum"]?.bool == true, let m = n.maximum { n.exclusiveMaximum = m; n.maximum = nil }
            n.finish()
            return n
        }

        private mutating func resolve(_ ref: String, _ at: String) throws(CompileError) -> Int {
            guard ref.hasPrefix("#") else {
                throw CompileError(location: at, message: "only references into the same document are supported, not \"\(ref)\"")
            }
            let pointer = String(ref.dropFirst()).removingPercentEncoding ?? String(ref.dropFirst())
            var target = document
            for token in pointer.split(separator: "/", omittingEmptySubsequences: false).dropFirst() {
                let key = token.replacingOccurrences(of: "~1", with: "/").replacingOccurrences(of: "~0", with: "~")
                if let o = target.object, let next = o[key] {
                    target = next
                } else if let a = target.array, let i = Int(key), a.indices.contains(i) {
                    target = a[i]
                } else {
                    throw CompileError(location: at, message: "reference \"\(ref)\" points nowhere")
                }
            }
            return try compile(target, at: pointer)
        }

        private mutating func list(_ value: ComposeNode, _ at: String) throws(CompileError) -> [Int] {
            guard let a = value.array, !a.isEmpty else { throw CompileError(location: at, message: "must be a non-empty array of schemas") }
            var out: [Int] = []
            for (i, s) in a.enumerated() { out.append(try compile(s, at: at + "/\(i)")) }
            return out
        }

        private mutating func additional(_ value: ComposeNode, _ at: String) throws(CompileError) -> Additional {
            if let b = value.bool { return b ? .any : .forbidden }
            return .schema(try compile(value, at: at))
        }

        private func string(_ value: ComposeNode, _ at: String) throws(CompileError) -> String {
            guard let s = value.string else { throw CompileError(location: at, message: "must be a string") }
            return s
        }

        private func strings(_ value: ComposeNode, _ at: String, allowSingle: Bool) throws(CompileError) -> [String] {
            if allowSingle, let s = value.string { return [s] }
            guard let a = value.array else { throw CompileError(location: at, message: "must be an array of strings") }
            var out: [String] = []
            for item in a {
                guard let s = item.string else { throw CompileError(location: at, message: "must be an array of strings") }
                out.append(s)
            }
            return out
        }

        private func count(_ value: ComposeNode, _ at: String) throws(CompileError) -> Int {
            if let i = value.int, i >= 0 { return i }
            if case .double(let d) = value.value, d >= 0, d == d.rounded(), let i = Int(exactly: d) { return i }
            throw CompileError(location: at, message: "must be a non-negative integer")
        }

        private func number(_ value: ComposeNode, _ at: String) throws(CompileError) -> Double {
            switch value.value {
            case .int(let i): return Double(i)
            case .double(let d): return d
            default: throw CompileError(location: at, message: "must be a number")
            }
        }

        private func escape(_ key: String) -> String {
            key.replacingOccurrences(of: "~", with: "~0").replacingOccurrences(of: "/", with: "~1")
        }
    }
}
