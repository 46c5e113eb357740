// OWNER: graph helper. Stub until filled in.
public enum ConfigHash {
    /// The hash that decides whether a service's container must be recreated.
    public static func of(service: ComposeNode) -> String { "" }
}
