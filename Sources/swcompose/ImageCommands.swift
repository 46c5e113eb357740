import ArgumentParser
import ComposeLoader
import ComposeModel
import Foundation
import ImageStore
import OCI

/// Where images live and how registries are reached: `--root` (or `SWCOMPOSE_ROOT`,
/// default `/var/lib/swcompose`) and `--insecure-registry` (or `SWCOMPOSE_INSECURE_REGISTRIES`,
/// comma-separated; loopback registries are always allowed plain HTTP, as Docker allows them).
struct StoreOptions: ParsableArguments {
    @Option(name: .customLong("root"), help: "State directory (default: $SWCOMPOSE_ROOT or /var/lib/swcompose)")
    var root: String?

    @Option(name: .customLong("insecure-registry"), help: "A registry (host:port) that may be reached over plain HTTP (repeatable)")
    var insecureRegistries: [String] = []

    var environment: [String: String] { ProcessInfo.processInfo.environment }

    var rootDirectory: String {
        if let root, !root.isEmpty { return root }
        if let r = environment["SWCOMPOSE_ROOT"], !r.isEmpty { return r }
        return "/var/lib/swcompose"
    }

    func store() throws -> ImageStore {
        do { return try ImageStore(root: rootDirectory + "/images") } catch let e as ImageStoreError { throw ComposeError(e.message) }
    }

    /// Daemon configuration files whose `insecure-registries` are read: swcompose's own, then
    /// Docker's (so a host set up for Docker works as it is).
    static let daemonConfigs = ["/etc/swcompose/daemon.json", "/etc/docker/daemon.json"]

    func client() throws -> RegistryClient {
        var o = RegistryClient.Options(configFile: Credentials.configPath(environment: environment))
        var fromFiles: [String] = []
        for f in environment["SWCOMPOSE_DAEMON_CONFIG"].map({ [$0] }) ?? Self.daemonConfigs {
            fromFiles += try storeErrors { try RegistryClient.insecureRegistries(fromDaemonConfig: f) }
        }
        o.insecureRegistries = Set(insecureRegistries + fromFiles + (environment["SWCOMPOSE_INSECURE_REGISTRIES"] ?? "")
            .split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty })
        return RegistryClient(options: o)
    }
}

/// Runs async work from a synchronous command and turns store errors into user errors.
private final class ResultBox<T>: @unchecked Sendable { var result: Result<T, any Error>? }

func runBlocking<T: Sendable>(_ body: @escaping @Sendable () async throws -> T) throws -> T {
    let box = ResultBox<T>(), done = DispatchSemaphore(value: 0)
    Task {
        do { box.result = .success(try await body()) } catch { box.result = .failure(error) }
        done.signal()
    }
    done.wait()
    switch box.result {
    case .success(let v): return v
    case .failure(let e as ImageStoreError): throw ComposeError(e.message)
    case .failure(let e as OCIError): throw ComposeError(e.message)
    case .failure(let e): throw e
    case nil: throw ComposeError("internal error: no result")
    }
}

/// Store errors as user errors, for synchronous store calls.
func storeErrors<T>(_ body: () throws -> T) throws -> T {
    do { return try body() } catch let e as ImageStoreError { throw ComposeError(e.message) } catch let e as OCIError {
        throw ComposeError(e.message)
    }
}

/// `--platform`, or this machine's when nil.
func parsePlatform(_ text: String?, context: String? = nil) throws -> Platform {
    guard let text else { return .host }
    do { return try Platform(parsing: text) } catch let e as OCIError {
        throw ComposeError(context.map { "\($0): \(e.message)" } ?? e.message)
    }
}

func parseReference(_ text: String) throws -> Reference {
    do { return try Reference(parsing: text) } catch let e as OCIError { throw ComposeError(e.message) }
}

/// `--progress` and `-q` of the commands that pull.
struct ProgressOptions: ParsableArguments {
    @Option(name: .customLong("progress"), help: "Progress output: auto, tty, plain or quiet (default: auto)")
    var progress: String = "auto"

    func mode(quiet: Bool) throws -> ProgressMode {
        guard let m = ProgressMode(rawValue: progress) else {
            throw ValidationError("--progress must be one of \(ProgressMode.allCases.map(\.rawValue).joined(separator: ", ")), not \"\(progress)\"")
        }
        return quiet ? .quiet : m
    }
}

