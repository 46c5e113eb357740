import ComposeModel

// OWNER: canonical helper. Stub until filled in.
public enum Canonical {
    /// compose-go's `transform.Canonical` then `OmitEmpty`: every short syntax to its long form.
    public static func apply(_ dict: ComposeNode) throws -> ComposeNode { dict }
}
