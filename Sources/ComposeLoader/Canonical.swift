import ComposeModel
import Foundation

/// compose-go's `transform.Canonical` followed by `OmitEmpty`, and the short-to-long rewrites its
/// typed decoding does: every short syntax of a service or resource is rewritten to the long form
/// `docker compose config` prints (ports, volumes, depends_on, env_file, mappings, …).
///
/// Runs on the schema-valid, interpolated, merged tree after every file; it is idempotent, so a
/// tree that is already canonical passes through unchanged. Marks of the rewritten nodes are kept.
/// Paths are not resolved here (Normalize does that once all files are merged).
public enum Canonical {
    public static func apply(_ dict: ComposeNode, warn: (String) -> Void = { _ in }) throws -> ComposeNode {
        guard var top = dict.object else { return dict }
        for key in top.keys {
            guard let section = top[key], var entries = section.object else { continue }
            let path = KeyPath(key)
            switch key {
            case "services":
                for name in entries.keys {
                    guard let svc = entries[name] else { continue }
                    entries[name] = try service(svc, path: path + name)
                }
            case "volumes", "networks", "secrets", "configs":
                for name in entries.keys {
                    guard let res = entries[name] else { continue }
                    entries[name] = try resource(res, kind: key, path: path + name, warn: warn)
                }
            default:
                continue
            }
            top[key] = ComposeNode(.object(entries), mark: section.mark, tag: section.tag)
        }
        if let include = top["include"], let items = include.array {
            top["include"] = ComposeNode(.array(items.map { item in
                item.string != nil ? wrap(item, in: "path") : item
            }), mark: include.mark, tag: include.tag)
        }
        var out = dict
        out.value = .object(top)
        return out
    }

    // MARK: - Services

    static func service(_ node: ComposeNode, path: KeyPath) throws -> ComposeNode {
        guard var svc = node.object else { return node }
        for key in svc.keys {
            guard let v = svc[key], !v.isNull else { continue }
            let p = path + key
            let nv: ComposeNode
            switch key {
            case "ports": nv = try ports(v, path: p)
            case "volumes": nv = try serviceVolumes(v, path: p)
            case "environment": nv = try mapping(v, path: p, missing: .null, checkKeys: true)
            case "labels", "annotations", "sysctls": nv = try mapping(v, path: p, missing: .string(""))
            case "extra_hosts": nv = try extraHosts(v, path: p)
            case "build": nv = try build(v, path: p)
            case "depends_on": nv = try dependsOn(v, path: p)
            case "env_file": nv = try envFile(v, path: p)
            case "label_file", "dns_search", "tmpfs": nv = stringOrList(v)
            case "dns": nv = omitEmptyEntries(stringOrList(v))
            case "extends": nv = v.string != nil ? wrap(v, in: "service") : v
            case "networks", "models": nv = serviceNetworks(v)  // a list of names is a map of name: null
            case "secrets", "configs": nv = try fileMounts(v, path: p)
            case "ulimits": nv = try ulimits(v, path: p)
            case "devices": nv = try devices(v, path: p)
            case "gpus": nv = try gpus(v, path: p)
            case "command", "entrypoint": nv = try shellCommand(v, path: p)
            case "healthcheck": nv = try healthcheck(v, path: p)
            case "expose": nv = stringList(v)
            case "logging": nv = logging(v)
            case "deploy": nv = try deploy(v, path: p)
            default: continue
            }
            svc[key] = nv
        }
        return ComposeNode(.object(svc), mark: node.mark, tag: node.tag)
    }

    static func build(_ node: ComposeNode, path: KeyPath) throws -> ComposeNode {
        if node.string != nil { return wrap(node, in: "context") }
        guard var b = node.object else {
            throw ComposeError("invalid type \(node.value.kindName) for build, expected a string or a mapping", path: path.description, mark: node.mark)
        }
        if b["context"] == nil { b["context"] = ComposeNode(.string("."), mark: node.mark) }
        for key in b.keys {
            guard let v = b[key], !v.isNull else { continue }
            let p = path + key
            switch key {
            case "args": b[key] = try mapping(v, path: p, missing: .null)
            case "labels": b[key] = try mapping(v, path: p, missing: .string(""))
            case "additional_contexts": b[key] = try keyValueStrict(v, path: p)
            case "extra_hosts": b[key] = try extraHosts(v, path: p)
            case "ssh": b[key] = try ssh(v, path: p)
            case "secrets": b[key] = try fileMounts(v, path: p)
            case "ulimits": b[key] = try ulimits(v, path: p)
            default: continue
            }
        }
        return ComposeNode(.object(b), mark: node.mark, tag: node.tag)
    }

