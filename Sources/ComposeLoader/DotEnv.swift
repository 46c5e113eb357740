import ComposeModel

// OWNER: interpolation helper. Stub until filled in.
public enum DotEnv {
    /// Parses `.env` text by Docker Compose's rules; `lookup` resolves `${VAR}` inside values and
    /// bare `NAME` lines. Entries come back in file order.
    public static func parse(_ text: String, file: String, lookup: (String) -> String?) throws -> [(key: String, value: String)] {
        []
    }
}
