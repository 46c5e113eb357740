import ComposeModel
import Foundation

extension Normalize {
    /// compose-go `paths.ResolveRelativePaths`: every path attribute made absolute against `base`
    /// (`~` is the home directory); remote build contexts and Windows paths are left alone.
    /// Public so the include and extends stages can resolve a file's services against its own
    /// directory.
    public static func resolveRelativePaths(_ dict: ComposeNode, base: String, home: String) throws -> ComposeNode {
        var model = dict
        let r = PathResolver(base: base, home: home)
        if var services = model["services"]?.object {
            try services.mapValues { name, svc in
                guard svc.object != nil else { return svc }
                return try r.service(svc, path: KeyPath("services", name))
            }
            model["services"] = .object(services)
        }
        for kind in ["secrets", "configs"] {
            guard var resources = model[kind]?.object else { continue }
            resources.mapValues { _, node in
                guard node.object != nil, let file = node["file"]?.string else { return node }
                var n = node
                n["file"] = .string(r.maybeUnixPath(file), mark: node["file"]?.mark)
                return n
            }
            model[kind] = .object(resources)
        }
        if var volumes = model["volumes"]?.object {
            volumes.mapValues { _, node in
                guard node["driver"]?.string == "local", var opts = node["driver_opts"], opts["o"]?.string == "bind",
                      let device = opts["device"]?.string else { return node }
                var n = node
                // Go filepath.Join(base, ""): an empty device is the project directory itself.
                opts["device"] = .string(device.isEmpty ? r.base : r.maybeUnixPath(device))
                n["driver_opts"] = opts
                return n
            }
            model["volumes"] = .object(volumes)
        }
        return model
    }
}

struct PathResolver {
    var base: String
    var home: String

    func absPath(_ p: String) -> String {
        let v = PathText.expandUser(p, home: home)
        if PathText.isAbsolute(v) || v.isEmpty { return v }
        return PathText.join(base, v)
    }

    func maybeUnixPath(_ p: String) -> String {
        let v = PathText.expandUser(p, home: home)
        if v.isEmpty || PathText.isAbsolute(v) || PathText.isWindowsAbsolute(v) { return v }
        return PathText.join(base, v)
    }

    func contextPath(_ p: String) -> String {
        if p.contains("://") { return p }
        for prefix in ["https://", "http://", "git://", "ssh://", "github.com/", "git@"] where p.hasPrefix(prefix) { return p }
        return absPath(p)
    }

    func symbolicLink(_ p: String) -> String {
        let abs = absPath(p)
        if let type = try? FileManager.default.attributesOfItem(atPath: abs)[.type] as? FileAttributeType, type == .typeSymbolicLink {
            return (abs as NSString).resolvingSymlinksInPath
        }
        return abs
    }

    func mapStrings(_ node: ComposeNode?, _ f: (String) -> String) -> ComposeNode? {
        guard let node else { return nil }
        if let s = node.string { return .string(f(s), mark: node.mark) }
        if let a = node.array { return .array(a.map { mapStrings($0, f) ?? $0 }, mark: node.mark) }
        if var o = node.object {
            o.mapValues { _, v in mapStrings(v, f) ?? v }
            return .object(o, mark: node.mark)
        }
        return node
    }

    func service(_ svc: ComposeNode, path: KeyPath) throws -> ComposeNode {
        var s = svc
        if var build = s["build"], build.object != nil {
            if let c = build["context"]?.string { build["context"] = .string(contextPath(c), mark: build["context"]?.mark) }
            if let extra = build["additional_contexts"] {
                // `service:NAME` names another service's image, not a directory.
                build["additional_contexts"] = mapStrings(extra) { $0.hasPrefix("service:") ? $0 : contextPath($0) }
            }
            if let ssh = build["ssh"]?.array {
                // `id=path`: the key file's path is resolved like any other (`default` alone has none).
                build["ssh"] = .array(ssh.map { RelativePaths.rewritingEntryValue($0, absPath) }, mark: build["ssh"]?.mark)
            }
            s["build"] = build
        }
        if let envFiles = s["env_file"] {
            if let text = envFiles.string {
                s["env_file"] = .string(absPath(text), mark: envFiles.mark)
            } else if var list = envFiles.array {
                for i in list.indices {
                    if let text = list[i].string { list[i] = .string(absPath(text), mark: list[i].mark) }
                    else if let p = list[i]["path"]?.string { list[i]["path"] = .string(absPath(p), mark: list[i]["path"]?.mark) }
                }
                s["env_file"] = .array(list, mark: envFiles.mark)
            }
        }
        if let labels = s["label_file"] { s["label_file"] = mapStrings(labels, absPath) }
        if var ext = s["extends"], ext.object != nil, let f = ext["file"]?.string {
            ext["file"] = .string(absPath(f), mark: ext["file"]?.mark)
            s["extends"] = ext
        }
        if var watch = s["develop"]?["watch"]?.array {
            for i in watch.indices {
                if let p = watch[i]["path"]?.string { watch[i]["path"] = .string(symbolicLink(p), mark: watch[i]["path"]?.mark) }
            }
            var develop = s["develop"] ?? .null
            develop["watch"] = .array(watch)
            s["develop"] = develop
        }
        if var volumes = s["volumes"]?.array {
            for i in volumes.indices where volumes[i].object != nil && volumes[i]["type"]?.string == "bind" {
                guard let src = volumes[i]["source"]?.string else {
                    let p = path + "volumes" + i
                    throw ComposeError("invalid mount config for type \"bind\": field Source must not be empty", path: p.description, mark: volumes[i].mark)
                }
                volumes[i]["source"] = .string(maybeUnixPath(src), mark: volumes[i]["source"]?.mark)
            }
            s["volumes"] = .array(volumes, mark: svc["volumes"]?.mark)
        }
        return s
    }
}
