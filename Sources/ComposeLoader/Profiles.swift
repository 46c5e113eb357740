import ComposeModel

// OWNER: graph helper. Stub until filled in.
public enum Profiles {
    /// Drops services whose profiles are not enabled (services without profiles always stay; a
    /// service named in `selected` enables itself), then checks what remains is consistent.
    public static func apply(_ dict: ComposeNode, profiles: [String], selected: [String]) throws -> ComposeNode { dict }
}
