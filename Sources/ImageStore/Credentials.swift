import Foundation

/// Registry credentials in Docker's client file, `~/.docker/config.json` (or `$DOCKER_CONFIG/
/// config.json`): `{"auths": {"HOST": {"auth": base64("user:password")}}}`. Docker Hub's entry
/// is keyed `https://index.docker.io/v1/`. `swcompose login` writes the same file (0600), so
/// the Docker CLI and swcompose share logins. Credential helpers are run as Docker runs them:
/// `credHelpers` (per registry) first, then `credsStore`, each the program
/// `docker-credential-NAME` on `PATH` with `get`/`store`/`erase` and Docker's JSON on stdin.
public struct Credentials: Sendable, Equatable {
    public var username: String
    public var password: String
    public init(username: String, password: String) { self.username = username; self.password = password }

    public static let dockerHubKey = "https://index.docker.io/v1/"

    public static func configPath(environment: [String: String]) -> String {
        if let d = environment["DOCKER_CONFIG"], !d.isEmpty { return d + "/config.json" }
        return (environment["HOME"].flatMap { $0.isEmpty ? nil : $0 } ?? NSHomeDirectory()) + "/.docker/config.json"
    }

    /// The keys a registry host may be stored under, most specific first.
    static func keys(for host: String) -> [String] {
        if host == "docker.io" || host == "index.docker.io" || host == "registry-1.docker.io" {
            return [dockerHubKey, "index.docker.io", "docker.io", "registry-1.docker.io", "https://index.docker.io/v1"]
        }
        return [host, "https://" + host, "http://" + host, "https://" + host + "/v2/", "https://" + host + "/v1/"]
    }

    /// The credential helper configured for `host`, if any (`credHelpers` wins over `credsStore`).
    static func helper(for host: String, in json: [String: Any]) -> String? {
        let per = json["credHelpers"] as? [String: String] ?? [:]
        for key in keys(for: host) { if let h = per[key], !h.isEmpty { return h } }
        if let store = json["credsStore"] as? String, !store.isEmpty { return store }
        return nil
    }

    /// What a helper is told a registry is called (Docker Hub's historical URL, else the host).
    static func serverURL(_ host: String) -> String { keys(for: host)[0] }

    static func readConfig(_ configFile: String) throws -> [String: Any]? {
        guard let data = FileManager.default.contents(atPath: configFile) else { return nil }
        guard let json = try? JSONSerialization.jsonObject(with: data) as? [String: Any] else {
            throw ImageStoreError("\(configFile): not a JSON object")
        }
        return json
    }

    /// The login for `host`: from its credential helper when one is configured, else from
    /// the file's `auths`. Runs a helper program, so call it off Swift's cooperative pool.
    public static func lookup(host: String, configFile: String, environment: [String: String] = ProcessInfo.processInfo.environment) throws -> Credentials? {
        guard let json = try readConfig(configFile) else { return nil }
        if let name = helper(for: host, in: json) {
            return try CredentialHelper(name: name, environment: environment).get(serverURL(host))
        }
        let auths = json["auths"] as? [String: Any] ?? [:]
        for key in keys(for: host) {
            guard let entry = auths[key] as? [String: Any] else { continue }
            if let auth = entry["auth"] as? String, !auth.isEmpty {
                guard let decoded = Data(base64Encoded: auth).map({ String(decoding: $0, as: UTF8.self) }),
                      let colon = decoded.firstIndex(of: ":") else {
                    throw ImageStoreError("\(configFile): auths.\(key).auth is not base64 of user:password")
                }
                return Credentials(username: String(decoded[..<colon]), password: String(decoded[decoded.index(after: colon)...]))
            }
            if let u = entry["username"] as? String, let p = entry["password"] as? String {
                return Credentials(username: u, password: p)
            }
        }
        return nil
    }

    /// Stores (or, with nil, removes) the login for `host`, keeping every other key of the file.
    /// With a credential helper configured for `host`, the secret goes to the helper and the
    /// file only gets an empty `auths` entry for the host, as Docker writes it.
    public static func store(_ credentials: Credentials?, host: String, configFile: String,
                             environment: [String: String] = ProcessInfo.processInfo.environment) throws {
        var json: [String: Any] = [:]
        if let data = FileManager.default.contents(atPath: configFile) {
            guard let obj = try? JSONSerialization.jsonObject(with: data) as? [String: Any] else {
                throw ImageStoreError("\(configFile): not a JSON object; not overwriting it")
            }
            json = obj
        }
        var auths = json["auths"] as? [String: Any] ?? [:]
        let key = keys(for: host)[0]
        for k in keys(for: host) { auths[k] = nil }
        if let name = helper(for: host, in: json) {
            let h = CredentialHelper(name: name, environment: environment)
            if let c = credentials { try h.store(serverURL(host), c); auths[key] = [String: Any]() } else { try h.erase(serverURL(host)) }
        } else if let c = credentials {
            auths[key] = ["auth": Data("\(c.username):\(c.password)".utf8).base64EncodedString()]
        }
        json["auths"] = auths
        let out = try JSONSerialization.data(withJSONObject: json, options: [.prettyPrinted, .sortedKeys])
        let dir = (configFile as NSString).deletingLastPathComponent
        try FileSystem.makeDirectories(dir)
        let tmp = configFile + ".tmp-\(getpid())"
        try FileSystem.writeDurably(out + Data("\n".utf8), to: tmp, mode: 0o600)
        chmod(tmp, 0o600)
        try FileSystem.rename(tmp, configFile)
    }
}

