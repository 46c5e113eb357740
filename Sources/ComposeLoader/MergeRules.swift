import ComposeModel

/// The per-path exceptions to the generic merge rule (see `Merge`).
enum MergeRule {
    /// The override replaces the base (`command`, `entrypoint`, `healthcheck.test`, `ulimits.*`).
    case replace
    /// Both sides become `KEY=VALUE` (or plain) sequences and are appended.
    case toSequence
    /// As `toSequence`, but override entries already in the base (same text) are not repeated.
    case extraHosts
    /// `build: ctx` is `build: {context: ctx}`; then mappings merge.
    case build
    /// Lists become mappings whose entries get these defaults (nil: null entries).
    case asMapping(defaults: ComposeObject?)
    /// Driver options survive only if the driver does not change.
    case logging
    /// `networks.*.ipam.config`: entries merge by `subnet`.
    case ipamConfig

    static let dependsOnDefaults = ComposeObject([
        ("condition", .string("service_started")),
        ("required", .bool(true)),
    ])

    static func rule(for p: [String]) -> MergeRule? {
        switch p.count {
        case 3:
            if p[0] == "services" {
                switch p[2] {
                case "command", "entrypoint": return .replace
                case "annotations", "dns", "dns_opt", "dns_search", "env_file", "label_file", "environment",
                     "labels", "sysctls", "tmpfs":
                    return .toSequence
                case "extra_hosts": return .extraHosts
                case "build": return .build
                case "depends_on": return .asMapping(defaults: dependsOnDefaults)
                case "networks", "models": return .asMapping(defaults: nil)
                case "logging": return .logging
                default: return nil
                }
            }
            if (p[0] == "networks" || p[0] == "volumes"), p[2] == "labels" { return .toSequence }
            return nil
        case 4:
            if p[0] == "services" {
                switch (p[2], p[3]) {
                case ("build", "args"), ("build", "additional_contexts"), ("build", "labels"), ("deploy", "labels"):
                    return .toSequence
                case ("build", "extra_hosts"): return .extraHosts
                case ("healthcheck", "test"): return .replace
                case ("ulimits", _): return .replace
                default: return nil
                }
            }
            if p[0] == "networks", p[2] == "ipam", p[3] == "config" { return .ipamConfig }
            return nil
        default:
            return nil
        }
    }

    func apply(_ base: ComposeNode, _ over: ComposeNode, path: [String]) throws -> ComposeNode {
        switch self {
        case .replace:
            return Merge.stripTags(over)
        case .toSequence:
            let b = Self.sequence(base)
            let o = Self.sequence(over)
            return .array(Merge.appending(b, o), mark: over.mark ?? base.mark)
        case .extraHosts:
            let b = Self.sequence(base)
            let known = Set(b.compactMap(\.scalarText))
            let o = Self.sequence(over).filter { $0.scalarText.map { !known.contains($0) } ?? true }
            return .array(Merge.appending(b, o), mark: over.mark ?? base.mark)
        case .build:
            func asBuild(_ n: ComposeNode) -> ComposeObject? {
                if let s = n.string { return ComposeObject([("context", .string(s, mark: n.mark))]) }
                return n.object
            }
            guard let b = asBuild(base) else { return Merge.stripTags(over) }
            guard let o = asBuild(over) else {
                if over.isNull { return .object(b, mark: base.mark) }
                throw Merge.cannotOverride(path, base: base, over: over)
            }
            return .object(try Merge.mergeMappings(b, o, path: path), mark: base.mark)
        case .asMapping(let defaults):
            let b = try Self.mapping(base, defaults: defaults, path: path)
            let o = try Self.mapping(over, defaults: defaults, path: path)
            return .object(try Merge.mergeMappings(b, o, path: path), mark: base.mark ?? over.mark)
        case .logging:
            if over.isNull { return base }
            guard let b = base.object, let o = over.object else {
                throw ComposeError("cannot merge logging: expected a mapping, got a \((base.object == nil ? base : over).value.kindName)",
                                   path: path.joined(separator: "."), mark: over.mark)
            }
            let od = o["driver"], bd = b["driver"]
            if od == nil || bd == nil || od == bd {
                return .object(try Merge.mergeMappings(b, o, path: path), mark: base.mark)
            }
            return Merge.stripTags(over)
        case .ipamConfig:
            return try Self.mergeIPAM(base, over, path: path)
        }
    }

