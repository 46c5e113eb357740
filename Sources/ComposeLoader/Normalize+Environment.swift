import ComposeModel
import Foundation

extension Normalize {
    /// compose-go `ResolveEnvironment`: `environment` and `build.args` entries written without a
    /// value take the variable's value when it is set.
    static func resolveEnvironment(_ dict: ComposeNode, lookup: (String) -> String?) -> ComposeNode {
        var model = dict
        guard var services = model["services"]?.object else { return model }
        services.mapValues { _, svc in
            guard svc.object != nil else { return svc }
            var s = svc
            if let env = s["environment"]?.object { s["environment"] = fill(env, lookup: lookup) }
            if var build = s["build"], let args = build["args"]?.object {
                build["args"] = fill(args, lookup: lookup)
                s["build"] = build
            }
            return s
        }
        model["services"] = .object(services)
        return model
    }

    static func fill(_ o: ComposeObject, lookup: (String) -> String?) -> ComposeNode {
        var out = o
        out.mapValues { k, v in
            guard v.isNull, let value = lookup(k) else { return v }
            return .string(value, mark: v.mark)
        }
        return .object(out)
    }
}

/// `env_file` read into `environment` the way `config` shows it (compose-go
/// `WithServicesEnvironmentResolved` with env files discarded), and `label_file` into `labels`.
enum EnvFiles {
    struct Entry { var path: String; var required: Bool; var format: String?; var mark: SourceMark? }

    static func entries(_ node: ComposeNode?) -> [Entry] {
        guard let node else { return [] }
        if let s = node.string { return [Entry(path: s, required: true, format: nil, mark: node.mark)] }
        return (node.array ?? []).compactMap { item in
            if let s = item.string { return Entry(path: s, required: true, format: nil, mark: item.mark) }
            guard let p = item["path"]?.string else { return nil }
            let required = item["required"]?.bool ?? (item["required"]?.string.map { $0 == "true" } ?? true)
            return Entry(path: p, required: required, format: item["format"]?.string, mark: item.mark)
        }
    }

    /// With `resolveServiceEnvironment` off (compose-go `WithoutEnvironmentResolution`, as
    /// `config --hash` loads), `env_file` is kept as it is and not read; `label_file` is read
    /// either way.
    static func apply(_ svc: ComposeNode, service: String, context: LoadContext) throws -> ComposeNode {
        var s = svc
        let resolve = context.options.resolveServiceEnvironment
        let files = resolve ? entries(svc["env_file"]) : []
        let labelFiles = (svc["label_file"].map { $0.string.map { [$0] } ?? ($0.array ?? []).compactMap(\.string) }) ?? []
        if files.isEmpty && labelFiles.isEmpty {
            if resolve { s["env_file"] = nil }
            s["label_file"] = nil
            return s
        }
        if !files.isEmpty {
            let declared = mappingPairs(svc["environment"])
            var declaredLookup: [String: String] = [:]
            for (k, v) in declared { if let v { declaredLookup[k] = v } }
            var merged = ComposeObject()
            for (k, v) in declared { if let v { merged[k] = .string(v) } }
            for file in files {
                let path = PathText.isAbsolute(file.path) ? file.path : PathText.join(context.workingDirectory, file.path)
                guard let values = try read(path, format: file.format, required: file.required, mark: file.mark,
                                            lookup: { context.lookup($0) ?? declaredLookup[$0] }) else { continue }
                for (k, v) in values { merged[k] = .string(v) }
            }
            for (k, v) in declared {
                merged[k] = v.map { ComposeNode.string($0) } ?? (merged[k] ?? .null)
            }
            s["environment"] = .object(merged, mark: svc["environment"]?.mark)
        }
        if !labelFiles.isEmpty {
            let declared = mappingPairs(svc["labels"])
            var merged = ComposeObject()
            for file in labelFiles {
                let path = PathText.isAbsolute(file) ? file : PathText.join(context.workingDirectory, file)
                guard let values = try read(path, format: nil, required: true, mark: svc["label_file"]?.mark, lookup: context.lookup) else { continue }
                for (k, v) in values { merged[k] = .string(v) }
            }
            for (k, v) in declared { merged[k] = .string(v ?? "") }
            s["labels"] = .object(merged, mark: svc["labels"]?.mark)
        }
        if resolve { s["env_file"] = nil }
        s["label_file"] = nil
        return s
    }

    static func read(_ path: String, format: String?, required: Bool, mark: SourceMark?,
                     lookup: (String) -> String?) throws -> [(key: String, value: String)]? {
        var isDir: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDir) else {
            if required {
                throw ComposeError("env file \(path) not found: stat \(path): no such file or directory", mark: mark)
            }
            return nil
        }
        let text = try Loader.readFile(path)
        if format == "raw" {
            return text.split(whereSeparator: { $0 == "\n" || $0 == "\r\n" }).compactMap { line in
                guard let eq = line.firstIndex(of: "="), !line.hasPrefix("#") else { return nil }
                return (String(line[..<eq]), String(line[line.index(after: eq)...]))
            }
        }
        return try DotEnv.parse(text, file: path, lookup: lookup)
    }

    /// `environment`/`labels` in either form, as ordered key → value (nil: no value).
    static func mappingPairs(_ node: ComposeNode?) -> [(String, String?)] {
        guard let node else { return [] }
        if let o = node.object { return o.map { ($0.key, $0.node.isNull ? nil : $0.node.scalarText) } }
        return (node.array ?? []).compactMap { item in
            guard let text = item.scalarText else { return nil }
            if let eq = text.firstIndex(of: "=") { return (String(text[..<eq]), String(text[text.index(after: eq)...])) }
            return (text, nil)
        }
    }
}
