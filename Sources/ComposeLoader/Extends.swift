import ComposeModel

// OWNER: merge helper. Stub until filled in.
public enum Extends {
    /// Resolves `services.*.extends` of one parsed, interpolated file (`file` is its path).
    public static func apply(_ dict: ComposeNode, file: String, context: LoadContext) throws -> ComposeNode { dict }
}
