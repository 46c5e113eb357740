import ComposeModel
import Foundation

/// The result of loading: the project's name and directory, the files read, and the canonical
/// tree (compose-go's normalised model) that the typed `Project` and `config` output come from.
public struct LoadedProject: Sendable {
    public var name: String
    public var workingDirectory: String
    public var files: [String]
    public var environment: [String: String]
    /// The normalised model, profiles applied.
    public var model: ComposeNode { didSet { checkedRendering = nil } }
    /// The rendering the loader made of `model` while checking its values (in
    /// `LoadOptions.renderFormat`), kept while `model` is unchanged so `config` and `typed()`
    /// do not render the project a second time.
    var checkedRendering: (format: ProjectRenderer.Format, node: ComposeNode)?
    /// The services that profiles left out, normalised like the rest: a selection may bring one back.
    public var disabledServices: ComposeObject = ComposeObject()
    /// Every profile any service declares (before profiles were applied), for `config --profiles`.
    public var allProfiles: [String]
    public var warnings: [String]
}

extension LoadedProject {
    /// The canonical document `config` prints for `model` in `format`.
    public func rendered(_ format: ProjectRenderer.Format) throws -> ComposeNode {
        if let c = checkedRendering, c.format == format { return c.node }
        return try ProjectRenderer.renderThrowing(model, format: format)
    }

    /// The typed project (`ComposeModel.Project`), decoded from the canonical tree `config
    /// --format json` prints.
    public func typed() throws -> Project {
        do {
            return try Project(decoding: try rendered(.json))
        } catch let e as ModelError {
            throw ComposeError(e.message, path: e.path, mark: e.mark)
        }
    }
}

/// Everything from files to a project, in compose-go's order (ANCHORS.md §5):
/// discover → read env → name → per file: parse → interpolate → extends → include → merge →
/// unicity → schema → canonical → after all files: defaults, semantics, paths, environment →
/// normalise → profiles.
public enum Loader {
    public static let defaultFileNames = ["compose.yaml", "compose.yml", "docker-compose.yml", "docker-compose.yaml"]
    public static let defaultOverrideFileNames = ["compose.override.yml", "compose.override.yaml", "docker-compose.override.yml", "docker-compose.override.yaml"]

    public static func load(_ options: LoadOptions) throws -> LoadedProject {
        SchemaValidator.prepareInBackground()
        var warnings: [String] = []
        let cwd = options.workingDirectory
        // .env of the project directory (or cwd) may itself say which files to use.
        let discoveryDir = options.projectDirectory.map { absolute($0, relativeTo: cwd) } ?? cwd
        let preEnv = try environment(options: options, projectDirectory: discoveryDir, cwd: cwd)

        let files = try configFiles(options: options, env: preEnv, warnings: &warnings)
        let projectDir: String
        if let pd = options.projectDirectory {
            projectDir = absolute(pd, relativeTo: cwd)
        } else if let first = files.first, first != "-" {
            projectDir = (first as NSString).deletingLastPathComponent
        } else {
            projectDir = cwd
        }
        var env = projectDir == discoveryDir ? preEnv : try environment(options: options, projectDirectory: projectDir, cwd: cwd)

        let contents = try files.map { try read($0, options: options) }
        // Each file is parsed once: the project name is read from the same documents the
        // pipeline then loads (parsing is the largest single cost of a big file).
        let parsed = zip(files, contents).map { file, text in
            Result { try YAMLReader.documents(text, file: displayName(file)) }
        }
        let name = try projectName(options: options, env: env, documents: parsed, projectDir: projectDir)
        env["COMPOSE_PROJECT_NAME"] = name

        let context = LoadContext(workingDirectory: projectDir, environment: env, options: options)
        var model = try loadModel(files: files, contents: contents, context: context, parsed: parsed)
        if model.object?.isEmpty ?? true { throw ComposeError("empty compose file", file: files.first) }
        model["name"] = .string(name)
        let checked: ComposeNode
        (model, checked) = try Normalize.project(model, projectName: name, context: context)

        let allProfiles = Set((model["services"]?.object.map { Array($0) } ?? []).flatMap { entry in
            (entry.node["profiles"]?.array ?? []).compactMap(\.string)
        }).sorted()
        var profiles = options.profiles
        if profiles.isEmpty, let p = env["COMPOSE_PROFILES"], !p.isEmpty {
            profiles = p.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
        }
        let disabled: ComposeObject
        (model, disabled) = Profiles.apply(model, profiles: profiles)
        try Consistency.check(model, disabled: disabled)

        var project = LoadedProject(name: name, workingDirectory: projectDir, files: files, environment: env, model: model,
                                    allProfiles: allProfiles, warnings: warnings + context.warnings)
        project.disabledServices = disabled
        if disabled.isEmpty {
            project.checkedRendering = (options.renderFormat, checked)
        }
        if !options.selectedServices.isEmpty {
            project.model = try Profiles.select(project, options.selectedServices)
        }
        return project
    }

