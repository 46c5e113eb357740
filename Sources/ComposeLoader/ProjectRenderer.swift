import ComposeModel

// OWNER: normalise helper. Stub until filled in.
public enum ProjectRenderer {
    /// The document `docker compose config --format json` prints for a loaded project: compose-go's
    /// `types.Project` marshalled by Go (its omitempty rules, the nulls it keeps).
    public static func render(_ dict: ComposeNode) -> ComposeNode { dict }
}
