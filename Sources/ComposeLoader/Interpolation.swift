import ComposeModel

// OWNER: interpolation helper. Stub until filled in: passes values through unchanged.
public enum Interpolation {
    /// Substitutes `$VAR`, `${VAR:-d}`, … in one string.
    public static func substitute(_ template: String, lookup: (String) -> String?) throws -> String {
        template
    }

    /// Interpolates every string of a parsed document (keys stay as they are), then casts the
    /// values at the paths the Compose schema types as integers, numbers or booleans.
    /// `unset` is told the name of each variable that is used but not set (the caller warns
    /// "The "X" variable is not set. Defaulting to a blank string.").
    public static func interpolate(_ node: ComposeNode, lookup: (String) -> String?, unset: (String) -> Void = { _ in }) throws -> ComposeNode {
        node
    }
}
