/// An inconsistency found in a normalised Compose model (the dependency graph, the typed model):
/// what is wrong, at which key path, and where it was written when that is known.
///
/// `ComposeModel` does no I/O and knows nothing of the loader, so it has its own error type; the
/// loader turns it into a `ComposeError` with the same message, path and mark.
public struct ModelError: Error, CustomStringConvertible, Equatable, Sendable {
    public var message: String
    /// The key path, `services.kafka.depends_on.zookeeper`; empty when about the whole model.
    public var path: String
    public var mark: SourceMark?

    public init(_ message: String, path: String = "", mark: SourceMark? = nil) {
        self.message = message
        self.path = path
        self.mark = mark
    }

    public var description: String {
        var s = ""
        if let mark { s += "\(mark.file):\(mark.line):\(mark.column): " }
        if !path.isEmpty { s += "\(path): " }
        return s + message
    }
}

/// The candidate closest to a misspelt name, for "did you mean" hints: at most two edits
/// (insert, delete, substitute, swap two neighbours), or a third of the name's length for long
/// names. Nil when nothing is that close.
public func closestName(to word: String, among candidates: some Sequence<String>) -> String? {
    let w = Array(word.lowercased())
    let limit = max(2, w.count / 3)
    var best: (name: String, distance: Int)?
    for c in candidates {
        let cand = Array(c.lowercased())
        if abs(cand.count - w.count) > limit { continue }
        let d = osaDistance(w, cand)
        if d <= limit, d < (best?.distance ?? Int.max) { best = (c, d) }
    }
    return best?.name
}

/// Optimal-string-alignment distance over two rows of the table plus the one before them.
private func osaDistance(_ a: [Character], _ b: [Character]) -> Int {
    if a.isEmpty { return b.count }
    if b.isEmpty { return a.count }
    var prev2 = [Int](repeating: 0, count: b.count + 1)
    var prev = Array(0...b.count)
    var cur = [Int](repeating: 0, count: b.count + 1)
    for i in 1...a.count {
        cur[0] = i
        for j in 1...b.count {
            let cost = a[i - 1] == b[j - 1] ? 0 : 1
            var v = min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + cost)
            if i > 1, j > 1, a[i - 1] == b[j - 2], a[i - 2] == b[j - 1] { v = min(v, prev2[j - 2] + 1) }
            cur[j] = v
        }
        (prev2, prev, cur) = (prev, cur, prev2)
    }
    return prev[b.count]
}