    /// The per-file pipeline over several files, then the whole-model steps (compose-go
    /// `loadYamlModel`). Also used for `include`, with the included project's own context.
    static func displayName(_ file: String) -> String { file == "-" ? "(stdin)" : file }

    static func loadModel(files: [String], contents: [String], context: LoadContext,
                          parsed: [Result<[ComposeNode], any Error>]? = nil) throws -> ComposeNode {
        context.loadIncluded = { [unowned context] includeFiles, includeDir, envFiles in
            try loadIncludedModel(files: includeFiles, projectDirectory: includeDir, envFiles: envFiles, parent: context)
        }
        var dict = ComposeNode.object(ComposeObject())
        for (i, (file, text)) in zip(files, contents).enumerated() {
            let displayName = displayName(file)
            for doc in try parsed?[i].get() ?? YAMLReader.documents(text, file: displayName) {
                if doc.isNull { continue }
                guard doc.object != nil else {
                    throw ComposeError("top-level object must be a mapping", mark: doc.mark, file: displayName)
                }
                var cfg = doc
                if context.options.interpolate {
                    cfg = try Interpolation.interpolate(cfg, lookup: context.lookup, unset: { name in
                        context.warn("The \"\(name)\" variable is not set. Defaulting to a blank string.")
                    }, warn: context.warn)
                }
                // compose-go order: include first, so that a service can extend an included one.
                cfg = try Include.apply(cfg, file: displayName, context: context)
                cfg = try Extends.apply(cfg, file: displayName, context: context)
                dict = try Merge.merge(dict, cfg)
                dict = try Merge.enforceUnicity(dict)
                try SchemaValidator.validate(dict, file: displayName)
                if dict["version"] != nil {
                    context.warn("\(displayName): the attribute `version` is obsolete, it will be ignored, please remove it to avoid potential confusion")
                    dict["version"] = nil
                }
                dict = try Canonical.apply(dict, warn: context.warn)
                dict = try Merge.enforceUnicity(dict)
            }
        }
        return try Normalize.finishModel(dict, context: context, resolvePaths: context.options.resolvePaths)
    }

    static func loadIncludedModel(files: [String], projectDirectory: String, envFiles: [String], parent: LoadContext) throws -> ComposeNode {
        for f in files where parent.includeStack.contains(f) {
            throw ComposeError("include cycle detected:\n\(parent.includeStack[0])\n include \((parent.includeStack.dropFirst() + [f]).joined(separator: "\n include "))", file: f)
        }
        var env = parent.environment
        for envFile in envFiles {
            let text = try readFile(envFile)
            for (k, v) in try DotEnv.parse(text, file: envFile, lookup: { parent.options.environment[$0] ?? env[$0] }) where parent.options.environment[k] == nil {
                env[k] = v
            }
        }
        let child = LoadContext(workingDirectory: projectDirectory, environment: env, options: parent.options)
        child.includeStack = parent.includeStack + files
        let contents = try files.map(readFile)
        let model = try loadModel(files: files, contents: contents, context: child)
        for w in child.warnings { parent.warn(w) }
        return model
    }

    // MARK: - Files

    static func configFiles(options: LoadOptions, env: [String: String], warnings: inout [String]) throws -> [String] {
        let cwd = options.workingDirectory
        if !options.files.isEmpty {
            return try options.files.map { f in
                if f == "-" { return f }
                let path = absolute(f, relativeTo: cwd)
                guard FileManager.default.fileExists(atPath: path) else {
                    throw ComposeError("open \(path): no such file or directory")
                }
                return path
            }
        }
        if let composeFile = env["COMPOSE_FILE"], !composeFile.isEmpty {
            let sep = env["COMPOSE_PATH_SEPARATOR"].flatMap { $0.isEmpty ? nil : $0 } ?? ":"
            let base = options.projectDirectory.map { absolute($0, relativeTo: cwd) } ?? cwd
            return try composeFile.components(separatedBy: sep).filter { !$0.isEmpty }.map { f in
                let path = absolute(f, relativeTo: base)
                guard FileManager.default.fileExists(atPath: path) else {
                    throw ComposeError("open \(path): no such file or directory")
                }
                return path
            }
        }
        var dir = options.projectDirectory.map { absolute($0, relativeTo: cwd) } ?? cwd
        while true {
            let found = defaultFileNames.filter { FileManager.default.fileExists(atPath: dir + "/" + $0) }
            if let winner = found.first {
                if found.count > 1 {
                    warnings.append("Found multiple config files with supported names: \(found.map { dir + "/" + $0 }.joined(separator: ", "))\nUsing \(dir)/\(winner)")
                }
                var result = [dir + "/" + winner]
                let overrides = defaultOverrideFileNames.filter { FileManager.default.fileExists(atPath: dir + "/" + $0) }
                if let o = overrides.first {
                    if overrides.count > 1 {
                        warnings.append("Found multiple override files with supported names: \(overrides.map { dir + "/" + $0 }.joined(separator: ", "))\nUsing \(dir)/\(o)")
                    }
                    result.append(dir + "/" + o)
                }
                return result
            }
            let parent = (dir as NSString).deletingLastPathComponent
            if parent == dir || parent.isEmpty {
                throw ComposeError("no configuration file provided: not found (looked for \(defaultFileNames.joined(separator: ", ")) in \(options.projectDirectory.map { absolute($0, relativeTo: cwd) } ?? cwd) and its parents)")
            }
            dir = parent
        }
    }

