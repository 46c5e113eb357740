import ComposeModel

/// What the user asked for: the flags and environment Docker Compose reads to find and load a
/// project (`-f`, `-p`, `--project-directory`, `--env-file`, `--profile`, `COMPOSE_*`).
public struct LoadOptions: Sendable {
    /// The directory the command runs in (discovery starts here).
    public var workingDirectory: String
    /// `-f` files in order; `-` reads standard input. Empty: `COMPOSE_FILE`, then discovery.
    public var files: [String] = []
    public var projectDirectory: String?
    public var projectName: String?
    /// `--env-file`, in order; empty means `.env` in the project directory.
    public var envFiles: [String] = []
    /// `--profile`; empty means `COMPOSE_PROFILES`.
    public var profiles: [String] = []
    /// Services named on the command line: they enable their own profiles.
    public var selectedServices: [String] = []
    /// The process environment; it wins over env files.
    public var environment: [String: String]
    public var interpolate = true
    public var resolvePaths = true
    /// Read `env_file` into `environment` (compose-go's default). Off, as `config --hash`
    /// loads (`WithoutEnvironmentResolution`): `env_file` stays in the service and is not read.
    public var resolveServiceEnvironment = true
    /// The encoding the load checks every value with (the errors are the same in both): its
    /// rendering is kept in the project, so the caller that prints or decodes that encoding
    /// does not render twice. `config` passes its output format; everything else wants `.json`
    /// (the typed `Project` is decoded from it).
    public var renderFormat: ProjectRenderer.Format = .json
    /// Standard input's text for `-f -`.
    public var stdin: @Sendable () -> String = { "" }

    public init(workingDirectory: String, environment: [String: String]) {
        self.workingDirectory = workingDirectory
        self.environment = environment
    }
}

/// What one load shares between its stages: where files are resolved from, the variables
/// interpolation sees, and warnings for the CLI to print.
public final class LoadContext {
    /// The project directory: relative paths in the main files resolve against it.
    public let workingDirectory: String
    /// Variables for interpolation and for `environment` entries without a value: the env
    /// files overlaid with the process environment (the process wins).
    public let environment: [String: String]
    public let options: LoadOptions
    public private(set) var warnings: [String] = []
    /// Files being included, outermost first, for include-cycle errors.
    public var includeStack: [String] = []

    public init(workingDirectory: String, environment: [String: String], options: LoadOptions) {
        self.workingDirectory = workingDirectory
        self.environment = environment
        self.options = options
    }

    public func lookup(_ name: String) -> String? { environment[name] }

    public func warn(_ message: String) { warnings.append(message) }

    /// Loads another set of files as a project of its own (for `include`): the loader installs
    /// this so the include stage can run the whole per-file pipeline without knowing it.
    public var loadIncluded: (_ files: [String], _ projectDirectory: String, _ envFiles: [String]) throws -> ComposeNode = { _, _, _ in
        throw ComposeError("include is not available in this context")
    }
}
