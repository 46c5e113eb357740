import Foundation

/// A `pattern`/`patternProperties` regular expression with Go `regexp` semantics (unanchored
/// search; `.` matches anything but `\n`; `$` only at the very end), compiled once.
///
/// The shapes the Compose schema uses for property names (`^x-`, `^[a-zA-Z0-9._-]+$`, `.+`,
/// `^.+$`) are matched directly, without the regular expression engine, because they are tested
/// against every key of every service; anything else goes to `NSRegularExpression`.
struct SchemaPattern: Sendable {
    enum Matcher: Sendable {
        /// `^literal`
        case prefix(String)
        /// `^[class]+$`: non-empty, every scalar in the class.
        case wholeClass([ClosedRange<Unicode.Scalar>])
        /// `.+`: at least one scalar other than `\n`.
        case anyNonNewline
        /// `^.+$`: non-empty without `\n`.
        case wholeLine
        case regex(RegexBox)
    }

    let source: String
    let matcher: Matcher

    init(_ source: String, _ location: String) throws(JSONSchema.CompileError) {
        self.source = source
        if let m = SchemaPattern.simple(source) {
            matcher = m
            return
        }
        do {
            matcher = .regex(RegexBox(try NSRegularExpression(pattern: SchemaPattern.icuPattern(source))))
        } catch {
            throw JSONSchema.CompileError(location: location, message: "invalid pattern \"\(source)\": \(error)")
        }
    }

    func matches(_ s: String) -> Bool {
        switch matcher {
        case .prefix(let p):
            return s.hasPrefix(p)
        case .wholeClass(let ranges):
            guard !s.isEmpty else { return false }
            return s.unicodeScalars.allSatisfy { c in ranges.contains { $0.contains(c) } }
        case .anyNonNewline:
            return s.unicodeScalars.contains { $0 != "\n" }
        case .wholeLine:
            return !s.isEmpty && !s.unicodeScalars.contains("\n")
        case .regex(let box):
            return box.regex.firstMatch(in: s, range: NSRange(s.startIndex..., in: s)) != nil
        }
    }

    /// Recognises the simple shapes; nil for anything else.
    static func simple(_ p: String) -> Matcher? {
        if p == ".+" { return .anyNonNewline }
        if p == "^.+$" { return .wholeLine }
        let scalars = Array(p.unicodeScalars)
        guard scalars.first == "^" else { return nil }
        let body = scalars.dropFirst()
        let meta: Set<Unicode.Scalar> = ["\\", ".", "+", "*", "?", "(", ")", "[", "]", "{", "}", "|", "^", "$"]
        if !body.isEmpty, !body.contains(where: { meta.contains($0) }) {
            var s = ""
            s.unicodeScalars.append(contentsOf: body)
            return .prefix(s)
        }
        // ^[...]+$
        guard scalars.count >= 6, scalars[1] == "[", scalars[scalars.count - 1] == "$",
              scalars[scalars.count - 2] == "+", scalars[scalars.count - 3] == "]" else { return nil }
        let cls = Array(scalars[2..<(scalars.count - 3)])
        guard !cls.isEmpty, cls.first != "^", !cls.contains(where: { $0 == "\\" || $0 == "[" || $0 == "]" }) else { return nil }
        var ranges: [ClosedRange<Unicode.Scalar>] = []
        var i = 0
        while i < cls.count {
            if i + 2 < cls.count, cls[i + 1] == "-" {
                guard cls[i] <= cls[i + 2] else { return nil }
                ranges.append(cls[i]...cls[i + 2])
                i += 3
            } else {
                ranges.append(cls[i]...cls[i])
                i += 1
            }
        }
        return .wholeClass(ranges)
    }

    /// Go's `$` (without the `m` flag) matches only at the end of the text; ICU's also before a
    /// final line terminator. A trailing unescaped `$` becomes `\z`.
    static func icuPattern(_ p: String) -> String {
        guard p.hasSuffix("$") else { return p }
        var backslashes = 0
        for c in p.dropLast().reversed() {
            if c == "\\" { backslashes += 1 } else { break }
        }
        return backslashes % 2 == 0 ? String(p.dropLast()) + "\\z" : p
    }
}

/// `NSRegularExpression` is immutable once built and documented as safe to share between
/// threads; the box states that to the compiler.
final class RegexBox: @unchecked Sendable {
    let regex: NSRegularExpression
    init(_ regex: NSRegularExpression) { self.regex = regex }
}