/// `swcompose pull [SERVICE...]`: pulls the images of the project's services (Docker Compose's
/// `pull`): services with `pull_policy: build` or `never`, and services that only build, are
/// skipped; `--include-deps` adds the services the named ones depend on.
struct PullCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "pull", abstract: "Pull the images of services")

    @OptionGroup var global: GlobalOptions
    @OptionGroup var storeOptions: StoreOptions

    @Flag(name: [.customShort("q"), .customLong("quiet")], help: "Pull without printing progress")
    var quiet = false

    @OptionGroup var progressOptions: ProgressOptions

    @Flag(name: .customLong("ignore-pull-failures"), help: "Pull what can be pulled and ignore images that fail")
    var ignorePullFailures = false

    @Flag(name: .customLong("include-deps"), help: "Also pull the services the named ones depend on")
    var includeDeps = false

    @Option(name: .customLong("policy"), help: "Apply this pull policy: missing or always")
    var policy: String?

    @Argument(help: "Services to pull (default: all)")
    var services: [String] = []

    func run() throws {
        if let policy, !["missing", "always"].contains(policy) {
            throw ValidationError("--policy must be missing or always, not \"\(policy)\"")
        }
        let loaded = try global.load(selected: services)
        let project = try loaded.typed()
        var names = services.isEmpty ? Array(project.services.keys) : services
        if includeDeps {
            var seen = Set<String>(), stack = names
            while let n = stack.popLast() {
                guard seen.insert(n).inserted, let s = project.services[n] else { continue }
                stack += s.dependsOn.keys
            }
            names = Array(seen)
        }
        var jobs: [(service: String, ref: Reference, platform: Platform, ifMissing: Bool)] = []
        for name in names.sorted() {
            guard let svc = project.services[name] else { throw ComposeError("no such service: \(name)") }
            // Docker Compose's rules: `build` and `never` are not pulled; `missing` (and its
            // old name `if_not_present`) only when the image is not here; the rest are pulled.
            let pullPolicy = svc.pullPolicy ?? ""
            if pullPolicy == "build" || pullPolicy == "never" { continue }
            guard let image = svc.image, !image.isEmpty else { continue }  // builds, no image to pull
            let platform = try parsePlatform(svc.platform, context: "service \"\(name)\"")
            jobs.append((name, try parseReference(image), platform, pullPolicy == "missing" || pullPolicy == "if_not_present"))
        }
        let store = try storeOptions.store(), client = try storeOptions.client()
        let board = ProgressBoard(mode: try progressOptions.mode(quiet: quiet)), ignore = ignorePullFailures
        let onlyMissing = policy == "missing"
        let work = jobs
        let failures = try runBlocking { () -> [String] in
            try await withThrowingTaskGroup(of: String?.self) { group in
                for job in work {
                    group.addTask {
                        if onlyMissing || job.ifMissing, (try? store.image(job.ref)) ?? nil != nil {
                            board.set(job.service, plain: "\(job.service): skipped - image is already present locally",
                                      tty: " ✔ \(job.service) Skipped - Image is already present locally")
                            return nil
                        }
                        let printer = PullPrinter(name: job.service, board: board)
                        printer.start()
                        do {
                            _ = try await store.pull(job.ref, platform: job.platform, client: client, events: printer.event)
                            return nil
                        } catch {
                            printer.failed()
                            let message = "\(job.service): pull \(job.ref) failed: \(error)"
                            if !ignore { throw ComposeError(message) }
                            return message
                        }
                    }
                }
                var out: [String] = []
                do {
                    for try await f in group { if let f { out.append(f) } }
                } catch {
                    board.finish()
                    throw error
                }
                board.finish()
                return out
            }
        }
        for f in failures { Console.warn(f) }
    }
}

/// `swcompose images`: the images the project's services use, as far as they are in the store.
struct ImagesCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "images", abstract: "List the images the services use")

    @OptionGroup var global: GlobalOptions
    @OptionGroup var storeOptions: StoreOptions

    @Flag(name: [.customShort("q"), .customLong("quiet")], help: "Only show image IDs")
    var quiet = false

    @Argument var services: [String] = []

    func run() throws {
        let project = try global.load(selected: services).typed()
        let store = try storeOptions.store()
        let stored = try store.list()
        var rows: [[String]] = []
        for name in project.services.keys.sorted() {
            guard let image = project.services[name]?.image, let ref = try? Reference(parsing: image) else { continue }
            guard let listing = stored.first(where: { $0.reference == ref }) else { continue }
            rows.append([name, ref.familiarName, ref.tag ?? "<none>", String(listing.config.encoded.prefix(12)), ImageListCommand.human(listing.size)])
        }
        if quiet { Console.out(Set(rows.map { $0[3] }).sorted().map { $0 + "\n" }.joined()); return }
        Console.out(table(["SERVICE", "REPOSITORY", "TAG", "IMAGE ID", "SIZE"], rows))
    }
}

