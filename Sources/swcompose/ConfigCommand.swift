import ArgumentParser
import ComposeLoader
import ComposeModel
import Foundation

/// `swcompose config`: parse, resolve and render the Compose file in canonical format.
struct ConfigCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "config",
        abstract: "Parse, resolve and render the Compose file in canonical format"
    )

    @OptionGroup var global: GlobalOptions

    @Option(name: .customLong("format"), help: "Output format: yaml or json")
    var format: String = "yaml"

    @Flag(name: .customLong("services"), help: "Print the service names, one per line, in start order")
    var services = false

    @Flag(name: .customLong("volumes"), help: "Print the volume names, one per line")
    var volumes = false

    @Flag(name: .customLong("networks"), help: "Print the network names, one per line")
    var networks = false

    @Flag(name: .customLong("profiles"), help: "Print the profile names, one per line")
    var profiles = false

    @Flag(name: .customLong("images"), help: "Print the image names, one per line")
    var images = false

    @Option(name: .customLong("hash"), help: "Print the config hash of the services (a name, a comma-separated list, or *)")
    var hash: String?

    @Flag(name: [.customShort("q"), .customLong("quiet")], help: "Only validate the configuration, print nothing")
    var quiet = false

    @Flag(name: .customLong("no-interpolate"), help: "Do not interpolate environment variables")
    var noInterpolate = false

    @Flag(name: .customLong("no-path-resolution"), help: "Do not make relative paths absolute")
    var noPathResolution = false

    @Option(name: [.customShort("o"), .customLong("output")], help: "Write the output to this file instead of standard output")
    var output: String?

    @Argument(help: "Services to render (their dependencies are included)")
    var selected: [String] = []

    func validate() throws {
        guard ["yaml", "json"].contains(format) else {
            throw ValidationError("--format must be yaml or json, not \"\(format)\"")
        }
    }

    func run() throws {
        // Service names select what the full output shows (`Profiles.select`); the list flags
        // (--services, --images, --volumes, …) ignore them, as in Docker Compose 2.40.3.
        var options = global.loadOptions(selected: [], interpolate: !noInterpolate)
        options.resolvePaths = !noPathResolution
        // `config --hash` loads without the service environment resolved, as Docker Compose's
        // does: env_file entries are kept (and hashed), not read.
        options.resolveServiceEnvironment = !hashMode
        options.renderFormat = outputFormat
        let project = try Loader.load(options)
        for w in project.warnings { Console.warn(w) }
        if quiet {
            _ = try Profiles.select(project, selected)  // an unknown service is still an error
            return
        }
        if hashMode {
            // Written to standard output as Docker Compose writes it (even with --output): the
            // lines before an unknown service are printed, then the error.
            try printHashes(project)
            return
        }
        let text = try render(project)
        if let output {
            guard FileManager.default.createFile(atPath: output, contents: Data(text.utf8)) else {
                throw ComposeError("cannot write \(output)")
            }
        } else {
            Console.out(text)
        }
    }

    private var outputFormat: ProjectRenderer.Format { format == "json" ? .json : .yaml }

    private func lines(_ items: [String]) -> String { items.map { $0 + "\n" }.joined() }

    /// Docker Compose checks `--services` and `--volumes` before `--hash`; an empty `--hash`
    /// is no hash at all.
    private var hashMode: Bool { !(hash ?? "").isEmpty && !services && !volumes }

    /// `config --hash NAMES|*`: "NAME HASH" lines sorted by name (Docker Compose `runHash`).
    /// NAMES is split at commas as written (a name twice prints twice); an unknown name stops
    /// with Docker Compose's error, a service disabled by its profiles with "disabled".
    func printHashes(_ project: LoadedProject) throws {
        var model = project.model
        try Self.applyPlatforms(&model, defaultPlatform: project.environment["DOCKER_DEFAULT_PLATFORM"] ?? "")
        let rendered = ProjectRenderer.render(model)
        let services = rendered["services"]?.object ?? ComposeObject()
        let requested = hash == "*" ? services.keys : (hash ?? "").split(separator: ",", omittingEmptySubsequences: false).map(String.init)
        for name in requested.sorted(by: { $0.utf8.lexicographicallyPrecedes($1.utf8) }) {
            guard let svc = services[name] else {
                let why = project.disabledServices[name] != nil ? "disabled" : "not found"
                throw ComposeError("no such service: \(name): \(why)")
            }
            Console.out("\(name) \(ConfigHash.of(service: svc))\n")
        }
    }

    /// Docker Compose `applyPlatforms(project, true)` as far as the hash sees it: a service that
    /// builds takes DOCKER_DEFAULT_PLATFORM as its `platform` when it has none, and that value
    /// must be one of its `build.platforms`. (An explicit `platform` outside them was already
    /// refused by the loader's consistency check.)
    static func applyPlatforms(_ model: inout ComposeNode, defaultPlatform: String) throws {
        guard var services = model["services"]?.object else { return }
        for name in services.keys {
            guard var svc = services[name], let build = svc["build"], build.object != nil else { continue }
            let platforms = (build["platforms"]?.array ?? []).compactMap(\.scalarText)
            guard !defaultPlatform.isEmpty, (svc["platform"]?.scalarText ?? "").isEmpty else { continue }
            if !platforms.isEmpty, !platforms.contains(defaultPlatform) {
                throw ComposeError("service \"\(name)\" build.platforms does not support value set by DOCKER_DEFAULT_PLATFORM: \(defaultPlatform)")
            }
            svc["platform"] = .string(defaultPlatform)
            services[name] = svc
        }
        model["services"] = .object(services)
    }

    func render(_ project: LoadedProject) throws -> String {
        let model = project.model
        if services {
            return lines(try ServiceGraph(model: model).startOrder())
        }
        if volumes { return lines(model["volumes"]?.object?.keys ?? []) }
        if networks { return lines(model["networks"]?.object?.keys ?? []) }
        if profiles { return lines(project.allProfiles) }
        if images {
            let order = try ServiceGraph(model: model).startOrder()
            return lines(order.compactMap { name in
                let svc = model["services"]?[name]
                return svc?["image"]?.string ?? "\(project.name)-\(name)"
            })
        }
        let rendered = selected.isEmpty
            ? try project.rendered(outputFormat)
            : ProjectRenderer.render(try Profiles.select(project, selected), format: outputFormat)
        let text = format == "json" ? ComposeJSON.render(rendered) + "\n" : ComposeYAML.render(rendered)
        // The output must read back to the same project: a `$` that survived interpolation is
        // written as `$$` again, as Docker Compose does (not with --no-interpolate).
        return noInterpolate || !text.utf8.contains(UInt8(ascii: "$")) ? text : text.replacingOccurrences(of: "$", with: "$$")
    }
}
