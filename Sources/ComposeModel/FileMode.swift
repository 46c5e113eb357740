/// compose-go's `FileMode` (secret and config `mode`): read from a string as Go's
/// `strconv.ParseInt(s, 8, 64)` reads it, printed as `fmt.Sprintf("0%o")`.
public enum FileMode {
    /// An optional sign and octal digits, nothing else (`"0440"` is 288; `"288"`, `"0o440"` are nil).
    public static func parse(_ s: String) -> Int? {
        var digits = Substring(s)
        var negative = false
        if let c = digits.first, c == "+" || c == "-" { negative = c == "-"; digits = digits.dropFirst() }
        guard !digits.isEmpty, digits.allSatisfy({ ("0"..."7").contains($0) }), let v = Int(digits, radix: 8) else { return nil }
        return negative ? -v : v
    }

    /// `"0440"`; a negative mode prints as Go prints it, `"0-10"`.
    public static func format(_ mode: Int) -> String { "0" + String(mode, radix: 8) }

    /// The value of printed text, `format`'s inverse.
    public static func parsePrinted(_ text: String) -> Int? {
        parse(text.hasPrefix("0-") ? String(text.dropFirst()) : text)
    }
}
