import Foundation
import ImageStore
import OCI

/// The real registries the image-store tests pull from, started once per test process:
/// Debian's `docker-registry` on a free 127.0.0.1 port (and a second one with htpasswd Basic
/// auth), the test images built offline from busybox-static and pushed to both
/// (`scripts/make-test-images.py`), and two `scripts/fault-proxy.py` in front of the first: one
/// injecting faults by path prefix, one demanding Bearer tokens as Docker Hub does. Everything
/// lives in one temporary directory and is stopped by pid when the process exits.
final class RegistryFixture: @unchecked Sendable {
    let dir: String
    let port: Int, authPort: Int, proxyPort: Int, tokenProxyPort: Int
    /// `expected.json`: digests and expected trees of every test image.
    let expected: [String: Any]

    nonisolated(unsafe) private static var started: [pid_t] = []
    nonisolated(unsafe) private static var registryDir: String?
    static let repo = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().path

    static let shared: Result<RegistryFixture, FixtureError> = {
        do { return .success(try RegistryFixture()) } catch let e as FixtureError { return .failure(e) } catch {
            return .failure(FixtureError(message: "\(error)"))
        }
    }()

    struct FixtureError: Error, CustomStringConvertible { var message: String; var description: String { message } }

    static func get() throws -> RegistryFixture { try shared.get() }

    private init() throws {
        dir = NSTemporaryDirectory() + "swcompose-registry-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        Self.registryDir = dir + "/reg"
        atexit {
            for pid in RegistryFixture.started {
                kill(pid, SIGTERM)
                var status: Int32 = 0
                var waited = 0
                while waitpid(pid, &status, WNOHANG) == 0 && waited < 40 { usleep(50_000); waited += 1 }
                if waited >= 40 { kill(pid, SIGKILL); waitpid(pid, &status, 0) }
            }
            if let d = RegistryFixture.registryDir {
                _ = try? RegistryFixture.run(RegistryFixture.repo + "/scripts/test-registry.sh", ["stop", d], log: "/dev/null")
                try? FileManager.default.removeItem(atPath: (d as NSString).deletingLastPathComponent)
            }
        }
        try Self.run(Self.repo + "/scripts/test-registry.sh", ["start", dir + "/reg"], log: dir + "/registry.log")
        func read(_ f: String) throws -> Int {
            guard let t = try? String(contentsOfFile: f, encoding: .utf8), let n = Int(t.trimmingCharacters(in: .whitespacesAndNewlines)) else {
                throw FixtureError(message: "no port in \(f)")
            }
            return n
        }
        port = try read(dir + "/reg/port")
        authPort = try read(dir + "/reg/auth-port")
        try Self.run("/usr/bin/python3", [Self.repo + "/scripts/make-test-images.py", "--registry", "127.0.0.1:\(port)",
                                         "--auth-registry", "127.0.0.1:\(authPort)", "--user", "tester", "--password", "s3cret",
                                         "--out", dir + "/images"], log: dir + "/images.log")
        proxyPort = try Self.startProxy(dir: dir, name: "proxy", ["--upstream", "127.0.0.1:\(port)"])
        tokenProxyPort = try Self.startProxy(dir: dir, name: "token-proxy", ["--upstream", "127.0.0.1:\(port)", "--token-user", "tester", "--token-password", "s3cret"])
        guard let data = FileManager.default.contents(atPath: dir + "/images/expected.json"),
              let json = try JSONSerialization.jsonObject(with: data) as? [String: Any] else {
            throw FixtureError(message: "no expected.json in \(dir)/images")
        }
        expected = json
    }

