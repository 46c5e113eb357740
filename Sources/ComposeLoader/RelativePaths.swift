import ComposeModel
import Foundation

/// Makes the relative paths of a service absolute against a directory: what compose-go's
/// `paths.ResolveRelativePaths` does to a service taken with `extends.file` from another file.
/// Works on the short and the long syntax alike (build, env_file, label_file, volumes,
/// extends.file, develop.watch paths, build.additional_contexts).
enum RelativePaths {
    static func resolveService(_ service: ComposeNode, directory: String) -> ComposeNode {
        guard var s = service.object else { return service }
        func abs(_ n: ComposeNode) -> ComposeNode {
            guard let p = n.string, !p.isEmpty else { return n }
            return ComposeNode(.string(absolute(p, directory)), mark: n.mark, tag: n.tag)
        }
        func absList(_ n: ComposeNode) -> ComposeNode {
            switch n.value {
            case .string: return abs(n)
            case .array(let items):
                return ComposeNode(.array(items.map { item in
                    if case .object(var o) = item.value, let p = o["path"] {
                        o["path"] = abs(p)
                        return ComposeNode(.object(o), mark: item.mark, tag: item.tag)
                    }
                    return abs(item)
                }), mark: n.mark, tag: n.tag)
            default: return n
            }
        }

        if let build = s["build"] {
            switch build.value {
            case .string(let ctx) where !isRemote(ctx):
                s["build"] = abs(build)
            case .object(var b):
                if let ctx = b["context"], let c = ctx.string, !isRemote(c) { b["context"] = abs(ctx) }
                if let extra = b["additional_contexts"] {
                    b["additional_contexts"] = resolveContexts(extra, directory)
                }
                s["build"] = ComposeNode(.object(b), mark: build.mark, tag: build.tag)
            default: break
            }
        }
        for key in ["env_file", "label_file"] {
            if let n = s[key] { s[key] = absList(n) }
        }
        if let ext = s["extends"], case .object(var e) = ext.value, let f = e["file"] {
            e["file"] = abs(f)
            s["extends"] = ComposeNode(.object(e), mark: ext.mark, tag: ext.tag)
        }
        if let vols = s["volumes"], case .array(let items) = vols.value {
            s["volumes"] = ComposeNode(.array(items.map { resolveVolume($0, directory) }), mark: vols.mark, tag: vols.tag)
        }
        if let dev = s["develop"], case .object(var d) = dev.value, let watch = d["watch"], case .array(let rules) = watch.value {
            d["watch"] = ComposeNode(.array(rules.map { rule in
                guard case .object(var r) = rule.value, let p = r["path"] else { return rule }
                r["path"] = abs(p)
                return ComposeNode(.object(r), mark: rule.mark, tag: rule.tag)
            }), mark: watch.mark, tag: watch.tag)
            s["develop"] = ComposeNode(.object(d), mark: dev.mark, tag: dev.tag)
        }
        return ComposeNode(.object(s), mark: service.mark, tag: service.tag)
    }

    static func absolute(_ path: String, _ directory: String) -> String {
        Loader.absolute(path, relativeTo: directory)
    }

    /// A build context that is not a local directory (Git or HTTP URL).
    static func isRemote(_ ctx: String) -> Bool {
        ctx.contains("://") || ctx.hasPrefix("git@") || ctx.hasPrefix("github.com/")
    }

    /// A `KEY=value` list entry with its value rewritten by `f` (nil: kept); anything else as is.
    static func rewritingEntryValue(_ item: ComposeNode, _ f: (String) -> String?) -> ComposeNode {
        guard let s = item.string, let eq = s.firstIndex(of: "="), let value = f(String(s[s.index(after: eq)...])) else { return item }
        return ComposeNode(.string(s[..<eq] + "=" + value), mark: item.mark, tag: item.tag)
    }

    static func resolveContexts(_ n: ComposeNode, _ directory: String) -> ComposeNode {
        func local(_ v: String) -> Bool { !(isRemote(v) || v.hasPrefix("service:")) }
        switch n.value {
        case .object(var o):
            o.mapValues { _, v in
                guard let s = v.string, local(s) else { return v }
                return ComposeNode(.string(absolute(s, directory)), mark: v.mark, tag: v.tag)
            }
            return ComposeNode(.object(o), mark: n.mark, tag: n.tag)
        case .array(let items):
            return ComposeNode(.array(items.map { item in
                rewritingEntryValue(item) { local($0) ? absolute($0, directory) : nil }
            }), mark: n.mark, tag: n.tag)
        default: return n
        }
    }

    static func resolveVolume(_ v: ComposeNode, _ directory: String) -> ComposeNode {
        switch v.value {
        case .string(let spec):
            // Short syntax: only a source starting with `.` or `~` is a relative host path.
            guard spec.hasPrefix(".") || spec.hasPrefix("~"), let colon = spec.firstIndex(of: ":") else { return v }
            let source = String(spec[..<colon])
            return ComposeNode(.string(absolute(source, directory) + spec[colon...]), mark: v.mark, tag: v.tag)
        case .object(var o):
            let type = o["type"]?.string
            guard let src = o["source"], let s = src.string, !s.isEmpty, !s.hasPrefix("/") else { return v }
            guard type == "bind" || (type == nil && (s.hasPrefix(".") || s.hasPrefix("~"))) else { return v }
            o["source"] = ComposeNode(.string(absolute(s, directory)), mark: src.mark, tag: src.tag)
            return ComposeNode(.object(o), mark: v.mark, tag: v.tag)
        default: return v
        }
    }
}
