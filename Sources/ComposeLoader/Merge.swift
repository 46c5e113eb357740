import ComposeModel

// OWNER: merge helper. Stub until filled in: the override replaces the base key by key.
public enum Merge {
    /// compose-go's `override.Merge`: the per-path merge rules, `!reset` and `!override`.
    public static func merge(_ base: ComposeNode, _ override: ComposeNode) throws -> ComposeNode {
        guard var b = base.object, let o = override.object else { return override }
        for (k, v) in o { b[k] = v }
        return .object(b, mark: base.mark ?? override.mark)
    }

    /// compose-go's `override.EnforceUnicity`: one entry per port, volume target, … (last wins).
    public static func enforceUnicity(_ dict: ComposeNode) throws -> ComposeNode { dict }
}
