import ComposeModel

/// Merging one Compose file (or an `extends` local service) over what came before, with Docker
/// Compose's rules (compose-go `override.Merge` as shipped with Compose v2.40):
///
/// - mappings merge key by key, sequences are appended, scalars are replaced, a null override
///   keeps the base value;
/// - per-path exceptions: `command`, `entrypoint` and `healthcheck.test` are replaced;
///   `environment`, `labels`, `annotations`, `sysctls`, `dns*`, `env_file`, `label_file`,
///   `tmpfs`, `extra_hosts`, `build.args|labels|additional_contexts|extra_hosts`,
///   `deploy.labels` and network/volume labels are turned into `KEY=VALUE` sequences and
///   appended (enforceUnicity then keeps the last entry per key); `build` as a string is read
///   as `{context: …}`; `depends_on`, `networks` and `models` are read as mappings (a list
///   entry of `depends_on` means `{condition: service_started, required: true}`); `logging`
///   options are kept only when the driver stays the same; `ulimits.*` are replaced;
///   `networks.*.ipam.config` entries merge by subnet;
/// - `!reset` removes the value from the result, `!override` replaces the base value.
///
/// The base is the accumulated model (already canonical), the override a file as written.
public enum Merge {
    /// compose-go's `override.Merge`: the per-path merge rules, `!reset` and `!override`.
    public static func merge(_ base: ComposeNode, _ override: ComposeNode) throws -> ComposeNode {
        try mergeValues(base, override, path: [])
    }

    /// The service-level merge `extends` uses (compose-go `override.ExtendService`): `local`
    /// over `base`, with the rules of `services.*`.
    /// The local service's `!reset`/`!override` tags stay in the result: they apply again when
    /// the file is merged over the files before it (as compose-go's reset processor does).
    public static func extendService(_ base: ComposeNode, _ local: ComposeNode) throws -> ComposeNode {
        try mergeValues(base, local, path: ["services", "x"], keepTags: true)
    }

    /// compose-go's `override.EnforceUnicity`: one entry per port, volume target, … (last wins).
    public static func enforceUnicity(_ dict: ComposeNode) throws -> ComposeNode {
        try Unicity.apply(dict)
    }

    /// The value as it enters the merged model: `!reset` keys and sequence items removed, the
    /// remaining tags cleared (they only mean something against the value they override).
    public static func stripTags(_ node: ComposeNode) -> ComposeNode {
        switch node.value {
        case .object(let o):
            var out = ComposeObject()
            for (k, v) in o where v.tag != .reset {
                out.set(k, stripTags(v), keyMark: o.keyMark(k))
            }
            return ComposeNode(.object(out), mark: node.mark)
        case .array(let a):
            var out: [ComposeNode] = []
            out.reserveCapacity(a.count)
            for v in a where v.tag != .reset { out.append(stripTags(v)) }
            return ComposeNode(.array(out), mark: node.mark)
        default:
            return ComposeNode(node.value, mark: node.mark)
        }
    }

    // MARK: - The generic rule

    static func mergeValues(_ base: ComposeNode, _ over: ComposeNode, path: [String], keepTags: Bool = false) throws -> ComposeNode {
        if let rule = MergeRule.rule(for: path) {
            return try rule.apply(base, over, path: path)
        }
        if over.isNull { return base }
        switch base.value {
        case .object(let b):
            guard let o = over.object else {
                throw cannotOverride(path, base: base, over: over)
            }
            return .object(try mergeMappings(b, o, path: path, keepTags: keepTags), mark: base.mark)
        case .array(let b):
            guard let o = over.array else {
                throw cannotOverride(path, base: base, over: over)
            }
            return .array(appending(b, o), mark: base.mark)
        default:
            return stripTags(over)
        }
    }

    static func mergeMappings(_ base: ComposeObject, _ over: ComposeObject, path: [String], keepTags: Bool = false) throws -> ComposeObject {
        var result = base
        for (k, v) in over {
            switch v.tag {
            case .reset?:
                if keepTags { result.set(k, v, keyMark: over.keyMark(k)) } else { result[k] = nil }
            case .override?:
                result.set(k, keepTags ? v : stripTags(v), keyMark: over.keyMark(k))
            case nil:
                if let existing = result[k] {
                    result[k] = try mergeValues(existing, v, path: path + [k], keepTags: keepTags)
                } else {
                    result.set(k, keepTags ? v : stripTags(v), keyMark: over.keyMark(k))
                }
            }
        }
        return result
    }

    static func appending(_ base: [ComposeNode], _ over: [ComposeNode]) -> [ComposeNode] {
        var out = base
        out.reserveCapacity(base.count + over.count)
        for v in over where v.tag != .reset { out.append(stripTags(v)) }
        return out
    }

    static func cannotOverride(_ path: [String], base: ComposeNode, over: ComposeNode) -> ComposeError {
        let at = path.joined(separator: ".")
        return ComposeError("cannot override \(at): a \(base.value.kindName) cannot be merged with a \(over.value.kindName)",
                            path: at, mark: over.mark)
    }
}