    static func dependsOn(_ node: ComposeNode, path: KeyPath) throws -> ComposeNode {
        var out = ComposeObject()
        if let list = node.array {
            for (i, item) in list.enumerated() {
                guard let name = item.string else {
                    throw ComposeError("expected a service name, got \(item.value.kindName)", path: (path + i).description, mark: item.mark)
                }
                out.set(name, ComposeNode(.object(ComposeObject([
                    ("condition", ComposeNode(.string("service_started"), mark: item.mark)),
                    ("required", ComposeNode(.bool(true), mark: item.mark)),
                ])), mark: item.mark), keyMark: item.mark)
            }
            return ComposeNode(.object(out), mark: node.mark, tag: node.tag)
        }
        guard var map = node.object else {
            throw ComposeError("invalid type \(node.value.kindName) for depends_on, expected a list or a mapping", path: path.description, mark: node.mark)
        }
        for name in map.keys {
            guard let dep = map[name] else { continue }
            guard var d = dep.object else {
                throw ComposeError("unsupported value \(dep.value.kindName), expected a mapping with condition", path: (path + name).description, mark: dep.mark)
            }
            if d["condition"] == nil { d["condition"] = ComposeNode(.string("service_started"), mark: dep.mark) }
            if d["required"] == nil { d["required"] = ComposeNode(.bool(true), mark: dep.mark) }
            map[name] = ComposeNode(.object(d), mark: dep.mark, tag: dep.tag)
        }
        return ComposeNode(.object(map), mark: node.mark, tag: node.tag)
    }

    static func envFile(_ node: ComposeNode, path: KeyPath) throws -> ComposeNode {
        func entry(_ e: ComposeNode, _ p: KeyPath) throws -> ComposeNode {
            if e.string != nil {
                return ComposeNode(.object(ComposeObject([("path", e), ("required", ComposeNode(.bool(true), mark: e.mark))])), mark: e.mark)
            }
            guard var o = e.object else {
                throw ComposeError("invalid type \(e.value.kindName) for env_file, expected a path or a mapping", path: p.description, mark: e.mark)
            }
            if o["required"] == nil { o["required"] = ComposeNode(.bool(true), mark: e.mark) }
            return ComposeNode(.object(o), mark: e.mark, tag: e.tag)
        }
        if node.string != nil { return ComposeNode(.array([try entry(node, path)]), mark: node.mark, tag: node.tag) }
        guard let list = node.array else {
            throw ComposeError("invalid type \(node.value.kindName) for env_file, expected a path or a list", path: path.description, mark: node.mark)
        }
        return ComposeNode(.array(try list.enumerated().map { try entry($1, path + $0) }), mark: node.mark, tag: node.tag)
    }

    /// `networks: [a, b]` → `{a: null, b: null}`.
    static func serviceNetworks(_ node: ComposeNode) -> ComposeNode {
        guard let list = node.array else { return node }
        var out = ComposeObject()
        for item in list {
            if let name = item.scalarText { out.set(name, ComposeNode(.null, mark: item.mark), keyMark: item.mark) }
        }
        return ComposeNode(.object(out), mark: node.mark, tag: node.tag)
    }

    /// secrets / configs: `name` → `{source: name}`.
    static func fileMounts(_ node: ComposeNode, path: KeyPath) throws -> ComposeNode {
        guard let list = node.array else { return node }
        return ComposeNode(.array(try list.enumerated().map { i, item in
            if item.string != nil { return wrap(item, in: "source") }
            guard item.object != nil else {
                throw ComposeError("unsupported type \(item.value.kindName), expected a name or a mapping", path: (path + i).description, mark: item.mark)
            }
            return item
        }), mark: node.mark, tag: node.tag)
    }

