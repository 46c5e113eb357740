import ComposeModel
import Foundation

/// The list-or-mapping fields: environment, labels, annotations, sysctls, build args, extra_hosts, ssh.
extension Canonical {
    /// `["K=V", "K"]` → `{K: "V", K: missing}`; mapping values become strings (`1` → `"1"`).
    /// `missing` is what a key without `=` (or with a null value) maps to: null for environment
    /// and build args (resolved later from the environment), `""` for labels and sysctls.
    static func mapping(_ node: ComposeNode, path: KeyPath, missing: ComposeValue, checkKeys: Bool = false) throws -> ComposeNode {
        var out = ComposeObject()
        if let list = node.array {
            for (i, item) in list.enumerated() {
                guard let text = item.scalarText else {
                    throw ComposeError("expected a \"KEY=value\" string, got \(item.value.kindName)", path: (path + i).description, mark: item.mark)
                }
                let key: String
                let value: ComposeValue
                if let eq = text.firstIndex(of: "=") {
                    key = String(text[..<eq])
                    value = .string(String(text[text.index(after: eq)...]))
                } else {
                    key = text
                    value = missing
                }
                if checkKeys, key.unicodeScalars.last?.properties.isWhitespace == true {
                    throw ComposeError("environment variable \(key) is declared with a trailing space", path: (path + i).description, mark: item.mark)
                }
                out.set(key, ComposeNode(value, mark: item.mark), keyMark: item.mark)
            }
            return ComposeNode(.object(out), mark: node.mark, tag: node.tag)
        }
        guard var map = node.object else {
            throw ComposeError("invalid type \(node.value.kindName), expected a list or a mapping", path: path.description, mark: node.mark)
        }
        map.mapValues { _, v in
            if v.isNull { return ComposeNode(missing, mark: v.mark, tag: v.tag) }
            if let s = v.scalarText { return ComposeNode(.string(s), mark: v.mark, tag: v.tag) }
            return v
        }
        return ComposeNode(.object(map), mark: node.mark, tag: node.tag)
    }

    /// `additional_contexts`: a list must be `KEY=value` entries.
    static func keyValueStrict(_ node: ComposeNode, path: KeyPath) throws -> ComposeNode {
        if let list = node.array {
            for (i, item) in list.enumerated() where !(item.scalarText?.contains("=") ?? false) {
                throw ComposeError("invalid value \(item.scalarText ?? item.value.kindName), expected key=value", path: (path + i).description, mark: item.mark)
            }
        }
        return try mapping(node, path: path, missing: .null)
    }

    /// `build.ssh: [default, id=path]` → `{default: null, id: path}`.
    static func ssh(_ node: ComposeNode, path: KeyPath) throws -> ComposeNode {
        guard let list = node.array else { return node }
        var out = ComposeObject()
        for (i, item) in list.enumerated() {
            guard let s = item.string else {
                throw ComposeError("invalid ssh key type \(item.value.kindName), expected a string", path: (path + i).description, mark: item.mark)
            }
            if let eq = s.firstIndex(of: "=") {
                out.set(String(s[..<eq]), ComposeNode(.string(String(s[s.index(after: eq)...])), mark: item.mark), keyMark: item.mark)
            } else if s == "default" {
                out.set(s, ComposeNode(.null, mark: item.mark), keyMark: item.mark)
            } else {
                throw ComposeError("invalid ssh key \"\(s)\", expected \"default\" or ID=path", path: (path + i).description, mark: item.mark)
            }
        }
        return ComposeNode(.object(out), mark: node.mark, tag: node.tag)
    }

    /// `extra_hosts` (list of `host:ip` / `host=ip`, or a mapping of host to one or more IPs) →
    /// the list of `host=ip` Docker Compose prints: sorted by host, IPs of one host in order.
    static func extraHosts(_ node: ComposeNode, path: KeyPath) throws -> ComposeNode {
        var entries: [(host: String, ip: String, mark: SourceMark?)] = []
        if let list = node.array {
            for (i, item) in list.enumerated() {
                guard let s = item.scalarText else {
                    throw ComposeError("expected a \"host:ip\" string, got \(item.value.kindName)", path: (path + i).description, mark: item.mark)
                }
                guard let sep = s.firstIndex(of: "=") ?? s.firstIndex(of: ":") else {
                    throw ComposeError("invalid additional host, missing IP: \(s) (expected host:ip or host=ip)", path: (path + i).description, mark: item.mark)
                }
                entries.append((String(s[..<sep]), String(s[s.index(after: sep)...]), item.mark))
            }
        } else if let map = node.object {
            for (host, v) in map {
                if let ips = v.array {
                    for ip in ips { entries.append((host, ip.scalarText ?? "", ip.mark)) }
                } else if let ip = v.scalarText {
                    entries.append((host, ip, v.mark))
                } else {
                    throw ComposeError("expected an IP address or a list of them, got \(v.value.kindName)", path: (path + host).description, mark: v.mark)
                }
            }
        } else {
            throw ComposeError("invalid type \(node.value.kindName), expected a list or a mapping", path: path.description, mark: node.mark)
        }
        let sorted = entries.enumerated().sorted { a, b in
            if a.element.host != b.element.host { return a.element.host.utf8.lexicographicallyPrecedes(b.element.host.utf8) }
            return a.offset < b.offset
        }
        return ComposeNode(.array(sorted.map { ComposeNode(.string("\($0.element.host)=\($0.element.ip)"), mark: $0.element.mark) }), mark: node.mark, tag: node.tag)
    }
}
