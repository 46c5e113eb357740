import ComposeModel

/// compose-go's `override.EnforceUnicity`: after a merge, the sequences whose entries are
/// identified by a key keep one entry per key — the last one, at the place of the first.
enum Unicity {
    enum Indexer {
        case keyValue, volume, device, port, envFile, expose
        case mount(defaultDirectory: String)
    }

    static let serviceKeys: [String: Indexer] = [
        "annotations": .keyValue, "cap_add": .keyValue, "cap_drop": .keyValue,
        "configs": .mount(defaultDirectory: ""), "devices": .device,
        "dns": .keyValue, "dns_opt": .keyValue, "dns_search": .keyValue,
        "environment": .keyValue, "env_file": .envFile, "expose": .expose,
        "labels": .keyValue, "links": .keyValue, "ports": .port, "profiles": .keyValue,
        "secrets": .mount(defaultDirectory: "/run/secrets"), "sysctls": .keyValue,
        "tmpfs": .keyValue, "volumes": .volume,
    ]
    static let buildKeys: [String: Indexer] = [
        "args": .keyValue, "additional_contexts": .keyValue, "platform": .keyValue, "platforms": .keyValue,
        "tags": .keyValue, "labels": .keyValue,
    ]

    static func apply(_ dict: ComposeNode) throws -> ComposeNode {
        guard var top = dict.object else { return dict }
        if var services = top["services"], case .object(var so) = services.value {
            try so.mapValues { name, service in
                guard case .object(var s) = service.value else { return service }
                let base = KeyPath("services", name)
                for k in s.keys {
                    guard let node = s[k] else { continue }
                    if let ix = serviceKeys[k] {
                        s[k] = try unique(node, ix, path: base + k)
                    } else if k == "build" || k == "deploy" {
                        guard case .object(var b) = node.value else { continue }
                        for bk in b.keys {
                            guard let bn = b[bk] else { continue }
                            if k == "build" ? buildKeys[bk] != nil : bk == "labels" {
                                b[bk] = try unique(bn, buildKeys[bk] ?? .keyValue, path: base + k + bk)
                            }
                        }
                        s[k] = ComposeNode(.object(b), mark: node.mark)
                    } else if k == "networks" {
                        guard case .object(var nets) = node.value else { continue }
                        try nets.mapValues { net, cfg in
                            guard case .object(var c) = cfg.value else { return cfg }
                            for ck in ["aliases", "link_local_ips"] {
                                if let v = c[ck] { c[ck] = try unique(v, .keyValue, path: base + k + net + ck) }
                            }
                            return ComposeNode(.object(c), mark: cfg.mark)
                        }
                        s[k] = ComposeNode(.object(nets), mark: node.mark)
                    }
                }
                return ComposeNode(.object(s), mark: service.mark)
            }
            services.value = .object(so)
            top["services"] = services
        }
        if var networks = top["networks"], case .object(var no) = networks.value {
            try no.mapValues { name, net in
                guard case .object(var n) = net.value else { return net }
                if let l = n["labels"] { n["labels"] = try unique(l, .keyValue, path: KeyPath("networks", name, "labels")) }
                if var ipam = n["ipam"], let opts = ipam["options"] {
                    ipam["options"] = try unique(opts, .keyValue, path: KeyPath("networks", name, "ipam", "options"))
                    n["ipam"] = ipam
                }
                return ComposeNode(.object(n), mark: net.mark)
            }
            networks.value = .object(no)
            top["networks"] = networks
        }
        return ComposeNode(.object(top), mark: dict.mark, tag: dict.tag)
    }

    static func unique(_ node: ComposeNode, _ ix: Indexer, path: KeyPath) throws -> ComposeNode {
        guard case .array(let items) = node.value, items.count > 1 else { return node }
        var out: [ComposeNode] = []
        out.reserveCapacity(items.count)
        var seen: [String: Int] = [:]
        for (i, item) in items.enumerated() {
            let key = try self.key(item, ix, path: path + i)
            if let j = seen[key] {
                out[j] = item
            } else {
                seen[key] = out.count
                out.append(item)
            }
        }
        return ComposeNode(.array(out), mark: node.mark, tag: node.tag)
    }

    /// Go's `%s` of a raw value.
    @inline(never)
    private static func goS(_ n: ComposeNode?, _ missing: String) -> String {
        guard let n else { return missing }
        if let t = n.string { return t }
        return "%!s(\(n.value.kindName)=\(Merge.goTextOf(n)))"
    }