    static func read(_ file: String, options: LoadOptions) throws -> String {
        file == "-" ? options.stdin() : try readFile(file)
    }

    static func readFile(_ path: String) throws -> String {
        guard let data = FileManager.default.contents(atPath: path) else {
            var isDir: ObjCBool = false
            if FileManager.default.fileExists(atPath: path, isDirectory: &isDir), isDir.boolValue {
                throw ComposeError("read \(path): is a directory")
            }
            throw ComposeError("open \(path): no such file or directory")
        }
        guard var text = String(data: data, encoding: .utf8) else {
            throw ComposeError("\(path): the file is not UTF-8 text")
        }
        if text.hasPrefix("\u{FEFF}") { text.removeFirst() }
        return text
    }

    static func absolute(_ path: String, relativeTo base: String) -> String {
        var p = path
        if p == "~" || p.hasPrefix("~/") {
            p = NSHomeDirectory() + p.dropFirst()
        }
        if !p.hasPrefix("/") { p = base + "/" + p }
        return (p as NSString).standardizingPath
    }

    // MARK: - Environment

    /// The interpolation environment: env files (`--env-file`, else `.env` in the project
    /// directory), then the process environment over them.
    static func environment(options: LoadOptions, projectDirectory: String, cwd: String) throws -> [String: String] {
        var env: [String: String] = [:]
        let files: [(String, Bool)]
        if options.envFiles.isEmpty {
            files = [(projectDirectory + "/.env", false)]
        } else {
            files = options.envFiles.map { (absolute($0, relativeTo: cwd), true) }
        }
        for (path, required) in files {
            var isDir: ObjCBool = false
            let exists = FileManager.default.fileExists(atPath: path, isDirectory: &isDir)
            if !exists || isDir.boolValue {
                if required { throw ComposeError("couldn't find env file: \(path)") }
                continue
            }
            let text = try readFile(path)
            let entries = try DotEnv.parse(text, file: path, lookup: { options.environment[$0] ?? env[$0] })
            for (k, v) in entries { env[k] = v }
        }
        for (k, v) in options.environment { env[k] = v }
        return env
    }

    // MARK: - Project name

    public static func normalizeProjectName(_ s: String) -> String {
        let kept = s.lowercased().unicodeScalars.filter { u in
            (u >= "a" && u <= "z") || (u >= "0" && u <= "9") || u == "_" || u == "-"
        }
        var out = String(String.UnicodeScalarView(kept))
        while let f = out.first, f == "_" || f == "-" { out.removeFirst() }
        return out
    }

    static func projectName(options: LoadOptions, env: [String: String], documents: [Result<[ComposeNode], any Error>], projectDir: String) throws -> String {
        if let imperative = options.projectName ?? env["COMPOSE_PROJECT_NAME"].flatMap({ $0.isEmpty ? nil : $0 }) {
            guard normalizeProjectName(imperative) == imperative, !imperative.isEmpty else {
                throw ComposeError("invalid project name \"\(imperative)\": must consist only of lowercase alphanumeric characters, hyphens, and underscores as well as start with a letter or number")
            }
            return imperative
        }
        var fromFile = ""
        for result in documents {
            guard let docs = try? result.get() else { continue }
            for doc in docs {
                if let n = doc["name"]?.scalarText, !n.isEmpty { fromFile = n }
            }
        }
        if options.interpolate, !fromFile.isEmpty {
            fromFile = try Interpolation.substitute(fromFile, lookup: { env[$0] })
        }
        fromFile = normalizeProjectName(fromFile)
        if !fromFile.isEmpty { return fromFile }
        let fromDir = normalizeProjectName((projectDir as NSString).lastPathComponent)
        guard !fromDir.isEmpty else { throw ComposeError("project name must not be empty") }
        return fromDir
    }
}