    /// compose-go `convertIntoSequence`: a mapping becomes `KEY=VALUE` strings (`KEY` alone for
    /// null, one entry per item for a list value), sorted; a string is a one-item sequence.
    static func sequence(_ n: ComposeNode) -> [ComposeNode] {
        switch n.value {
        case .array(let a): return a
        case .string: return [n]
        case .object(let o):
            var items: [(String, ComposeNode)] = []
            for (k, v) in o where v.tag != .reset {
                switch v.value {
                case .null: items.append((k, .string(k, mark: v.mark)))
                case .array(let list):
                    for e in list {
                        let s = k + "=" + goText(e)
                        items.append((s, .string(s, mark: e.mark)))
                    }
                default:
                    let s = k + "=" + goText(v)
                    items.append((s, .string(s, mark: v.mark)))
                }
            }
            items.sort { $0.0.utf8.lexicographicallyPrecedes($1.0.utf8) }
            return items.map(\.1)
        default: return []
        }
    }

    /// A value printed as Go's `%v` prints the decoded YAML value.
    static func goText(_ n: ComposeNode) -> String {
        switch n.value {
        case .null: return "<nil>"
        case .array(let a): return "[" + a.map(goText).joined(separator: " ") + "]"
        case .object(let o): return "map[" + o.sortedKeys.map { "\($0):\(goText(o[$0] ?? .null))" }.joined(separator: " ") + "]"
        default: return n.scalarText ?? ""
        }
    }

    /// compose-go `convertIntoMapping`: a list of names becomes a mapping of those names to the
    /// defaults (or null); null is an empty mapping.
    static func mapping(_ n: ComposeNode, defaults: ComposeObject?, path: [String]) throws -> ComposeObject {
        switch n.value {
        case .object(let o): return o
        case .null: return ComposeObject()
        case .string(let s):
            var o = ComposeObject()
            o.set(s, defaults.map { .object($0, mark: n.mark) } ?? ComposeNode(.null, mark: n.mark), keyMark: n.mark)
            return o
        case .array(let a):
            var o = ComposeObject()
            for (i, item) in a.enumerated() where item.tag != .reset {
                guard let key = item.string else {
                    throw ComposeError("cannot use a \(item.value.kindName) as a name here, expected a string",
                                       path: KeyPath(path.map { .key($0) } + [.index(i)]).description, mark: item.mark)
                }
                o.set(key, defaults.map { .object($0, mark: item.mark) } ?? ComposeNode(.null, mark: item.mark), keyMark: item.mark)
            }
            return o
        default:
            throw ComposeError("cannot convert a \(n.value.kindName) into a mapping", path: path.joined(separator: "."), mark: n.mark)
        }
    }

    /// compose-go `mergeIPAMConfig`: for every base entry, override entries with the same subnet
    /// are merged into it; the others are added once.
    static func mergeIPAM(_ base: ComposeNode, _ over: ComposeNode, path: [String]) throws -> ComposeNode {
        if over.isNull { return base }
        guard let configs = base.array, let overrides = over.array else {
            throw ComposeError("unexpected type: expected a sequence", path: path.joined(separator: "."), mark: over.mark ?? base.mark)
        }
        func subnet(_ o: ComposeObject) -> ComposeNode? { o["subnet"] }
        var result: [ComposeObject] = []
        for original in configs {
            var right = try mapping(original, defaults: nil, path: path)
            for o in overrides where o.tag != .reset {
                let left = try mapping(Merge.stripTags(o), defaults: nil, path: path)
                if subnet(left) != subnet(right), !result.contains(where: { subnet($0) == subnet(left) }) {
                    result.append(left)
                    continue
                }
                right = try Merge.mergeMappings(right, left, path: path)
                if let i = result.firstIndex(where: { subnet($0) == subnet(right) }) {
                    result[i] = right
                } else {
                    result.append(right)
                }
            }
        }
        return .array(result.map { ComposeNode.object($0) }, mark: base.mark)
    }
}