func table(_ header: [String], _ rows: [[String]]) -> String {
    let all = [header] + rows
    let widths = header.indices.map { i in all.map { $0[i].count }.max() ?? 0 }
    return all.map { row in
        row.enumerated().map { i, c in i == row.count - 1 ? c : c.padding(toLength: widths[i] + 3, withPad: " ", startingAt: 0) }.joined() + "\n"
    }.joined()
}

/// `swcompose image ls|pull|rm|prune`: the image store itself.
struct ImageCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "image", abstract: "Manage images",
        subcommands: [ImageListCommand.self, ImagePullCommand.self, ImageRemoveCommand.self, ImagePruneCommand.self,
                      ImageLoadCommand.self, ImageSaveCommand.self])
}

struct ImageListCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "ls", abstract: "List images", aliases: ["list"])
    @OptionGroup var storeOptions: StoreOptions
    @Flag(name: [.customShort("q"), .customLong("quiet")]) var quiet = false
    @Flag(name: .customLong("digests"), help: "Show manifest digests") var digests = false

    static func human(_ bytes: Int64) -> String {
        let units = ["B", "kB", "MB", "GB", "TB"]
        var v = Double(bytes), u = 0
        while v >= 1000 && u < units.count - 1 { v /= 1000; u += 1 }
        return u == 0 ? "\(bytes)B" : String(format: v < 10 ? "%.2f%@" : "%.1f%@", v, units[u])
    }

    func run() throws {
        let list = try runBlocking { [storeOptions] in try storeOptions.store().list() }
        if quiet { Console.out(list.map { String($0.config.encoded.prefix(12)) + "\n" }.joined()); return }
        var header = ["REPOSITORY", "TAG"]
        if digests { header.append("DIGEST") }
        header += ["IMAGE ID", "CREATED", "SIZE"]
        let rows = list.map { l -> [String] in
            var r = [l.reference?.familiarName ?? "<none>", l.reference?.tag ?? "<none>"]
            if digests { r.append(l.manifest.description) }
            r += [String(l.config.encoded.prefix(12)), l.created ?? "", Self.human(l.size)]
            return r
        }
        Console.out(table(header, rows))
    }
}

struct ImagePullCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "pull", abstract: "Pull an image")
    @OptionGroup var storeOptions: StoreOptions
    @Option(name: .customLong("platform"), help: "os/arch[/variant] (default: this machine's)") var platform: String?
    @Flag(name: [.customShort("q"), .customLong("quiet")]) var quiet = false
    @OptionGroup var progressOptions: ProgressOptions
    @Argument var image: String

    func run() throws {
        let ref = try parseReference(image)
        let p = try parsePlatform(platform)
        let store = try storeOptions.store(), client = try storeOptions.client()
        let board = ProgressBoard(mode: try progressOptions.mode(quiet: quiet))
        let printer = PullPrinter(name: ref.familiarName, board: board)
        printer.start()
        let img: ImageStore.Image
        do { img = try runBlocking { try await store.pull(ref, platform: p, client: client, events: printer.event) } } catch {
            printer.failed()
            board.finish()
            throw error
        }
        board.finish()
        Console.out("\(ref)@\(img.manifestDigest)\n")
    }
}

struct ImageRemoveCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "rm", abstract: "Remove images (and what only they used)", aliases: ["rmi"])
    @OptionGroup var storeOptions: StoreOptions
    @Flag(name: [.customShort("f"), .customLong("force")], help: "Remove an image given by ID even when several names point at it")
    var force = false
    @Argument(help: "Image names or IDs") var images: [String]

    func run() throws {
        let store = try storeOptions.store()
        let (untagged, report) = try storeErrors { try store.remove(words: images, force: force) }
        for r in untagged { Console.out(r.hasPrefix("sha256:") ? "Deleted: \(r)\n" : "Untagged: \(r)\n") }
        for l in report.layers { Console.out("Deleted layer: \(l)\n") }
    }
}

