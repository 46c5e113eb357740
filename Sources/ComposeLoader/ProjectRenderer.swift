import ComposeModel

/// The document `docker compose config --format json` prints for a loaded project: compose-go's
/// `types.Project` marshalled by Go's `encoding/json`. Each attribute is decoded into its Go type
/// (sizes in bytes, durations respelt, string commands split, lists of `k=v` made maps), empty
/// `omitempty` attributes are left out, the few attributes Go always prints are added
/// (`command: null`, `ipam: {}`, `deploy.resources: {}`), extensions below the top level are
/// dropped, and resources no service uses are left out.
public enum ProjectRenderer {
    /// The two encodings of `config`. They differ where Go's encoders do: JSON prints an empty
    /// list inside an extension as `null` (a nil slice), YAML as `[]`.
    /// YAML also differs from JSON where compose-go's yaml and json tags differ: `command`,
    /// `entrypoint`, `ipam`, `deploy.resources` and `placement` are `omitempty` in YAML only,
    /// extensions (`x-`) are kept at every level, fields are named by their yaml tag, and the
    /// top-level `models` is printed.
    public enum Format: Sendable { case json, yaml }

    @TaskLocal static var format: Format = .json
    static let yamlOmitsWhenEmpty: Set<String> = ["command", "entrypoint", "ipam", "resources", "placement", "exec"]

    public static func render(_ dict: ComposeNode, format: Format = .json) -> ComposeNode {
        (try? renderThrowing(dict, format: format)) ?? dict
    }

    /// Go's `encoding/json` of a decoded `any`: empty lists were nil slices and print as null.
    static func nullingEmptyLists(_ n: ComposeNode) -> ComposeNode {
        switch n.value {
        case .array(let a): return a.isEmpty ? ComposeNode(.null, mark: n.mark) : ComposeNode(.array(a.map(nullingEmptyLists)), mark: n.mark)
        case .object(var o):
            o.mapValues { _, v in nullingEmptyLists(v) }
            return ComposeNode(.object(o), mark: n.mark)
        default: return n
        }
    }

    /// Decodes every attribute into its Go type, which is also the check for the errors Docker
    /// Compose reports while loading (an invalid duration or byte size).
    static func renderThrowing(_ dict: ComposeNode, format: Format = .json) throws -> ComposeNode {
        try $format.withValue(format) { try renderProject(dict) }
    }

    private static func renderProject(_ dict: ComposeNode) throws -> ComposeNode {
        guard let o = dict.object else { return dict }
        var out = ComposeObject()
        let used = usedResources(dict)
        for (key, node) in o {
            if key.hasPrefix("x-") { out[key] = format == .json ? nullingEmptyLists(node) : node; continue }
            guard let field = ProjectShape.project[key] ?? (format == .yaml && key == "models" ? fld(.dict(ProjectShape.model)) : nil) else { continue }
            var value = node
            if let keep = used[key], var resources = node.object {
                resources.removeAll { !keep.contains($0) }
                value = .object(resources, mark: node.mark)
            }
            let r = try walk(value, field.shape, path: KeyPath(key))
            if !field.always, isEmpty(r) { continue }
            out[key] = r
        }
        if out["services"] == nil { out["services"] = .object(ComposeObject()) }
        return .object(out, mark: dict.mark)
    }

    /// compose-go `WithoutUnnecessaryResources`: the networks, volumes, secrets and configs that
    /// some service refers to.
    static func usedResources(_ dict: ComposeNode) -> [String: Set<String>] {
        var used: [String: Set<String>] = ["networks": [], "volumes": [], "secrets": [], "configs": [], "models": []]
        for (_, svc) in dict["services"]?.object ?? ComposeObject() {
            for k in svc["models"]?.object?.keys ?? [] { used["models", default: []].insert(k) }
            for k in svc["networks"]?.object?.keys ?? [] { used["networks", default: []].insert(k) }
            for n in svc["networks"]?.array ?? [] { if let k = n.string { used["networks", default: []].insert(k) } }
            for v in svc["volumes"]?.array ?? [] where v["type"]?.string == "volume" {
                if let s = v["source"]?.string, !s.isEmpty { used["volumes", default: []].insert(s) }
            }
            for s in (svc["secrets"]?.array ?? []) + (svc["build"]?["secrets"]?.array ?? []) {
                if let k = s["source"]?.string ?? s.string { used["secrets", default: []].insert(k) }
            }
            for c in svc["configs"]?.array ?? [] {
                if let k = c["source"]?.string ?? c.string { used["configs", default: []].insert(k) }
            }
        }
        return used
    }

    static func isEmpty(_ n: ComposeNode) -> Bool {
        switch n.value {
        case .null: return true
        case .bool(let b): return !b
        case .int(let i): return i == 0
        case .double(let d): return d == 0
        case .string(let s): return s.isEmpty
        case .array(let a): return a.isEmpty
        case .object(let o): return o.isEmpty
        }
    }