/// A Docker credential helper: the program `docker-credential-NAME`, found on `PATH`, run
/// with one verb and its input on stdin (the protocol of docker/docker-credential-helpers):
/// `get` takes the server URL and prints `{"ServerURL","Username","Secret"}`; `store` takes
/// that JSON; `erase` takes the server URL. A helper that has nothing for a server says
/// "credentials not found" and exits non-zero, which is not an error here. A helper gets 60
/// seconds (one waiting for a GPG passphrase on a terminal would otherwise hang a pull).
struct CredentialHelper {
    let name: String
    let environment: [String: String]

    var program: String { "docker-credential-" + name }

    func get(_ server: String) throws -> Credentials? {
        let (status, out) = try run("get", Data(server.utf8))
        let text = String(decoding: out, as: UTF8.self)
        if status != 0 {
            if text.lowercased().contains("credentials not found") { return nil }
            throw ImageStoreError("\(program) get \(server) failed (exit status \(status)): \(text.trimmingCharacters(in: .whitespacesAndNewlines))")
        }
        guard let obj = try? JSONSerialization.jsonObject(with: out) as? [String: Any],
              let user = obj["Username"] as? String, let secret = obj["Secret"] as? String else {
            throw ImageStoreError("\(program) get \(server): the answer is not {\"Username\", \"Secret\"} JSON: \(text.prefix(200))")
        }
        if user == "<token>" {
            throw ImageStoreError("\(program) get \(server): gave an identity token, which swcompose does not use yet; log in with a password or access token")
        }
        return user.isEmpty && secret.isEmpty ? nil : Credentials(username: user, password: secret)
    }

    func store(_ server: String, _ c: Credentials) throws {
        let input = try JSONSerialization.data(withJSONObject: ["ServerURL": server, "Username": c.username, "Secret": c.password])
        let (status, out) = try run("store", input)
        guard status == 0 else { throw ImageStoreError("\(program) store \(server) failed (exit status \(status)): \(String(decoding: out, as: UTF8.self))") }
    }

    func erase(_ server: String) throws {
        let (status, out) = try run("erase", Data(server.utf8))
        let text = String(decoding: out, as: UTF8.self)
        guard status == 0 || text.lowercased().contains("credentials not found") else {
            throw ImageStoreError("\(program) erase \(server) failed (exit status \(status)): \(text)")
        }
    }

    func locate() throws -> String {
        for dir in (environment["PATH"] ?? "/usr/local/bin:/usr/bin:/bin").split(separator: ":") {
            let p = "\(dir)/\(program)"
            if access(p, X_OK) == 0 { return p }
        }
        throw ImageStoreError("the credential helper \(program) (from credsStore/credHelpers in the Docker config) is not on PATH")
    }

    /// Runs the helper: input on stdin, stdout and stderr together; (exit status, output).
    func run(_ verb: String, _ input: Data, timeout: Double = 60) throws -> (Int32, Data) {
        let exe = try locate()
        var toChild: [Int32] = [-1, -1], fromChild: [Int32] = [-1, -1]
        guard pipe(&toChild) == 0 else { throw ImageStoreError.posix("pipe", program) }
        guard pipe(&fromChild) == 0 else { close(toChild[0]); close(toChild[1]); throw ImageStoreError.posix("pipe", program) }
        for fd in toChild + fromChild { _ = fcntl(fd, F_SETFD, FD_CLOEXEC) }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_adddup2(&actions, toChild[0], 0)
        posix_spawn_file_actions_adddup2(&actions, fromChild[1], 1)
        posix_spawn_file_actions_adddup2(&actions, fromChild[1], 2)
        let argv: [UnsafeMutablePointer<CChar>?] = [strdup(exe), strdup(verb), nil]
        let envp: [UnsafeMutablePointer<CChar>?] = environment.map { strdup("\($0.key)=\($0.value)") } + [nil]
        defer { argv.forEach { free($0) }; envp.forEach { free($0) } }
        var pid: pid_t = 0
        let rc = posix_spawn(&pid, exe, &actions, nil, argv, envp)
        close(toChild[0]); close(fromChild[1])
        guard rc == 0 else {
            close(toChild[1]); close(fromChild[0])
            throw ImageStoreError("cannot run \(exe): \(String(cString: strerror(rc)))")
        }
        signal(SIGPIPE, SIG_IGN)
        input.withUnsafeBytes { raw in
            var done = 0
            while done < raw.count {
                let n = write(toChild[1], raw.baseAddress! + done, raw.count - done)
                if n <= 0 { if n < 0 && errno == EINTR { continue }; break }
                done += n
            }
        }
        close(toChild[1])
        var out = Data(), buf = [UInt8](repeating: 0, count: 4096)
        let deadline = Date().addingTimeInterval(timeout)
        var timedOut = false
        while true {
            var pfd = pollfd(fd: fromChild[0], events: Int16(POLLIN), revents: 0)
            let left = Int32(max(0, deadline.timeIntervalSinceNow) * 1000)
            let r = poll(&pfd, 1, left)
            if r < 0 { if errno == EINTR { continue }; break }
            if r == 0 { timedOut = true; kill(pid, SIGKILL); break }
            let n = read(fromChild[0], &buf, buf.count)
            if n < 0 && errno == EINTR { continue }
            if n <= 0 { break }
            out.append(contentsOf: buf[0..<n])
        }
        close(fromChild[0])
        var status: Int32 = 0
        while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
        if timedOut { throw ImageStoreError("\(program) \(verb) did not answer within \(Int(timeout)) seconds") }
        let exited = (status & 0x7f) == 0
        return (exited ? (status >> 8) & 0xff : 128 + (status & 0x7f), out)
    }
}
