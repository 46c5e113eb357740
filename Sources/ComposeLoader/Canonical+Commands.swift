import ComposeModel

/// `command` / `entrypoint` strings are split into words the way Docker Compose does it
/// (go-shellwords without environment or backtick expansion).
extension Canonical {
    static func shellCommand(_ node: ComposeNode, path: KeyPath) throws -> ComposeNode {
        guard let s = node.string else { return node }
        guard let words = splitShellWords(s) else {
            throw ComposeError("invalid command line string \"\(s)\": an open quote, backtick or $( or a trailing backslash, or a ( not after $", path: path.description, mark: node.mark)
        }
        return ComposeNode(.array(words.map { ComposeNode(.string($0), mark: node.mark) }), mark: node.mark, tag: node.tag)
    }

    /// Words of a command line, as go-shellwords 1.0.12 (Docker Compose 2.40) splits them without
    /// environment or backtick expansion: blanks separate words; single quotes keep everything
    /// literally; double quotes keep blanks and honour backslashes; a backslash elsewhere takes the
    /// next character literally (and goes); backticks and `$(...)` keep blanks, quotes and
    /// operators and stay in the word. An unquoted `;`, `&`, `|`, `<` or `>` ends the command, and
    /// a word starting with a digit right before `>` (a redirection such as `2>&1`) is dropped.
    /// Nil, as Docker Compose's "invalid command line string", when a quote, backtick or `$(` is
    /// left open, the line ends in a backslash, or a `(` does not follow `$`.
    static func splitShellWords(_ line: String) -> [String]? {
        enum Got { case nothing, word, quoted }
        var words: [String] = []
        var buf = String.UnicodeScalarView()
        var got = Got.nothing
        var escaped = false, single = false, double = false, backtick = false, dollar = false
        loop: for c in line.unicodeScalars {
            if escaped {
                buf.append(c); escaped = false; got = .word
                continue
            }
            if c == "\\" {
                if single { buf.append(c) } else { escaped = true }
                continue
            }
            if c == " " || c == "\t" || c == "\r" || c == "\n" {
                if single || double || backtick || dollar {
                    buf.append(c)
                } else if got != .nothing {
                    words.append(String(buf)); buf = String.UnicodeScalarView(); got = .nothing
                }
                continue
            }
            switch c {
            case "`":
                if !single && !double && !dollar { backtick.toggle() }
            case ")":
                // go-shellwords toggles here, so a stray `)` opens a region that never closes.
                if !single && !double && !backtick { dollar.toggle() }
            case "(":
                if !single && !double && !backtick {
                    guard !dollar, buf.last == "$" else { return nil }
                    dollar = true
                    buf.append(c)
                    continue
                }
            case "\"":
                if !single && !dollar {
                    if double { got = .quoted }
                    double.toggle()
                    continue
                }
            case "'":
                if !double && !dollar {
                    if single { got = .quoted }
                    single.toggle()
                    continue
                }
            case ";", "&", "|", "<", ">":
                if !(single || double || backtick || dollar) {
                    if c == ">", let first = buf.first, first >= "0" && first <= "9" { got = .nothing }
                    break loop
                }
            default:
                break
            }
            got = .word
            buf.append(c)
        }
        if got != .nothing { words.append(String(buf)) }
        if escaped || single || double || backtick || dollar { return nil }
        return words
    }
}
