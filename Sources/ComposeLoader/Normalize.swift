import ComposeModel
import Foundation

/// The whole-model steps of loading, after every file is merged (compose-go `loadYamlModel` and
/// `Normalize`, then the parts of `modelToProject` that change what `config` prints).
public enum Normalize {
    /// After all files are merged: defaults, semantic validation, relative paths made absolute
    /// against `workingDirectory`, then `environment`/`build.args` entries without a value taken
    /// from the interpolation environment.
    public static func finishModel(_ dict: ComposeNode, context: LoadContext, resolvePaths: Bool) throws -> ComposeNode {
        var model = setDefaults(dict)
        try validate(model)
        if resolvePaths {
            model = try resolveRelativePaths(model, base: context.workingDirectory, home: home(context))
        }
        return resolveEnvironment(model, lookup: context.lookup)
    }

    /// compose-go's `Normalize` for a project named `projectName`: the implicit `default`
    /// network, `pull_policy` spelling, build defaults, implicit `depends_on`, resource names, clean
    /// volume targets, `env_file` contents read into `environment`; finally every value is checked
    /// against the type Docker Compose decodes it into (durations, byte sizes, …).
    /// Returns the model and its rendering in `LoadOptions.renderFormat` (the check's by-product).
    public static func project(_ dict: ComposeNode, projectName: String, context: LoadContext) throws -> (ComposeNode, ComposeNode) {
        var model = dict
        normalizeNetworks(&model)
        if var services = model["services"]?.object {
            try services.mapValues { name, node in
                guard node.object != nil else { return node }
                return try normalizeService(node, name: name, context: context)
            }
            model["services"] = .object(services)
        }
        setNamesFromKeys(&model, projectName: projectName)
        let rendered = try ProjectRenderer.renderThrowing(model, format: context.options.renderFormat)
        return (model, rendered)
    }

    static func home(_ context: LoadContext) -> String {
        if let h = context.options.environment["HOME"], !h.isEmpty { return h }
        return NSHomeDirectory()
    }

    // MARK: - Networks and names

    /// Services without `network_mode` (or `provider`) and without networks join `default`;
    /// `default` is declared only when some service uses it.
    static func normalizeNetworks(_ model: inout ComposeNode) {
        var usesDefault = false
        if var services = model["services"]?.object {
            services.mapValues { _, svc in
                guard svc.object != nil else { return svc }
                if svc["provider"] != nil || svc["network_mode"] != nil { return svc }
                var s = svc
                let nets = svc["networks"]
                if nets == nil || nets?.isNull == true || (nets?.object?.isEmpty ?? false) || (nets?.array?.isEmpty ?? false) {
                    s["networks"] = .object(ComposeObject([("default", .null)]))
                    usesDefault = true
                } else if nets?.object?["default"] != nil || (nets?.array ?? []).contains(where: { $0.string == "default" }) {
                    usesDefault = true
                }
                return s
            }
            model["services"] = .object(services)
        }
        var networks = model["networks"]?.object ?? ComposeObject()
        if usesDefault, networks["default"] == nil { networks["default"] = .null }
        if !networks.isEmpty { model["networks"] = .object(networks) }
    }

    /// Resources without a `name` are named `<project>_<key>`, external ones by their key.
    static func setNamesFromKeys(_ model: inout ComposeNode, projectName: String) {
        for kind in ["networks", "volumes", "configs", "secrets"] {
            guard var resources = model[kind]?.object else { continue }
            resources.mapValues { key, node in
                var r = node.object == nil ? ComposeNode.object(ComposeObject(), mark: node.mark) : node
                if r["name"] == nil || r["name"]?.isNull == true {
                    let external = r["external"]?.bool == true
                    r["name"] = .string(external ? key : "\(projectName)_\(key)")
                }
                return r
            }
            model[kind] = .object(resources)
        }
    }

    // MARK: - Services