    /// Starts `exe` with output to `log` (posix_spawn: Foundation's Process misses the exit of
    /// a child whose own children live on, as the registry script's do).
    static func spawn(_ exe: String, _ args: [String], log: String) throws -> pid_t {
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, log, O_WRONLY | O_CREAT | O_APPEND, 0o644)
        posix_spawn_file_actions_adddup2(&actions, 1, 2)
        let argv = ([exe] + args).map { strdup($0) } + [nil]
        defer { argv.forEach { free($0) } }
        var pid: pid_t = 0
        let rc = posix_spawn(&pid, exe, &actions, nil, argv, environ)
        guard rc == 0 else { throw FixtureError(message: "cannot start \(exe): \(String(cString: strerror(rc)))") }
        return pid
    }

    static func run(_ exe: String, _ args: [String], log: String) throws {
        let pid = try spawn(exe, args, log: log)
        var status: Int32 = 0
        while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
        guard status == 0 else {
            let text = (try? String(contentsOfFile: log, encoding: .utf8)) ?? ""
            throw FixtureError(message: "\(exe) \(args.joined(separator: " ")) failed (status \(status)):\n\(text.suffix(2000))")
        }
    }

    static func startProxy(dir: String, name: String, _ args: [String]) throws -> Int {
        let portFile = dir + "/\(name)-port"
        let pid = try spawn("/usr/bin/python3", [repo + "/scripts/fault-proxy.py", "--port-file", portFile] + args, log: dir + "/\(name).log")
        started.append(pid)
        for _ in 0..<100 {
            if let t = try? String(contentsOfFile: portFile, encoding: .utf8), let n = Int(t.trimmingCharacters(in: .whitespacesAndNewlines)) { return n }
            usleep(50_000)
        }
        throw FixtureError(message: "\(name) did not start")
    }

    // MARK: - Expected data

    func image(_ tag: String) -> [String: Any] { (expected["images"] as? [String: Any])?[tag] as? [String: Any] ?? [:] }

    func digest(_ tag: String) -> String { image(tag)["digest"] as? String ?? "" }

    /// The expected merged tree of a single-platform image: path → attributes.
    func tree(_ tag: String) -> [String: [String: Any]] {
        var img = image(tag)
        if img["tree"] == nil, let ms = img["manifests"] as? [[String: Any]],
           let amd = ms.first(where: { ($0["platform"] as? [String: Any])?["architecture"] as? String == "amd64" })?["image"] as? [String: Any] {
            img = amd
        }
        return img["tree"] as? [String: [String: Any]] ?? [:]
    }

    /// Resets the proxy's "first time" memory, so each fault fires again.
    func resetFaults() { _ = proxyRequest("POST", "/_fault/reset") }

    /// The requests the fault proxy has seen (method, path, status, range, …).
    func proxyLog() -> [[String: Any]] {
        let body = proxyRequest("GET", "/_fault/log")
        return (try? JSONSerialization.jsonObject(with: body)) as? [[String: Any]] ?? []
    }

    /// One HTTP/1.0 exchange with the fault proxy's control endpoints; returns the body.
    func proxyRequest(_ method: String, _ path: String) -> Data {
        let s = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(s) }
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_port = in_port_t(UInt16(proxyPort).bigEndian)
        addr.sin_addr.s_addr = inet_addr("127.0.0.1")
        let ok = withUnsafePointer(to: &addr) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(s, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) } }
        guard ok == 0 else { return Data() }
        let req = "\(method) \(path) HTTP/1.0\r\nContent-Length: 0\r\n\r\n"
        _ = req.withCString { send(s, $0, strlen($0), 0) }
        var out = Data()
        var buf = [UInt8](repeating: 0, count: 65536)
        while true {
            let n = recv(s, &buf, buf.count, 0)
            if n <= 0 { break }
            out.append(contentsOf: buf[0..<n])
        }
        guard let split = out.range(of: Data("\r\n\r\n".utf8)) else { return Data() }
        return out[split.upperBound...]
    }
}

/// A store root and a Docker config file for one test, removed when it ends.
final class StoreScratch: @unchecked Sendable {
    let path: String
    let store: ImageStore
    var configFile: String { path + "/docker/config.json" }

    init() throws {
        path = NSTemporaryDirectory() + "swcompose-store-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        store = try ImageStore(root: path + "/images")
    }

    deinit { try? FileManager.default.removeItem(atPath: path) }

    func client(credentials: Credentials? = nil) -> RegistryClient {
        var o = RegistryClient.Options(configFile: configFile)
        o.credentials = credentials
        o.backoff = 0.01
        return RegistryClient(options: o)
    }

    func layerDirectories() -> [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: path + "/images/layers")) ?? []).sorted()
    }

    func blobs() -> [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: path + "/images/blobs/sha256")) ?? []).sorted()
    }
}