/// `swcompose image load`: images from a `docker save`/`podman save` archive or an OCI layout.
struct ImageLoadCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "load",
        abstract: "Load images from a docker save archive or an OCI image layout (tar, compressed tar or directory)")
    @OptionGroup var storeOptions: StoreOptions
    @Option(name: [.customShort("i"), .customLong("input")], help: "Read from this file or directory instead of standard input")
    var input: String?
    @Option(name: .customLong("platform"), help: "os/arch[/variant] to load from multi-platform layouts (default: this machine's)")
    var platform: String?
    @Flag(name: [.customShort("q"), .customLong("quiet")], help: "Print nothing") var quiet = false

    func run() throws {
        if input == nil && isatty(0) != 0 {
            throw ComposeError("requested load from stdin, but stdin is empty or a terminal: use -i FILE or redirect an archive")
        }
        let p = try parsePlatform(platform)
        let store = try storeOptions.store()
        let quiet = self.quiet
        try storeErrors {
            try store.load(from: input, platform: p) { l in
                guard !quiet else { return }
                if l.names.isEmpty { Console.out("Loaded image ID: \(l.config)\n") }
                for n in l.names { Console.out("Loaded image: \(n.familiarName):\(n.tag ?? "latest")\n") }
            }
        }
    }
}

/// `swcompose image save`: an archive any of docker, podman, skopeo and swcompose loads.
struct ImageSaveCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "save",
        abstract: "Save images to a tar archive (OCI layout and docker save format in one) or an OCI layout directory")
    @OptionGroup var storeOptions: StoreOptions
    @Option(name: [.customShort("o"), .customLong("output")], help: "Write to this file (or directory, with --format directory) instead of standard output")
    var output: String?
    @Option(name: .customLong("format"), help: "tar (default) or directory")
    var format: String = "tar"
    @Argument(help: "Image names or IDs") var images: [String]

    func run() throws {
        guard let f = ImageStore.SaveFormat(rawValue: format == "dir" ? "directory" : format) else {
            throw ValidationError("--format must be tar or directory, not \"\(format)\"")
        }
        if f == .directory && output == nil { throw ValidationError("--format directory needs -o DIRECTORY") }
        if output == nil && isatty(1) != 0 {
            throw ComposeError("refusing to write an archive to a terminal: use -o FILE or redirect standard output")
        }
        let store = try storeOptions.store()
        try storeErrors { try store.save(images, to: output, format: f) }
    }
}

struct ImagePruneCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "prune", abstract: "Delete blobs and layers no image uses")
    @OptionGroup var storeOptions: StoreOptions

    func run() throws {
        let store = try storeOptions.store()
        let report = try runBlocking { try store.prune() }
        Console.out("Deleted \(report.blobs.count) blobs and \(report.layers.count) layers; reclaimed \(ImageListCommand.human(report.bytes)) of blobs\n")
    }
}

/// `swcompose login [SERVER]`: checks the credentials against the registry, then stores them
/// in Docker's `config.json` (0600), where `docker login` would.
struct LoginCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "login", abstract: "Log in to a registry")
    @OptionGroup var storeOptions: StoreOptions
    @Option(name: [.customShort("u"), .customLong("username")]) var username: String
    @Option(name: [.customShort("p"), .customLong("password")]) var password: String?
    @Flag(name: .customLong("password-stdin"), help: "Read the password from standard input") var passwordStdin = false
    @Argument var server: String = "docker.io"

    func run() throws {
        var secret = password ?? ""
        if passwordStdin {
            secret = String(decoding: FileHandle.standardInput.readDataToEndOfFile(), as: UTF8.self)
                .trimmingCharacters(in: .newlines)
        }
        guard !secret.isEmpty else { throw ValidationError("a password is needed: -p or --password-stdin") }
        let host = server == "index.docker.io" || server == Credentials.dockerHubKey ? "docker.io" : server
        let file = Credentials.configPath(environment: storeOptions.environment)
        let creds = Credentials(username: username, password: secret)
        let client = try storeOptions.client()
        try runBlocking { try await client.checkLogin(host, creds) }
        try runBlocking { try Credentials.store(creds, host: host, configFile: file) }
        Console.out("Login Succeeded\n")
    }
}

struct LogoutCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "logout", abstract: "Log out from a registry")
    @OptionGroup var storeOptions: StoreOptions
    @Argument var server: String = "docker.io"

    func run() throws {
        let file = Credentials.configPath(environment: storeOptions.environment)
        try runBlocking { [server] in try Credentials.store(nil, host: server, configFile: file) }
        Console.out("Removing login credentials for \(server)\n")
    }
}