    static let namespaceKeys = ["network_mode", "ipc", "pid", "uts", "cgroup"]

    static func normalizeService(_ node: ComposeNode, name: String, context: LoadContext) throws -> ComposeNode {
        var s = node
        if s["pull_policy"]?.string == "if_not_present" { s["pull_policy"] = .string("missing") }
        if var build = s["build"], build.object != nil {
            if build["context"] == nil { build["context"] = .string(".") }
            if build["dockerfile"] == nil, build["dockerfile_inline"] == nil { build["dockerfile"] = .string("Dockerfile") }
            if let args = build["args"] { build["args"] = resolveMapping(args, lookup: context.lookup, keepUnset: false) }
            s["build"] = build
        }
        if let env = s["environment"] { s["environment"] = resolveMapping(env, lookup: context.lookup, keepUnset: true) }

        var deps = s["depends_on"]?.object ?? ComposeObject()
        // The short list form, in case the canonical stage left it: each entry started, required.
        for item in s["depends_on"]?.array ?? [] {
            guard let dep = item.scalarText, deps[dep] == nil else { continue }
            deps.set(dep, .object(ComposeObject([("condition", .string("service_started")), ("required", .bool(true))]), mark: item.mark), keyMark: item.mark)
        }
        let hadDeps = s["depends_on"] != nil
        func implicit(_ target: String, restart: Bool) {
            guard !target.isEmpty, deps[target] == nil else { return }
            deps[target] = .object(ComposeObject([
                ("condition", .string("service_started")), ("restart", .bool(restart)), ("required", .bool(true)),
            ]))
        }
        for link in s["links"]?.array ?? [] {
            guard let text = link.scalarText else { continue }
            let parts = text.split(separator: ":", omittingEmptySubsequences: false)
            implicit(parts.count == 2 ? String(parts[0]) : text, restart: true)
        }
        for key in namespaceKeys {
            if let ref = s[key]?.string, ref.hasPrefix("service:") { implicit(String(ref.dropFirst(8)), restart: true) }
        }
        for vol in s["volumes_from"]?.array ?? [] {
            guard let text = vol.scalarText, !text.hasPrefix("container:") else { continue }
            implicit(String(text.split(separator: ":", omittingEmptySubsequences: false).first ?? ""), restart: false)
        }
        if hadDeps || !deps.isEmpty { s["depends_on"] = .object(deps) }

        if var volumes = s["volumes"]?.array {
            for i in volumes.indices {
                if let t = volumes[i]["target"]?.string, !t.isEmpty { volumes[i]["target"] = .string(PathText.clean(t)) }
            }
            s["volumes"] = .array(volumes, mark: s["volumes"]?.mark)
        }
        s = try EnvFiles.apply(s, service: name, context: context)
        return s
    }

    /// `environment` (keepUnset) or `build.args`: entries without a value take the variable's
    /// value; unknown ones stay null (environment) or are dropped (args).
    static func resolveMapping(_ node: ComposeNode, lookup: (String) -> String?, keepUnset: Bool) -> ComposeNode {
        if let o = node.object {
            var out = ComposeObject()
            for (k, v) in o {
                if !v.isNull { out.set(k, v, keyMark: o.keyMark(k)); continue }
                if let value = lookup(k) { out.set(k, .string(value, mark: v.mark), keyMark: o.keyMark(k)) }
                else if keepUnset { out.set(k, v, keyMark: o.keyMark(k)) }
            }
            return ComposeNode(.object(out), mark: node.mark)
        }
        if let a = node.array {
            var out: [ComposeNode] = []
            for item in a {
                guard let text = item.string, !text.utf8.contains(UInt8(ascii: "=")) else { out.append(item); continue }
                if let value = lookup(text) { out.append(.string("\(text)=\(value)", mark: item.mark)) }
                else if keepUnset { out.append(item) }
            }
            return ComposeNode(.array(out), mark: node.mark)
        }
        return node
    }
}
