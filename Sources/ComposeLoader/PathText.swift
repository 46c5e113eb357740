/// Path text the way Go's `path`/`path/filepath` treat it on Unix.
enum PathText {
    /// Go's `path.Clean`: one slash between elements, no `.`, `..` resolved lexically.
    static func clean(_ path: String) -> String {
        if path.isEmpty { return "." }
        let rooted = path.hasPrefix("/")
        var out: [Substring] = []
        for part in path.split(separator: "/", omittingEmptySubsequences: true) {
            if part == "." { continue }
            if part == ".." {
                if let last = out.last, last != ".." { out.removeLast() } else if !rooted { out.append(part) }
                continue
            }
            out.append(part)
        }
        let joined = out.joined(separator: "/")
        if rooted { return "/" + joined }
        return joined.isEmpty ? "." : joined
    }

    /// Go's `filepath.Join(base, path)`.
    static func join(_ base: String, _ path: String) -> String {
        if path.isEmpty { return clean(base) }
        return clean(base + "/" + path)
    }

    static func isAbsolute(_ path: String) -> Bool { path.hasPrefix("/") }

    /// `C:\…`, `C:/…` or `\\server\…`: absolute for a Windows daemon, left alone.
    static func isWindowsAbsolute(_ path: String) -> Bool {
        let u = Array(path.unicodeScalars)
        if u.count >= 3, u[1] == ":", (u[2] == "\\" || u[2] == "/"), u[0].properties.isAlphabetic { return true }
        return path.hasPrefix("\\\\")
    }

    /// compose-go `ExpandUser`: a leading `~` is the home directory.
    static func expandUser(_ path: String, home: String) -> String {
        guard path.hasPrefix("~") else { return path }
        return join(home, String(path.dropFirst()))
    }
}
