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
            for (i, item) in list.enumerated() where !(item.scalarText?.utf8.contains(UInt8(ascii: "=")) ?? false) {
                throw ComposeError("invalid value \(item.scalarText ?? item.value.kindName), expected key=value", path: (path + i).description, mark: item.mark)
            }
        }
        return try mapping(node, path: path, missing: .null)
    }

    /// `build.ssh` stays the list Docker Compose prints, `["default", "id=path"]`; the mapping
    /// form `{id: path, default: null}` becomes that list, sorted by id.
    static func ssh(_ node: ComposeNode, path: KeyPath) throws -> ComposeNode {
        if let map = node.object {
            let keys = map.keys.sorted { $0.utf8.lexicographicallyPrecedes($1.utf8) }
            var out: [ComposeNode] = []
            for id in keys {
                guard let v = map[id] else { continue }
                if v.isNull {
                    out.append(ComposeNode(.string(id), mark: map.keyMark(id) ?? v.mark))
                } else if let p = v.scalarText {
                    out.append(ComposeNode(.string("\(id)=\(p)"), mark: v.mark))
                } else {
                    throw ComposeError("invalid ssh key type \(v.value.kindName), expected a path", path: (path + id).description, mark: v.mark)
                }
            }
            return ComposeNode(.array(out), mark: node.mark, tag: node.tag)
        }
        guard let list = node.array else { return node }
        for (i, item) in list.enumerated() {
            guard let s = item.string else {
                throw ComposeError("invalid ssh key type \(item.value.kindName), expected a string", path: (path + i).description, mark: item.mark)
            }
            if !s.utf8.contains(UInt8(ascii: "=")) && s != "default" {
                throw ComposeError("invalid ssh key \"\(s)\", expected \"default\" or ID=path", path: (path + i).description, mark: item.mark)
            }
        }
        return node
    }

    /// `extra_hosts` (list of `host:ip` / `host=ip`, or a mapping of host to one or more IPs) →
    /// the list of `host=ip` Docker Compose prints, sorted; `host=ip1,ip2` in a list gives both.
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
                // In the list form one entry may give several IPs: `host=ip1,ip2`.
                let host = String(s[..<sep])
                for ip in s[s.index(after: sep)...].split(separator: ",", omittingEmptySubsequences: false) {
                    entries.append((host, String(ip), item.mark))
                }
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
        // Docker Compose prints the `host=ip` strings sorted bytewise as whole strings.
        let texts = entries.map { (text: "\($0.host)=\($0.ip)", mark: $0.mark) }
            .sorted { $0.text.utf8.lexicographicallyPrecedes($1.text.utf8) }
        return ComposeNode(.array(texts.map { ComposeNode(.string($0.text), mark: $0.mark) }), mark: node.mark, tag: node.tag)
    }
}
