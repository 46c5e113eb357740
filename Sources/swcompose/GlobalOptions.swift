import ArgumentParser
import ComposeLoader
import Foundation

/// The flags Docker Compose takes before or after any command: `-f`, `-p`, `--project-directory`,
/// `--env-file`, `--profile`.
struct GlobalOptions: ParsableArguments {
    @Option(name: [.customShort("f"), .customLong("file")], help: "Compose configuration files (repeatable; - reads standard input)")
    var files: [String] = []

    @Option(name: [.customShort("p"), .customLong("project-name")], help: "Project name")
    var projectName: String?

    @Option(name: .customLong("project-directory"), help: "Alternate working directory (default: the directory of the first Compose file)")
    var projectDirectory: String?

    @Option(name: .customLong("env-file"), help: "Alternate environment files (repeatable)")
    var envFiles: [String] = []

    @Option(name: .customLong("profile"), help: "Profiles to enable (repeatable)")
    var profiles: [String] = []

    func loadOptions(selected: [String] = [], interpolate: Bool = true) -> LoadOptions {
        let cwd = FileManager.default.currentDirectoryPath
        var environment = ProcessInfo.processInfo.environment
        // A shell always exports PWD; started without one, Docker Compose still gives `${PWD}`
        // the working directory (measured on 2.40.3 under `env -i`), and so do we.
        if environment["PWD"] == nil { environment["PWD"] = cwd }
        var o = LoadOptions(workingDirectory: cwd, environment: environment)
        o.files = files
        o.projectName = projectName
        o.projectDirectory = projectDirectory
        o.envFiles = envFiles
        o.profiles = profiles
        o.selectedServices = selected
        o.interpolate = interpolate
        o.stdin = {
            String(decoding: FileHandle.standardInput.readDataToEndOfFile(), as: UTF8.self)
        }
        return o
    }

    /// Loads the project, printing the loader's warnings to standard error.
    func load(selected: [String] = [], interpolate: Bool = true) throws -> LoadedProject {
        let project = try Loader.load(loadOptions(selected: selected, interpolate: interpolate))
        for w in project.warnings { Console.warn(w) }
        return project
    }
}

enum Console {
    static func warn(_ message: String) {
        FileHandle.standardError.write(Data("WARN: \(message)\n".utf8))
    }

    static func error(_ message: String) {
        FileHandle.standardError.write(Data("error: \(message)\n".utf8))
    }

    static func err(_ text: String) {
        FileHandle.standardError.write(Data(text.utf8))
    }

    static func out(_ text: String) {
        FileHandle.standardOutput.write(Data(text.utf8))
    }
}
