import ComposeModel

/// `command` / `entrypoint` strings are split into words the way Docker Compose does it
/// (go-shellwords without environment or backtick expansion).
extension Canonical {
    static func shellCommand(_ node: ComposeNode, path: KeyPath) throws -> ComposeNode {
        guard let s = node.string else { return node }
        guard let words = splitShellWords(s) else {
            throw ComposeError("invalid command line string \"\(s)\": unterminated quote or trailing backslash", path: path.description, mark: node.mark)
        }
        return ComposeNode(.array(words.map { ComposeNode(.string($0), mark: node.mark) }), mark: node.mark, tag: node.tag)
    }

    /// Words of a command line: blanks separate words, single quotes keep everything literally,
    /// double quotes keep blanks, a backslash outside single quotes escapes the next character,
    /// backticks keep blanks (and stay in the word). An unquoted `;`, `&`, `|`, `<` or `>` ends
    /// the command. Nil when a quote is left open or the line ends in a backslash.
    static func splitShellWords(_ line: String) -> [String]? {
        var words: [String] = []
        var buf = ""
        var inWord = false
        var escaped = false, single = false, double = false, backtick = false
        loop: for c in line.unicodeScalars {
            if escaped {
                buf.unicodeScalars.append(c); escaped = false; inWord = true
                continue
            }
            if c == "\\" {
                if single { buf.unicodeScalars.append(c) } else { escaped = true }
                continue
            }
            if c == " " || c == "\t" || c == "\r" || c == "\n" {
                if single || double || backtick {
                    buf.unicodeScalars.append(c)
                } else if inWord {
                    words.append(buf); buf = ""; inWord = false
                }
                continue
            }
            switch c {
            case "`":
                if !single && !double { backtick.toggle() }
            case "\"":
                if !single {
                    if double { inWord = true }
                    double.toggle()
                    continue
                }
            case "'":
                if !double {
                    if single { inWord = true }
                    single.toggle()
                    continue
                }
            case ";", "&", "|", "<", ">":
                if !(single || double || backtick) { break loop }
            default:
                break
            }
            inWord = true
            buf.unicodeScalars.append(c)
        }
        if inWord { words.append(buf) }
        if escaped || single || double || backtick { return nil }
        return words
    }
}
