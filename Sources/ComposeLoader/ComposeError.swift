import ComposeModel

/// A Compose input error: what is wrong, where (file, line, column), and at which key path.
public struct ComposeError: Error, CustomStringConvertible, Equatable {
    public var message: String
    public var mark: SourceMark?
    /// The key path, `services.kafka.ports[1]`; empty when the error is about a whole file.
    public var path: String
    /// The file the error belongs to when no position is known.
    public var file: String?

    public init(_ message: String, path: String = "", mark: SourceMark? = nil, file: String? = nil) {
        self.message = message
        self.path = path
        self.mark = mark
        self.file = file ?? mark?.file
    }

    public var description: String {
        var where_ = ""
        if let mark { where_ = "\(mark.file):\(mark.line):\(mark.column): " } else if let file { where_ = "\(file): " }
        let at = path.isEmpty ? "" : "\(path): "
        return where_ + at + message
    }
}

/// Builds key paths the way errors print them: `services.kafka.ports[1]`.
public struct KeyPath: Sendable, CustomStringConvertible, Hashable {
    public var components: [Component]
    public enum Component: Sendable, Hashable { case key(String), index(Int) }

    public init(_ components: [Component] = []) { self.components = components }
    public init(_ keys: String...) { self.components = keys.map { .key($0) } }

    public func appending(_ key: String) -> KeyPath { KeyPath(components + [.key(key)]) }
    public func appending(_ index: Int) -> KeyPath { KeyPath(components + [.index(index)]) }
    public static func + (lhs: KeyPath, rhs: String) -> KeyPath { lhs.appending(rhs) }
    public static func + (lhs: KeyPath, rhs: Int) -> KeyPath { lhs.appending(rhs) }

    public var keys: [String] { components.compactMap { if case .key(let k) = $0 { return k }; return nil } }

    public var description: String {
        var s = ""
        for c in components {
            switch c {
            case .key(let k): s += s.isEmpty ? k : "." + k
            case .index(let i): s += "[\(i)]"
            }
        }
        return s
    }
}

/// The closest candidate to a misspelt word (Levenshtein distance at most 2, or a third of its
/// length for long words), for "did you mean" hints.
public func nearMiss(_ word: String, among candidates: some Sequence<String>) -> String? {
    let w = Array(word.lowercased())
    var best: (String, Int)?
    for c in candidates {
        let d = editDistance(w, Array(c.lowercased()))
        let limit = max(2, w.count / 3)
        if d <= limit, d < (best?.1 ?? Int.max) { best = (c, d) }
    }
    return best?.0
}

/// Optimal-string-alignment distance: insertions, deletions, substitutions and adjacent
/// transpositions each cost one ("restrat" → "restart" is one edit).
func editDistance(_ a: [Character], _ b: [Character]) -> Int {
    if a.isEmpty { return b.count }
    if b.isEmpty { return a.count }
    var d = [[Int]](repeating: [Int](repeating: 0, count: b.count + 1), count: a.count + 1)
    for i in 0...a.count { d[i][0] = i }
    for j in 0...b.count { d[0][j] = j }
    for i in 1...a.count {
        for j in 1...b.count {
            let cost = a[i - 1] == b[j - 1] ? 0 : 1
            d[i][j] = min(d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + cost)
            if i > 1, j > 1, a[i - 1] == b[j - 2], a[i - 2] == b[j - 1] {
                d[i][j] = min(d[i][j], d[i - 2][j - 2] + 1)
            }
        }
    }
    return d[a.count][b.count]
}
