import ComposeModel

// OWNER: schema helper. Stub until filled in: accepts everything.
public enum SchemaValidator {
    /// Validates a merged (not yet canonical) document against the Compose JSON schema.
    /// `file` is the file whose merge produced it, for messages without a position.
    public static func validate(_ dict: ComposeNode, file: String) throws {}
}