    static func ulimits(_ node: ComposeNode, path: KeyPath) throws -> ComposeNode {
        guard var map = node.object else { return node }
        for name in map.keys {
            guard let v = map[name] else { continue }
            let p = path + name
            if let o = v.object {
                var limits = o
                for k in ["soft", "hard"] {
                    if let l = o[k] { limits[k] = try integer(l, path: p + k, what: "ulimit") }
                }
                map[name] = ComposeNode(.object(limits), mark: v.mark, tag: v.tag)
            } else {
                map[name] = try integer(v, path: p, what: "ulimit")
            }
        }
        return ComposeNode(.object(map), mark: node.mark, tag: node.tag)
    }

    static func integer(_ v: ComposeNode, path: KeyPath, what: String) throws -> ComposeNode {
        switch v.value {
        case .int: return v
        case .string(let s):
            if let i = Int(s.trimmingCharacters(in: .whitespaces)) { return ComposeNode(.int(i), mark: v.mark, tag: v.tag) }
        case .double(let d) where d == d.rounded() && abs(d) < 9e18:
            return ComposeNode(.int(Int(d)), mark: v.mark, tag: v.tag)
        default: break
        }
        throw ComposeError("invalid \(what) \(v.scalarText.map { "\"\($0)\"" } ?? v.value.kindName), expected an integer", path: path.description, mark: v.mark)
    }

    /// `/dev/a[:/dev/b[:rwm]]` → `{source, target, permissions}`.
    static func devices(_ node: ComposeNode, path: KeyPath) throws -> ComposeNode {
        guard let list = node.array else { return node }
        return ComposeNode(.array(try list.enumerated().map { i, item in
            guard let s = item.string else { return item }
            let parts = s.split(separator: ":", omittingEmptySubsequences: false).map(String.init)
            guard parts.count <= 3 else {
                throw ComposeError("confusing device mapping, please use long syntax: \(s)", path: (path + i).description, mark: item.mark)
            }
            let src = parts[0]
            let dst = parts.count > 1 && !parts[1].isEmpty ? parts[1] : src
            let perms = parts.count > 2 ? parts[2] : "rwm"
            return ComposeNode(.object(ComposeObject([
                ("source", .string(src, mark: item.mark)), ("target", .string(dst, mark: item.mark)),
                ("permissions", .string(perms, mark: item.mark)),
            ])), mark: item.mark)
        }), mark: node.mark, tag: node.tag)
    }

    /// `gpus: all` → `[{count: -1}]`; every request without count or device_ids counts all.
    static func gpus(_ node: ComposeNode, path: KeyPath) throws -> ComposeNode {
        if node.string != nil {
            return ComposeNode(.array([ComposeNode(.object(ComposeObject([("count", .int(-1, mark: node.mark))])), mark: node.mark)]), mark: node.mark, tag: node.tag)
        }
        return try deviceRequests(node, path: path)
    }

    static func deviceRequests(_ node: ComposeNode, path: KeyPath) throws -> ComposeNode {
        guard let list = node.array else { return node }
        return ComposeNode(.array(try list.enumerated().map { i, item in
            guard var o = item.object else { return item }
            let p = path + i
            if o["count"] != nil && o["device_ids"] != nil {
                throw ComposeError("\"count\" and \"device_ids\" attributes are exclusive", path: p.description, mark: item.mark)
            }
            if let c = o["count"] {
                if c.string?.lowercased() == "all" {
                    o["count"] = ComposeNode(.int(-1), mark: c.mark)
                } else {
                    o["count"] = try integer(c, path: p + "count", what: "device count")
                }
            } else if o["device_ids"] == nil {
                o["count"] = ComposeNode(.int(-1), mark: item.mark)
            }
            return ComposeNode(.object(o), mark: item.mark, tag: item.tag)
        }), mark: node.mark, tag: node.tag)
    }

    static func healthcheck(_ node: ComposeNode, path: KeyPath) throws -> ComposeNode {
        guard var h = node.object else { return node }
        if let test = h["test"], test.string != nil {
            h["test"] = ComposeNode(.array([.string("CMD-SHELL", mark: test.mark), ComposeNode(test.value, mark: test.mark)]), mark: test.mark, tag: test.tag)
        }
        return ComposeNode(.object(h), mark: node.mark, tag: node.tag)
    }

    static func logging(_ node: ComposeNode) -> ComposeNode {
        guard var l = node.object, let opts = l["options"] else { return node }
        l["options"] = stringValues(opts)
        return ComposeNode(.object(l), mark: node.mark, tag: node.tag)
    }

    static func deploy(_ node: ComposeNode, path: KeyPath) throws -> ComposeNode {
        guard var d = node.object else { return node }
        if let labels = d["labels"], !labels.isNull {
            d["labels"] = try mapping(labels, path: path + "labels", missing: .string(""))
        }
        if let res = d["resources"], var r = res.object {
            for kind in ["limits", "reservations"] {
                guard let lim = r[kind], var l = lim.object else { continue }
                if let cpus = l["cpus"], let s = cpus.string, let v = Double(s.trimmingCharacters(in: .whitespaces)) {
                    l["cpus"] = ComposeNode(.double(v), mark: cpus.mark)
                }
                if let devs = l["devices"] {
                    l["devices"] = try deviceRequests(devs, path: path + "resources" + kind + "devices")
                }
                r[kind] = ComposeNode(.object(l), mark: lim.mark, tag: lim.tag)
            }
            d["resources"] = ComposeNode(.object(r), mark: res.mark, tag: res.tag)
        }
        return ComposeNode(.object(d), mark: node.mark, tag: node.tag)
    }

    // MARK: - Top-level resources

    /// volumes / networks / secrets / configs: the legacy `external: {name: x}` becomes
    /// `name: x, external: true`; labels and driver options become string mappings.
    static func resource(_ node: ComposeNode, kind: String, path: KeyPath, warn: (String) -> Void) throws -> ComposeNode {
        guard var r = node.object else { return node }
        if let ext = r["external"], let e = ext.object {
            r["external"] = ComposeNode(.bool(true), mark: ext.mark)
            if let extName = e["name"] {
                warn("\(path): external.name is deprecated. Please set name and external: true")
                if let name = r["name"] {
                    if name.value != extName.value {
                        throw ComposeError("name and external.name conflict; only use name", path: path.description, mark: extName.mark)
                    }
                } else {
                    r["name"] = extName
                }
            }
        }
        if let labels = r["labels"], !labels.isNull {
            r["labels"] = try mapping(labels, path: path + "labels", missing: .string(""))
        }
        if let opts = r["driver_opts"] { r["driver_opts"] = stringValues(opts) }
        return ComposeNode(.object(r), mark: node.mark, tag: node.tag)
    }

    // MARK: - Helpers

    /// `s` → `{key: s}`.
    static func wrap(_ node: ComposeNode, in key: String) -> ComposeNode {
        ComposeNode(.object(ComposeObject([(key, ComposeNode(node.value, mark: node.mark))])), mark: node.mark, tag: node.tag)
    }

    static func stringOrList(_ node: ComposeNode) -> ComposeNode {
        if node.string != nil { return ComposeNode(.array([ComposeNode(node.value, mark: node.mark)]), mark: node.mark, tag: node.tag) }
        return node
    }

    /// compose-go's `OmitEmpty` for `services.*.dns`: null and empty entries go.
    static func omitEmptyEntries(_ node: ComposeNode) -> ComposeNode {
        guard let list = node.array else { return node }
        return ComposeNode(.array(list.filter { !($0.isNull || $0.string == "") }), mark: node.mark, tag: node.tag)
    }

    /// Every scalar of a list as a string (`expose: [80]` → `["80"]`).
    static func stringList(_ node: ComposeNode) -> ComposeNode {
        guard let list = node.array else { return node }
        return ComposeNode(.array(list.map { e in e.scalarText.map { ComposeNode(.string($0), mark: e.mark) } ?? e }), mark: node.mark, tag: node.tag)
    }

    /// Every scalar value of a mapping as a string (`driver_opts`, `logging.options`).
    static func stringValues(_ node: ComposeNode) -> ComposeNode {
        guard var o = node.object else { return node }
        o.mapValues { _, v in v.scalarText.map { ComposeNode(.string($0), mark: v.mark, tag: v.tag) } ?? v }
        return ComposeNode(.object(o), mark: node.mark, tag: node.tag)
    }
}
