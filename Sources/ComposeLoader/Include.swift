import ComposeModel

// OWNER: merge helper. Stub until filled in.
public enum Include {
    /// Loads the top-level `include` entries of one file through `context.loadIncluded` and
    /// merges their resources into `dict` (conflicts are errors); removes the `include` key.
    public static func apply(_ dict: ComposeNode, file: String, context: LoadContext) throws -> ComposeNode {
        var d = dict
        d["include"] = nil
        return d
    }
}
