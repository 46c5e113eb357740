import ComposeModel
import Foundation

/// Top-level `include` (compose-go `loader/include.go`): each entry — a path, or
/// `{path: string|list, project_directory, env_file: string|list}` — is loaded as a project of
/// its own (its own directory for relative paths, its own `.env`), and its services, networks,
/// volumes, secrets and configs are added to this file. A resource this file also defines is an
/// error unless both are the same.
///
/// As in Docker Compose, relative paths of an entry (`path`, `project_directory`, `env_file`)
/// start at the current project directory; `project_directory` defaults to the directory of the
/// first path; `env_file` defaults to that directory's `.env` when there is one.
public enum Include {
    static let resourceKinds = ["services", "volumes", "networks", "secrets", "configs"]

    /// Loads the top-level `include` entries of one file through `context.loadIncluded` and
    /// merges their resources into `dict` (conflicts are errors); removes the `include` key.
    public static func apply(_ dict: ComposeNode, file: String, context: LoadContext) throws -> ComposeNode {
        guard var top = dict.object, let include = top["include"] else { return dict }
        top["include"] = nil
        if include.isNull { return ComposeNode(.object(top), mark: dict.mark, tag: dict.tag) }
        guard let entries = include.array else {
            throw ComposeError("`include` must be a list, got \(include.scalarText ?? include.value.kindName)",
                               path: "include", mark: include.mark)
        }
        let cwd = context.workingDirectory
        for (i, entry) in entries.enumerated() {
            let at = KeyPath([.key("include"), .index(i)])
            let spec = try IncludeSpec(entry, path: at)
            let files = spec.paths.map { Loader.absolute($0.text, relativeTo: cwd) }
            for (f, p) in zip(files, spec.paths) where !FileManager.default.fileExists(atPath: f) {
                throw ComposeError("open \(f): no such file or directory", path: at.description, mark: p.mark)
            }
            let projectDirectory: String
            if let pd = spec.projectDirectory {
                projectDirectory = Loader.absolute(pd, relativeTo: cwd)
            } else {
                projectDirectory = (files[0] as NSString).deletingLastPathComponent
            }
            var envFiles: [String] = []
            if spec.envFiles.isEmpty {
                let dotEnv = projectDirectory + "/.env"
                var isDir: ObjCBool = false
                if FileManager.default.fileExists(atPath: dotEnv, isDirectory: &isDir), !isDir.boolValue {
                    envFiles = [dotEnv]
                }
            } else {
                for e in spec.envFiles {
                    let f = Loader.absolute(e.text, relativeTo: cwd)
                    var isDir: ObjCBool = false
                    guard FileManager.default.fileExists(atPath: f, isDirectory: &isDir) else {
                        throw ComposeError("stat \(f): no such file or directory", path: at.description + ".env_file", mark: e.mark)
                    }
                    if isDir.boolValue {
                        throw ComposeError("\(f) is not a file", path: at.description + ".env_file", mark: e.mark)
                    }
                    envFiles.append(f)
                }
            }
            let imported = try context.loadIncluded(files, projectDirectory, envFiles)
            try importResources(imported, into: &top, entryMark: entry.mark)
        }
        return ComposeNode(.object(top), mark: dict.mark, tag: dict.tag)
    }

    /// Adds the imported resources; the same name with a different definition is an error.
    static func importResources(_ imported: ComposeNode, into top: inout ComposeObject, entryMark: SourceMark?) throws {
        for kind in resourceKinds {
            guard let from = imported[kind]?.object, !from.isEmpty else { continue }
            var to: ComposeObject
            var toMark: SourceMark?
            if let existing = top[kind], !existing.isNull {
                guard let o = existing.object else {
                    throw ComposeError("\(kind) must be a mapping", path: kind, mark: existing.mark)
                }
                to = o
                toMark = existing.mark
            } else {
                to = ComposeObject()
                toMark = entryMark
            }
            for (name, resource) in from {
                if let mine = to[name] {
                    if mine == resource { continue }
                    throw ComposeError("\(kind).\(name) conflicts with imported resource: it is defined both here and in an included file, differently",
                                       path: "\(kind).\(name)", mark: to.keyMark(name) ?? mine.mark)
                }
                to[name] = resource
            }
            top[kind] = ComposeNode(.object(to), mark: toMark)
        }
    }
}

/// One `include` entry, as written.
struct IncludeSpec {
    struct Text {
        var text: String
        var mark: SourceMark?
    }

    var paths: [Text]
    var projectDirectory: String?
    var envFiles: [Text]

    init(_ entry: ComposeNode, path at: KeyPath) throws {
        func strings(_ n: ComposeNode, _ key: String) throws -> [Text] {
            switch n.value {
            case .string(let s): return [Text(text: s, mark: n.mark)]
            case .null: return []
            case .array(let items):
                return try items.enumerated().map { j, item in
                    guard let s = item.string else {
                        throw ComposeError("must be a string, not a \(item.value.kindName)", path: (at + key + j).description, mark: item.mark)
                    }
                    return Text(text: s, mark: item.mark)
                }
            default:
                throw ComposeError("must be a string or a list of strings, not a \(n.value.kindName)", path: (at + key).description, mark: n.mark)
            }
        }
        switch entry.value {
        case .string(let s):
            paths = [Text(text: s, mark: entry.mark)]
            projectDirectory = nil
            envFiles = []
        case .object(let o):
            for k in o.keys where !["path", "project_directory", "env_file"].contains(k) {
                var message = "additional property \(k) is not allowed"
                if let near = closestName(to: k, among: ["path", "project_directory", "env_file"]) { message += " (did you mean \"\(near)\"?)" }
                throw ComposeError(message, path: (at + k).description, mark: o.keyMark(k))
            }
            paths = try o["path"].map { try strings($0, "path") } ?? []
            if let pd = o["project_directory"], !pd.isNull {
                guard let s = pd.string else {
                    throw ComposeError("must be a string, not a \(pd.value.kindName)", path: (at + "project_directory").description, mark: pd.mark)
                }
                projectDirectory = s
            } else {
                projectDirectory = nil
            }
            envFiles = try o["env_file"].map { try strings($0, "env_file") } ?? []
        default:
            throw ComposeError("an include entry is a path or a mapping with `path`, not a \(entry.value.kindName)",
                               path: at.description, mark: entry.mark)
        }
        if paths.isEmpty {
            throw ComposeError("include entry has no path", path: at.description, mark: entry.mark)
        }
    }
}
