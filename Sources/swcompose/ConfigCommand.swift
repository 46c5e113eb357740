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
        let project = try Loader.load(options)
        for w in project.warnings { Console.warn(w) }
        if quiet {
            _ = try Profiles.select(project, selected)  // an unknown service is still an error
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

    private func lines(_ items: [String]) -> String { items.map { $0 + "\n" }.joined() }

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
        if let hash {
            let names = hash == "*" ? (model["services"]?.object?.sortedKeys ?? []) : hash.split(separator: ",").map(String.init)
            return try lines(names.map { name in
                guard let svc = model["services"]?[name] else { throw ComposeError("no such service: \(name)") }
                return "\(name) \(ConfigHash.of(service: svc))"
            })
        }
        let rendered = ProjectRenderer.render(try Profiles.select(project, selected), format: format == "json" ? .json : .yaml)
        let text = format == "json" ? ComposeJSON.render(rendered) + "\n" : ComposeYAML.render(rendered)
        // The output must read back to the same project: a `$` that survived interpolation is
        // written as `$$` again, as Docker Compose does (not with --no-interpolate).
        return noInterpolate || !text.utf8.contains(UInt8(ascii: "$")) ? text : text.replacingOccurrences(of: "$", with: "$$")
    }
}