    /// A Go map: encoding/json writes its keys sorted by bytes.
    static func sortedKeys(_ o: ComposeObject) -> ComposeObject {
        var out = ComposeObject()
        for k in o.sortedKeys { out.set(k, o[k]!, keyMark: o.keyMark(k)) }
        return out
    }

    /// A value of no known Go type (`map[string]any` at best): objects with sorted keys, all the way down.
    static func goOrdered(_ node: ComposeNode) -> ComposeNode {
        switch node.value {
        case .object(let o):
            var out = ComposeObject()
            for k in o.sortedKeys { out.set(k, goOrdered(o[k]!), keyMark: o.keyMark(k)) }
            return .object(out, mark: node.mark)
        case .array(let a):
            return .array(a.map(goOrdered), mark: node.mark)
        default:
            return node
        }
    }

    static func fail(_ message: String, _ path: KeyPath, _ node: ComposeNode) -> ComposeError {
        ComposeError(message, path: path.description, mark: node.mark)
    }

    static func zero(_ shape: Shape, path: KeyPath) throws -> ComposeNode {
        switch shape {
        case .record: return try walk(.object(ComposeObject()), shape, path: path)
        case .bool: return .bool(false)
        case .string: return .string("")
        case .int: return .int(0)
        case .dict: return .object(ComposeObject())
        default: return .null
        }
    }

    static func text(_ n: ComposeNode) -> ComposeNode {
        n.scalarText.map { .string($0, mark: n.mark) } ?? n
    }

