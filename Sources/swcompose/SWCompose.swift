import ArgumentParser
import ComposeLoader
import Foundation

@main
struct SWCompose: ParsableCommand {
    static let version = "0.1.0"

    static let configuration = CommandConfiguration(
        commandName: "swcompose",
        abstract: "Run multi-container stacks from Compose files, with a container runtime of its own.",
        version: version,
        subcommands: [ConfigCommand.self, PullCommand.self, ImagesCommand.self, ImageCommand.self, LoginCommand.self, LogoutCommand.self, VersionCommand.self]
    )

    /// Compose errors are the user's input problems: print them without a stack of wrappers
    /// and exit 1 (as docker compose does); everything else goes through ArgumentParser.
    static func main() {
        do {
            var command = try parseAsRoot(hoistGlobalOptions(Array(CommandLine.arguments.dropFirst())))
            try command.run()
        } catch let e as ComposeError {
            Console.error(e.description)
            Foundation.exit(1)
        } catch {
            exit(withError: error)
        }
    }
}

/// Docker Compose takes its global flags before the command (`swcompose -f a.yml -p x config`);
/// ArgumentParser wants a subcommand's options after its name. Move the global flags written
/// before the command name to just after it.
func hoistGlobalOptions(_ args: [String]) -> [String] {
    let withValue: Set<String> = ["-f", "--file", "-p", "--project-name", "--project-directory", "--env-file", "--profile"]
    var globals: [String] = []
    var i = 0
    while i < args.count {
        let a = args[i]
        let name = a.split(separator: "=", maxSplits: 1).first.map(String.init) ?? a
        if withValue.contains(a), i + 1 < args.count {
            globals += [a, args[i + 1]]
            i += 2
        } else if a.hasPrefix("--"), a.contains("="), withValue.contains(name) {
            globals.append(a)
            i += 1
        } else if a.count > 2, a.hasPrefix("-"), !a.hasPrefix("--"), withValue.contains(String(a.prefix(2))) {
            globals.append(a)  // -fcompose.yml
            i += 1
        } else {
            break
        }
    }
    guard !globals.isEmpty, i < args.count else { return args }
    return [args[i]] + globals + args[(i + 1)...]
}

struct VersionCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "version", abstract: "Show the swcompose version")

    @Option(name: .customLong("format"), help: "Format the output: pretty or json")
    var format: String = "pretty"

    @Flag(name: .customLong("short"), help: "Show only the version number")
    var short = false

    func run() throws {
        if short { Console.out(SWCompose.version + "\n"); return }
        switch format {
        case "json": Console.out("{\"version\":\"\(SWCompose.version)\"}\n")
        case "pretty": Console.out("swcompose version \(SWCompose.version)\n")
        default: throw ValidationError("--format must be pretty or json, not \"\(format)\"")
        }
    }
}
