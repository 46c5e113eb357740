/// An image reference read as Docker reads it (distribution/reference `ParseNormalizedNamed`
/// then `TagNameOnly`): `kafka` is `docker.io/library/kafka:latest`, `localhost:5000/x` keeps
/// its registry, `name@sha256:…` pins a digest (and gets no default tag).
public struct Reference: Hashable, Sendable, CustomStringConvertible {
    /// The registry host, with its port: `docker.io`, `localhost:5000`, `[::1]:5000`.
    public let domain: String
    /// The repository path within the registry: `library/kafka`, `team/app`.
    public let path: String
    public let tag: String?
    public let digest: Digest?

    public static let defaultDomain = "docker.io"
    static let maxNameLength = 255

    public init(domain: String, path: String, tag: String?, digest: Digest?) {
        self.domain = domain
        self.path = path
        self.tag = tag
        self.digest = digest
    }

    public init(parsing text: String) throws {
        func invalid(_ why: String = "") -> OCIError {
            OCIError("invalid reference format\(why.isEmpty ? "" : ": " + why): \"\(text)\"")
        }
        guard !text.isEmpty else { throw OCIError("invalid reference format: repository name must have at least one component") }
        var rest = Substring(text)
        var digest: Digest?
        if let at = rest.firstIndex(of: "@") {
            let d = rest[rest.index(after: at)...]
            do { digest = try Digest(parsing: String(d)) } catch { throw invalid("\(error)") }
            rest = rest[..<at]
        }
        var tag: String?
        // A tag follows the last ':' that comes after the last '/' (a ':' before it is a port).
        let lastSlash = rest.lastIndex(of: "/")
        if let colon = rest.lastIndex(of: ":"), lastSlash.map({ colon > $0 }) ?? true {
            let t = String(rest[rest.index(after: colon)...])
            guard Self.isTag(t) else { throw invalid("invalid tag") }
            tag = t
            rest = rest[..<colon]
        }
        let name = String(rest)
        guard !name.isEmpty else { throw invalid() }
        // splitDockerDomain
        var domain: String, remainder: String
        if let slash = name.firstIndex(of: "/") {
            let first = String(name[..<slash])
            if !first.contains(".") && !first.contains(":") && first != "localhost" && first.lowercased() == first {
                domain = Self.defaultDomain; remainder = name
            } else {
                domain = first; remainder = String(name[name.index(after: slash)...])
            }
        } else {
            domain = Self.defaultDomain; remainder = name
        }
        if domain == "index.docker.io" { domain = Self.defaultDomain }
        if domain == Self.defaultDomain && !remainder.contains("/") { remainder = "library/" + remainder }
        guard Self.isDomain(domain) else { throw invalid("invalid registry host \"\(domain)\"") }
        if remainder.lowercased() != remainder {
            throw OCIError("invalid reference format: repository name (\(remainder)) must be lowercase")
        }
        let components = remainder.split(separator: "/", omittingEmptySubsequences: false)
        guard !components.isEmpty, components.allSatisfy({ Self.isPathComponent($0) }) else { throw invalid() }
        guard (domain.utf8.count + 1 + remainder.utf8.count) <= Self.maxNameLength else {
            throw OCIError("invalid reference format: repository name must not be more than \(Self.maxNameLength) characters")
        }
        self.init(domain: domain, path: remainder, tag: tag ?? (digest == nil ? "latest" : nil), digest: digest)
    }

    /// `docker.io/library/kafka` (no tag or digest).
    public var name: String { domain + "/" + path }

    /// Docker's familiar form of the name: `kafka`, `team/app`, `localhost:5000/x`.
    public var familiarName: String {
        guard domain == Self.defaultDomain else { return name }
        return path.hasPrefix("library/") && path.split(separator: "/").count == 2 ? String(path.dropFirst(8)) : path
    }

    /// The full normalised form: `docker.io/library/kafka:latest`, `x@sha256:…`.
    public var description: String {
        name + (tag.map { ":" + $0 } ?? "") + (digest.map { "@" + $0.description } ?? "")
    }

    /// What the registry is asked for: the digest when pinned, else the tag.
    public var manifestReference: String { digest?.description ?? tag ?? "latest" }

    public func withDigest(_ d: Digest) -> Reference { Reference(domain: domain, path: path, tag: tag, digest: d) }

    // MARK: - Grammar (distribution/reference regexp.go)

    /// `[\w][\w.-]{0,127}`
    static func isTag(_ s: String) -> Bool {
        let u = Array(s.utf8)
        guard (1...128).contains(u.count), isWord(u[0]) else { return false }
        return u.dropFirst().allSatisfy { isWord($0) || $0 == UInt8(ascii: ".") || $0 == UInt8(ascii: "-") }
    }

    static func isWord(_ b: UInt8) -> Bool {
        (48...57).contains(b) || (65...90).contains(b) || (97...122).contains(b) || b == UInt8(ascii: "_")
    }

    static func isLowerAlnum(_ b: UInt8) -> Bool { (48...57).contains(b) || (97...122).contains(b) }

    /// `[a-z0-9]+(?:(?:[._]|__|[-]+)[a-z0-9]+)*`
    static func isPathComponent(_ s: Substring) -> Bool {
        let u = Array(s.utf8)
        guard let f = u.first, let l = u.last, isLowerAlnum(f), isLowerAlnum(l) else { return false }
        var i = 0
        while i < u.count {
            if isLowerAlnum(u[i]) { i += 1; continue }
            // a separator run: ".", "_", "__", or one or more "-"
            var j = i
            while j < u.count, !isLowerAlnum(u[j]) { j += 1 }
            let sep = u[i..<j]
            let ok = sep.elementsEqual([UInt8(ascii: ".")]) || sep.elementsEqual([UInt8(ascii: "_")])
                || sep.elementsEqual([UInt8(ascii: "_"), UInt8(ascii: "_")]) || sep.allSatisfy { $0 == UInt8(ascii: "-") }
            guard ok else { return false }
            i = j
        }
        return true
    }

    /// A host name (labels of letters, digits and inner hyphens), an IPv4 address, or a
    /// bracketed IPv6 address; then an optional `:port`.
    static func isDomain(_ s: String) -> Bool {
        var host = Substring(s)
        if host.hasPrefix("[") {
            guard let close = host.firstIndex(of: "]") else { return false }
            let inner = host[host.index(after: host.startIndex)..<close]
            guard !inner.isEmpty, inner.allSatisfy({ $0.isHexDigit || $0 == ":" || $0 == "." }) else { return false }
            host = host[host.index(after: close)...]
            if host.isEmpty { return true }
            guard host.hasPrefix(":") else { return false }
            return isPort(host.dropFirst())
        }
        if let colon = host.lastIndex(of: ":") {
            guard isPort(host[host.index(after: colon)...]) else { return false }
            host = host[..<colon]
        }
        let labels = host.split(separator: ".", omittingEmptySubsequences: false)
        return !labels.isEmpty && labels.allSatisfy { label in
            let u = Array(label.utf8)
            guard let f = u.first, let l = u.last else { return false }
            func alnum(_ b: UInt8) -> Bool { isLowerAlnum(b) || (65...90).contains(b) }
            return alnum(f) && alnum(l) && u.allSatisfy { alnum($0) || $0 == UInt8(ascii: "-") }
        }
    }

    static func isPort(_ s: Substring) -> Bool { !s.isEmpty && s.utf8.allSatisfy { (48...57).contains($0) } }
}