    static func walk(_ node: ComposeNode, _ shape: Shape, path: KeyPath) throws -> ComposeNode {
        let mark = node.mark
        switch shape {
        case .any:
            return goOrdered(node)
        case .string:
            return text(node)
        case .int:
            switch node.value {
            case .double(let d) where d == d.rounded() && abs(d) < 9e18: return .int(Int(d), mark: mark)
            case .string(let s): return Int(s).map { .int($0, mark: mark) } ?? node
            default: return node
            }
        case .float:
            switch node.value {
            case .int(let i): return ComposeNode(.double(Double(i)), mark: mark)
            case .string(let s):
                guard let d = Double(s) else { throw fail("invalid number: \(s)", path, node) }
                return ComposeNode(.double(d), mark: mark)
            default: return node
            }
        case .bool:
            if let s = node.string, s == "true" || s == "false" { return .bool(s == "true", mark: mark) }
            return node
        case .bytes:
            switch node.value {
            case .int(let i): return .string(String(i), mark: mark)
            case .double(let d): return .string(String(Int64(d)), mark: mark)
            case .string(let s):
                do { return .string(String(try GoValues.parseBytes(s)), mark: mark) } catch let e as GoValues.Invalid {
                    throw fail(e.message, path, node)
                }
            default: return node
            }
        case .duration:
            guard let s = node.scalarText, node.object == nil, node.array == nil, !node.isNull else { return node }
            do { return .string(GoValues.formatDuration(try GoValues.parseDuration(s)), mark: mark) } catch let e as GoValues.Invalid {
                throw fail(e.message, path, node)
            }
        case .command:
            if let s = node.string { return .array(GoValues.shellSplit(s).map { .string($0) }, mark: mark) }
            if let a = node.array { return .array(a.map(text), mark: mark) }
            return node
        case .healthTest:
            if let s = node.string { return .array([.string("CMD-SHELL"), .string(s)], mark: mark) }
            if let a = node.array { return .array(a.map(text), mark: mark) }
            return node
        case .stringList, .stringsOrScalar:
            if let a = node.array { return .array(a.map(text), mark: mark) }
            if node.isNull || node.object != nil { return node }
            return .array([text(node)], mark: mark)
        case .mapping, .mappingWithEquals:
            let keepNull: Bool = { if case .mappingWithEquals = shape { return true }; return false }()
            var out = ComposeObject()
            if let o = node.object {
                for (k, v) in o { out[k] = v.isNull ? (keepNull ? .null : .string("")) : text(v) }
            } else if let a = node.array {
                for item in a {
                    guard let t = item.scalarText else { continue }
                    if let eq = t.firstIndex(of: "=") {
                        out[String(t[..<eq])] = .string(String(t[t.index(after: eq)...]))
                    } else {
                        out[t] = keepNull ? .null : .string("")
                    }
                }
            } else {
                return node
            }
            return .object(sortedKeys(out), mark: mark)
        case .hosts:
            var pairs: [(String, String)] = []
            if let o = node.object {
                for (k, v) in o {
                    if let a = v.array { pairs += a.compactMap { $0.scalarText.map { (k, $0) } } }
                    else if let t = v.scalarText { pairs.append((k, t)) }
                }
            } else if let a = node.array {
                for item in a {
                    guard let t = item.scalarText else { continue }
                    let sep: Character = t.utf8.contains(UInt8(ascii: "=")) ? "=" : ":"
                    if let i = t.firstIndex(of: sep) {
                        pairs.append((String(t[..<i]), String(t[t.index(after: i)...])))
                    } else {
                        pairs.append((t, ""))
                    }
                }
            } else {
                return node
            }
            let sorted = pairs.enumerated().sorted { a, b in
                a.element.0 == b.element.0 ? a.offset < b.offset : a.element.0.utf8.lexicographicallyPrecedes(b.element.0.utf8)
            }
            return .array(sorted.map { .string("\($0.element.0)=\($0.element.1)") }, mark: mark)
        case .ulimit:
            guard let o = node.object else { return try walk(node, .int, path: path) }
            var out = ComposeObject()
            out["soft"] = try walk(o["soft"] ?? .int(0), .int, path: path + "soft")
            out["hard"] = try walk(o["hard"] ?? .int(0), .int, path: path + "hard")
            return .object(out, mark: mark)
        case .deviceMapping:
            if let s = node.string {
                let parts = s.split(separator: ":", omittingEmptySubsequences: false).map(String.init)
                var out = ComposeObject()
                out["source"] = .string(parts[0])
                out["target"] = .string(parts.count > 1 ? parts[1] : parts[0])
                out["permissions"] = .string(parts.count > 2 ? parts[2] : "rwm")
                return .object(out, mark: mark)
            }
            return try walk(node, rec(["source": fld(.string), "target": fld(.string), "permissions": fld(.string)]), path: path)
        case .fileMode:
            func decodeError(_ what: String) -> ComposeError {
                fail("decoding failed due to the following error(s):\n\n'\(path.decodingDescription)' \(what)", path, node)
            }
            let mode: Int
            switch node.value {
            case .int(let i): mode = i
            case .string(let s):
                guard let m = FileMode.parse(s) else {
                    throw decodeError("strconv.ParseInt: parsing \(goQuote(s)): invalid syntax")
                }
                mode = m
            case .double: throw decodeError("unexpected value type float64 for mode")
            case .bool: throw decodeError("unexpected value type bool for mode")
            default: return node
            }
            return .string(FileMode.format(mode), mark: mark)
        case .deviceCount:
            if let s = node.string {
                if s == "all" { return .int(-1, mark: mark) }
                if let i = Int(s) { return .int(i, mark: mark) }
                throw fail("invalid value \"\(s)\", the only value allowed is 'all' or a number", path, node)
            }
            return node
        case .pointer(let inner):
            return node.isNull ? node : try walk(node, inner, path: path)
        case .list(let inner):
            guard let a = node.array else { return node }
            var out: [ComposeNode] = []
            out.reserveCapacity(a.count)
            for (i, item) in a.enumerated() { out.append(item.isNull ? item : try walk(item, inner, path: path + i)) }
            return .array(out, mark: mark)
        case .dict(let inner):
            guard var o = node.object else { return node }
            try o.mapValues { k, v in v.isNull ? v : try walk(v, inner, path: path + k) }
            return .object(sortedKeys(o), mark: mark)
        case .record(let record):
            guard let o = node.object else { return node }
            // Fields in Go struct order, as encoding/json writes them; keys the record does not
            // know (not printed by Docker Compose) after them.
            var out = ComposeObject()
            let yaml = format == .yaml
            for k in record.order {
                guard let field = record.fields[k] else { continue }
                guard let v = o[k] else {
                    if field.always, !(yaml && yamlOmitsWhenEmpty.contains(k)) {
                        out[yaml ? k : field.jsonName ?? k] = try zero(field.shape, path: path + k)
                    }
                    continue
                }
                if v.isNull && !field.always { continue }
                let r = v.isNull ? try zero(field.shape, path: path + k) : try walk(v, field.shape, path: path + k)
                // UnitBytes is an int64 in Go: a size of 0 is empty, though it prints as "0".
                if !field.always, case .bytes = field.shape, r.string == "0" { continue }
                if !field.always, isEmpty(r) {
                    switch field.shape {
                    case .pointer, .record: break
                    default: continue
                    }
                }
                // An empty command (`command: ""`) is an empty, non-nil list: YAML prints `[]`.
                if yaml, field.always, yamlOmitsWhenEmpty.contains(k), isEmpty(r), r.array == nil { continue }
                out[yaml ? k : field.jsonName ?? k] = r  // YAML names a field by its yaml tag
            }
            for (k, v) in o where record.fields[k] == nil && !k.hasPrefix("x-") && !isEmpty(v) && !ProjectShape.notInGoModel.contains(k) {
                out[k] = v
            }
            if yaml { for (k, v) in o where k.hasPrefix("x-") { out[k] = v } }
            return .object(out, mark: mark)
        case .envFile:
            guard let o = node.object, let p = o["path"] else { return node }
            if o["required"]?.bool ?? (o["required"]?.string.map { $0 == "true" } ?? true) { return text(p) }
            var out = ComposeObject()
            out["path"] = text(p)
            out["required"] = .bool(false)
            if let f = o["format"]?.scalarText, !f.isEmpty { out["format"] = .string(f) }
            return .object(out, mark: mark)
        }
    }
}