    /// Go's "%s:%s:%d/%s" over the raw values: a string target or an int published print
    /// differently from their canonical forms, as they do in compose-go. Kept out of `key`:
    /// inlined there, swiftc 6.3.1's CopyPropagation pass crashes at -O.
    @inline(never)
    private static func portKey(_ o: ComposeObject, target: ComposeNode) -> String {
        let t: String
        if case .int(let i) = target.value { t = String(i) } else { t = "%!d(\(target.value.kindName)=\(Merge.goTextOf(target)))" }
        return "\(goS(o["host_ip"], "0.0.0.0")):\(goS(o["published"], "%!s(<nil>)")):\(t)/\(goS(o["protocol"], "tcp"))"
    }

    static func key(_ item: ComposeNode, _ ix: Indexer, path: KeyPath) throws -> String {
        switch ix {
        case .keyValue:
            guard let s = item.string else {
                throw ComposeError("unexpected type \(item.value.kindName), expected a string", path: path.description, mark: item.mark)
            }
            if let eq = s.firstIndex(of: "=") { return String(s[..<eq]) }
            return s
        case .volume:
            switch item.value {
            case .object(let o):
                guard let t = o["target"]?.string else {
                    throw ComposeError("service volume is missing a mount target", path: path.description, mark: item.mark)
                }
                return t
            case .string(let s):
                return try volumeTarget(s, path: path, mark: item.mark)
            default: return ""
            }
        case .device:
            switch item.value {
            case .object(let o):
                guard let t = o["target"]?.string else {
                    throw ComposeError("service device is missing a mount target", path: path.description, mark: item.mark)
                }
                return t
            case .string(let s):
                let parts = s.split(separator: ":", omittingEmptySubsequences: false)
                return String(parts.count == 1 ? parts[0] : parts[1])
            default: return ""
            }
        case .port:
            switch item.value {
            case .int(let i): return String(i)
            case .string(let s): return s
            case .object(let o):
                guard let target = o["target"] else {
                    throw ComposeError("service port is missing a target port", path: path.description, mark: item.mark)
                }
                return portKey(o, target: target)
            default: return ""
            }
        case .envFile:
            switch item.value {
            case .string(let s): return s
            case .object(let o):
                guard let p = o["path"] else {
                    throw ComposeError("env_file entry is missing its path attribute", path: path.description, mark: item.mark)
                }
                return p.scalarText ?? ""
            default: return ""
            }
        case .expose:
            switch item.value {
            case .string(let s): return s
            case .int(let i): return String(i)
            default:
                throw ComposeError("unsupported expose value \(item.value), expected a port or range", path: path.description, mark: item.mark)
            }
        case .mount(let dir):
            switch item.value {
            case .string(let s): return dir + "/" + s
            case .object(let o):
                if let t = o["target"] { return t.scalarText ?? "" }
                return dir + "/" + Merge.goTextOf(o["source"] ?? .null)
            default:
                throw ComposeError("unsupported value \(item.value), expected a name or a mapping", path: path.description, mark: item.mark)
            }
        }
    }

    /// The target of a short volume spec (`[source:]target[:mode]`), with compose-go's
    /// `format.ParseVolume` reading of Windows drive letters: a one-letter first field followed
    /// by `:` is a drive (`C:\data:/data`; also `a:/a`, which compose-go reads the same way).
    static func volumeTarget(_ spec: String, path: KeyPath, mark: SourceMark?) throws -> String {
        let chars = Array(spec)
        if chars.isEmpty {
            throw ComposeError("invalid empty volume spec", path: path.description, mark: mark)
        }
        if chars.count <= 2 { return spec }
        var fields: [String] = []
        var buffer: [Character] = []
        for c in chars {
            if c == ":" {
                if buffer.count == 1, buffer[0].isLetter {
                    buffer.append(c)  // read as a drive letter, part of the path (as compose-go does)
                    continue
                }
                if buffer.isEmpty {
                    throw ComposeError("invalid spec: \(spec): empty section between colons", path: path.description, mark: mark)
                }
                fields.append(String(buffer))
                buffer = []
            } else {
                buffer.append(c)
            }
        }
        if buffer.isEmpty {
            throw ComposeError("invalid spec: \(spec): empty section between colons", path: path.description, mark: mark)
        }
        fields.append(String(buffer))
        if fields.count == 1 { return fields[0] }
        if fields.count > 3 {
            throw ComposeError("invalid spec: \(spec): too many colons", path: path.description, mark: mark)
        }
        return fields[1]
    }
}

extension Merge {
    /// A value as Go's `%v` prints it.
    static func goTextOf(_ n: ComposeNode) -> String { MergeRule.goText(n) }
}
