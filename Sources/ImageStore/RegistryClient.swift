import Foundation
import OCI

/// A client of the OCI distribution API for any registry: `GET /v2/`, manifests by tag or
/// digest, blobs (redirects followed), with anonymous or credentialed Bearer tokens and Basic
/// auth, HTTPS, and plain HTTP only for insecure registries (after HTTPS failed, as Docker).
public final class RegistryClient: @unchecked Sendable {
    public struct Options: Sendable {
        /// Hosts (`host:port`) that may be reached over plain HTTP; loopback always may.
        public var insecureRegistries: Set<String> = []
        /// Docker's client config with the logins (`Credentials`).
        public var configFile: String
        /// Used instead of the config file's login (`login` checks new credentials with it).
        public var credentials: Credentials?
        public var attempts = 4
        /// First retry delay in seconds; doubled each time.
        public var backoff = 0.25
        /// Whether loopback registries count as insecure without being listed (Docker's rule).
        public var loopbackIsInsecure = true
        /// Per-registry TLS files, Docker's layout: `DIR/HOST[:PORT]/*.crt` are extra CA
        /// certificates, `*.cert` with the `*.key` of the same name a client certificate.
        public var certsDirectories = ["/etc/swcompose/certs.d", "/etc/docker/certs.d"]
        /// Where credential helpers are looked for (`PATH`) and what they run with.
        public var environment: [String: String] = ProcessInfo.processInfo.environment
        public init(configFile: String) { self.configFile = configFile }
    }

    let options: Options
    let http: HTTPClient
    private let lock = NSLock()
    private var bases: [String: URL] = [:]
    /// Bearer tokens by host and scope; `basic` marks hosts that asked for Basic auth.
    private var tokens: [String: String] = [:]
    private var basic: Set<String> = []
    private var logins: [String: Credentials?] = [:]

    public init(options: Options) {
        self.options = options
        let dirs = options.certsDirectories, insecure = options.insecureRegistries, loopback = options.loopbackIsInsecure
        let parsed = Result { try HTTPClient.ProxySettings(environment: options.environment) }
        proxies = try? parsed.get()
        if case .failure(let e) = parsed { proxyError = e } else { proxyError = nil }
        http = HTTPClient(proxies: proxies) { host in
            Self.tlsPolicy(host, certsDirectories: dirs, insecure: Self.isInsecure(host, insecure, loopback: loopback))
        }
    }

    let proxies: HTTPClient.ProxySettings?
    /// A bad proxy variable, reported at the first request (not at start: `config` makes no
    /// client, and an unused variable must not break anything).
    let proxyError: (any Error)?

    static func hostWithoutPort(_ host: String) -> String {
        if host.hasPrefix("["), let close = host.firstIndex(of: "]") { return String(host[host.index(after: host.startIndex)..<close]) }
        if host.filter({ $0 == ":" }).count == 1, let colon = host.lastIndex(of: ":") { return String(host[..<colon]) }
        return host
    }

    /// `insecure-registries` of a daemon configuration file in Docker's format
    /// (`/etc/docker/daemon.json`, or swcompose's own `/etc/swcompose/daemon.json`): `host:port`
    /// names and CIDR ranges. A missing file is no entry; a broken one is an error naming it.
    public static func insecureRegistries(fromDaemonConfig path: String) throws -> [String] {
        guard let data = FileManager.default.contents(atPath: path) else { return [] }
        guard let obj = try? JSONSerialization.jsonObject(with: data) as? [String: Any] else {
            throw ImageStoreError("\(path): not a JSON object")
        }
        guard let list = obj["insecure-registries"] else { return [] }
        guard let names = list as? [String] else { throw ImageStoreError("\(path): insecure-registries must be a list of strings") }
        return names
    }

    /// The TLS files Docker would use for `host` (`host:port`): every `*.crt` as a CA, a
    /// `*.cert`/`*.key` pair as the client certificate; no verification for insecure hosts.
    static func tlsPolicy(_ host: String, certsDirectories: [String], insecure: Bool) -> HTTPClient.TLSPolicy {
        var p = HTTPClient.TLSPolicy(verify: !insecure)
        for dir in certsDirectories {
            let d = dir + "/" + host
            guard let names = try? FileManager.default.contentsOfDirectory(atPath: d) else { continue }
            for n in names.sorted() {
                if n.hasSuffix(".crt") { p.caFiles.append(d + "/" + n) }
                if n.hasSuffix(".cert"), p.clientCertificate == nil {
                    let key = d + "/" + n.dropLast(5) + ".key"
                    if FileManager.default.fileExists(atPath: key) { p.clientCertificate = d + "/" + n; p.clientKey = key }
                }
            }
        }
        return p
    }

    /// The host API calls go to: Docker Hub's API is not at `docker.io`.
    static func endpointHost(_ domain: String) -> String {
        domain == "docker.io" ? "registry-1.docker.io" : domain
    }

    public func isInsecure(_ host: String) -> Bool {
        Self.isInsecure(host, options.insecureRegistries, loopback: options.loopbackIsInsecure)
    }

    static func isInsecure(_ host: String, _ listed: Set<String>, loopback: Bool) -> Bool {
        if listed.contains(host) { return true }
        // CIDR entries (`10.0.0.0/8`), as Docker's insecure-registries take them, match IP hosts.
        let bare = Self.hostWithoutPort(host)
        if listed.contains(where: { $0.contains("/") && HTTPClient.ProxySettings.inCIDR(bare, $0) }) { return true }
        return loopback && HTTPClient.isLoopback(bare)
    }

    // MARK: - Requests

    struct HTTPFailure: Error, CustomStringConvertible {
        var url: String
        var status: Int
        var body: Data
        var retryAfter: Double?
        var description: String {
            var text = "\(url): HTTP \(status)"
            if let e = try? JSONDecoder().decode(RegistryErrors.self, from: body), let first = e.errors.first {
                text = "\(first.message ?? first.code.lowercased()) (\(first.code)): \(text)"
            } else if !body.isEmpty, body.count < 300, let s = String(data: body, encoding: .utf8) {
                text += ": " + s.trimmingCharacters(in: .whitespacesAndNewlines)
            }
            return text
        }
        var retryable: Bool { status == 429 || status == 408 || (500...599).contains(status) }
    }

    struct RegistryErrors: Decodable {
        struct Item: Decodable { var code: String; var message: String? }
        var errors: [Item]
    }

    /// The base URL of a registry, `https://host` or (insecure ones whose HTTPS fails) `http://host`.
    func base(_ domain: String) async throws -> URL {
        if let proxyError { throw proxyError }
        let host = Self.endpointHost(domain)
        if let b = lock.withLock({ bases[host] }) { return b }
        guard let https = URL(string: "https://\(host)") else { throw ImageStoreError("invalid registry host \(host)") }
        var chosen = https
        do {
            _ = try await http.fetch(HTTPClient.Request(url: https.appendingPathComponent("v2/")), limit: 1 << 16)
        } catch let e as ImageStoreError {
            throw e
        } catch let e as HTTPClient.TransportError {
            guard isInsecure(domain) || isInsecure(host), let plain = URL(string: "http://\(host)") else {
                let hint = e.reason.contains("certificate verification failed")
                    ? "; if the registry uses a private CA, put its certificate in \(options.certsDirectories.last ?? "/etc/docker/certs.d")/\(host)/ca.crt, or mark the registry insecure"
                    : ""
                throw ImageStoreError("cannot reach registry \(e)\(hint)")
            }
            chosen = plain
        }
        lock.withLock { bases[host] = chosen }
        return chosen
    }

    /// Sends a GET for `path` under the registry, authenticating as it asks, retrying
    /// transient failures; the 2xx body goes to `sink`.
    /// `attempt` is called before each attempt and says from which byte to resume (0: all).
    func get(_ domain: String, _ path: String, scope: String, accept: [String] = [], attempt: (() -> Int64)? = nil,
             sink: @escaping @Sendable (HTTPClient.Response, UnsafeRawBufferPointer) throws -> Void) async throws -> HTTPClient.Response {
        let base = try await base(domain)
        guard let url = URL(string: base.absoluteString + path) else { throw ImageStoreError("invalid URL \(base)\(path)") }
        var lastError: (any Error)?
        for tries in 0..<max(1, options.attempts) {
            if tries > 0 {
                var delay = options.backoff * pow(2, Double(tries - 1))
                if let f = lastError as? HTTPFailure, let ra = f.retryAfter { delay = min(max(ra, 0), 10) }
                try await Task.sleep(nanoseconds: UInt64(delay * 1e9))
            }
            do {
                return try await authorized(domain, url, scope: scope, accept: accept, range: attempt?(), sink: sink)
            } catch let f as HTTPFailure {
                guard f.retryable else { throw ImageStoreError(f.description) }
                lastError = f
            } catch let e as HTTPClient.TransportError {
                lastError = ImageStoreError(e.description)
            }
        }
        if let f = lastError as? HTTPFailure {
            throw ImageStoreError("\(f.description) (after \(options.attempts) attempts)")
        }
        throw ImageStoreError("\((lastError as? ImageStoreError)?.message ?? "\(url.absoluteString) failed") (after \(options.attempts) attempts)")
    }

    private func authorized(_ domain: String, _ url: URL, scope: String, accept: [String], range: Int64?,
                            sink: @escaping @Sendable (HTTPClient.Response, UnsafeRawBufferPointer) throws -> Void) async throws -> HTTPClient.Response {
        let host = Self.endpointHost(domain)
        var triedAuth = false
        while true {
            var req = HTTPClient.Request(url: url)
            if !accept.isEmpty { req.setValue(accept.joined(separator: ", "), forHTTPHeaderField: "Accept") }
            if let range, range > 0 { req.setValue("bytes=\(range)-", forHTTPHeaderField: "Range") }
            if let t = lock.withLock({ tokens[host + " " + scope] }) {
                req.setValue("Bearer \(t)", forHTTPHeaderField: "Authorization")
            } else if lock.withLock({ basic.contains(host) }), let c = try await credentials(domain) {
                req.setValue("Basic " + Data("\(c.username):\(c.password)".utf8).base64EncodedString(), forHTTPHeaderField: "Authorization")
            }
            let (resp, body) = try await http.send(req, sink: sink)
            if (200..<300).contains(resp.status) { return resp }
            if resp.status == 401 && !triedAuth {
                triedAuth = true
                try await authenticate(domain, challenge: resp.header("WWW-Authenticate") ?? "", scope: scope, url: url)
                continue
            }
            if resp.status == 401 {
                throw ImageStoreError(try await credentials(domain) == nil
                    ? "unauthorized: \(url.absoluteString) needs a login (HTTP 401); run `swcompose login \(domain)`"
                    : "unauthorized: \(url.absoluteString) refused the credentials (HTTP 401); check `swcompose login \(domain)`")
            }
            throw HTTPFailure(url: url.absoluteString, status: resp.status, body: body,
                              retryAfter: resp.header("Retry-After").flatMap(Double.init))
        }
    }

    /// The login for `domain`, looked up once per client. A credential helper is a program
    /// that may take a while, so the lookup runs on a thread of its own, not on the pool.
    func credentials(_ domain: String) async throws -> Credentials? {
        if let c = options.credentials { return c }
        if let known = lock.withLock({ logins[domain] }) { return known }
        let file = options.configFile, environment = options.environment
        let found: Credentials? = try await withCheckedThrowingContinuation { k in
            Thread {
                k.resume(with: Result { try Credentials.lookup(host: domain, configFile: file, environment: environment) })
            }.start()
        }
        lock.withLock { logins[domain] = .some(found) }
        return found
    }

    /// Whether `credentials` are accepted by the registry of `domain` (what `login` checks).
    public func checkLogin(_ domain: String, _ credentials: Credentials) async throws {
        var o = options
        o.credentials = credentials
        let probe = RegistryClient(options: o)
        _ = try await probe.get(domain, "/v2/", scope: "") { _, _ in }
    }

    /// Answers a 401 challenge: a Bearer token from the realm (with the login when there is
    /// one, anonymous otherwise), or Basic with the login.
    private func authenticate(_ domain: String, challenge: String, scope: String, url: URL) async throws {
        let host = Self.endpointHost(domain)
        let (scheme, params) = Self.parseChallenge(challenge)
        let creds = try await credentials(domain)
        switch scheme.lowercased() {
        case "bearer":
            guard let realm = params["realm"], var comps = URLComponents(string: realm) else {
                throw ImageStoreError("\(url.absoluteString): Bearer challenge without a realm: \(challenge)")
            }
            var items = comps.queryItems ?? []
            if let service = params["service"] { items.append(URLQueryItem(name: "service", value: service)) }
            if let sc = params["scope"] ?? (scope.isEmpty ? nil : scope) { items.append(URLQueryItem(name: "scope", value: sc)) }
            comps.queryItems = items
            guard let tokenURL = comps.url else { throw ImageStoreError("invalid token realm \(realm)") }
            var req = HTTPClient.Request(url: tokenURL)
            if let c = creds {
                req.setValue("Basic " + Data("\(c.username):\(c.password)".utf8).base64EncodedString(), forHTTPHeaderField: "Authorization")
            }
            let (resp, body) = try await http.fetch(req, limit: 1 << 20)
            guard (200..<300).contains(resp.status) else {
                if resp.status == 401 || resp.status == 403 {
                    throw ImageStoreError(creds == nil
                        ? "unauthorized: \(domain) wants a login for \(scope) (token server \(realm): HTTP \(resp.status)); run `swcompose login \(domain)`"
                        : "unauthorized: wrong username or password for \(domain) (token server \(realm): HTTP \(resp.status))")
                }
                throw HTTPFailure(url: tokenURL.absoluteString, status: resp.status, body: body, retryAfter: nil)
            }
            struct TokenReply: Decodable { var token: String?; var access_token: String? }
            guard let reply = try? JSONDecoder().decode(TokenReply.self, from: body),
                  let token = reply.token ?? reply.access_token, !token.isEmpty else {
                throw ImageStoreError("token server \(realm) answered without a token")
            }
            lock.withLock { tokens[host + " " + scope] = token }
        case "basic":
            guard creds != nil else {
                throw ImageStoreError("unauthorized: \(domain) wants a login (HTTP 401 from \(url.absoluteString)); run `swcompose login \(domain)`")
            }
            lock.withLock { _ = basic.insert(host) }
        default:
            throw ImageStoreError("unauthorized: \(url.absoluteString) answered 401 with an unknown challenge \"\(challenge)\"")
        }
    }

    /// `Bearer realm="https://auth",service="reg",scope="repository:a:pull,push"`.
    static func parseChallenge(_ text: String) -> (String, [String: String]) {
        let trimmed = text.trimmingCharacters(in: .whitespaces)
        guard let space = trimmed.firstIndex(of: " ") else { return (trimmed, [:]) }
        let scheme = String(trimmed[..<space])
        var params: [String: String] = [:]
        var rest = Substring(trimmed[trimmed.index(after: space)...])
        while !rest.isEmpty {
            rest = rest.drop { $0 == " " || $0 == "," }
            guard let eq = rest.firstIndex(of: "=") else { break }
            let key = rest[..<eq].trimmingCharacters(in: .whitespaces).lowercased()
            rest = rest[rest.index(after: eq)...]
            var value = ""
            if rest.first == "\"" {
                rest = rest.dropFirst()
                while let c = rest.first, c != "\"" {
                    if c == "\\", rest.count > 1 { rest = rest.dropFirst() }
                    value.append(rest.first!)
                    rest = rest.dropFirst()
                }
                rest = rest.dropFirst()
            } else {
                let end = rest.firstIndex(of: ",") ?? rest.endIndex
                value = String(rest[..<end]).trimmingCharacters(in: .whitespaces)
                rest = rest[end...]
            }
            params[key] = value
        }
        return (scheme, params)
    }

    // MARK: - Manifests and blobs

    /// A manifest or index by tag or digest: its bytes, media type and digest (computed, and
    /// checked against a pinned digest).
    public func manifest(_ ref: Reference, reference: String? = nil) async throws -> (data: Data, mediaType: String, digest: Digest) {
        let which = reference ?? ref.manifestReference
        let box = Box()
        let resp: HTTPClient.Response
        do {
            resp = try await get(ref.domain, "/v2/\(ref.path)/manifests/\(which)", scope: "repository:\(ref.path):pull",
                                 accept: MediaType.manifestAccept + [MediaType.dockerManifestV1Signed, MediaType.dockerManifestV1],
                                 attempt: { box.data.removeAll(); return 0 }) { _, bytes in
            guard box.data.count + bytes.count <= 4 << 20 else { throw ImageStoreError("manifest \(ref) is larger than 4 MiB") }
            box.data.append(contentsOf: bytes)
        }
        } catch let e as ImageStoreError {
            throw ImageStoreError("\(ref.name):\(which): \(e.message)")
        }
        let digest = try SHA256Stream.digest(of: box.data)
        if let pinned = try? Digest(parsing: which), pinned != digest {
            throw ImageStoreError("manifest \(ref.name)@\(pinned) failed verification: the registry sent content with digest \(digest)")
        }
        if let sent = resp.header("Docker-Content-Digest").flatMap({ try? Digest(parsing: $0) }), sent.algorithm == "sha256", sent != digest {
            throw ImageStoreError("manifest \(ref.name):\(which) failed verification: the registry says \(sent), the content has digest \(digest)")
        }
        var type = (resp.header("Content-Type") ?? "").split(separator: ";").first.map { $0.trimmingCharacters(in: .whitespaces) } ?? ""
        struct Probe: Decodable { var mediaType: String?; var schemaVersion: Int?; var manifests: [Descriptor]? }
        if let probe = try? JSONDecoder().decode(Probe.self, from: box.data) {
            if let t = probe.mediaType, !t.isEmpty { type = t }
            else if probe.schemaVersion == 1 { type = MediaType.dockerManifestV1 }
            else if !(MediaType.isIndex(type) || MediaType.isManifest(type)) { type = probe.manifests != nil ? MediaType.ociIndex : MediaType.ociManifest }
        }
        return (box.data, type, digest)
    }

    private final class Box: @unchecked Sendable { var data = Data() }

    /// Downloads a blob into the store: resumed from what an earlier attempt left, verified
    /// as it arrives, committed only when size and digest match.
    public func fetchBlob(_ ref: Reference, _ desc: Descriptor, into store: ContentStore,
                          progress: (@Sendable (Int64) -> Void)? = nil) async throws {
        if store.has(desc.digest, size: desc.size) { return }
        let ingest = try await store.beginIngest(desc.digest, size: desc.size)
        if ingest.alreadyStored { ingest.abandon(); return }
        let state = IngestBox(ingest)
        do {
            let path = "/v2/\(ref.path)/blobs/\(desc.digest)"
            // A body that ends early without a transport error (no Content-Length) is resumed too.
            var shortReads = 0
            while true {
                _ = try await get(ref.domain, path, scope: "repository:\(ref.path):pull",
                                  attempt: { state.started = false; return state.ingest.offset }) { resp, bytes in
                    if !state.started {
                        state.started = true
                        // 200 to a range request: the server sends everything again.
                        if resp.status != 206 && state.ingest.offset > 0 { try state.ingest.restart() }
                    }
                    try state.ingest.append(bytes)
                    progress?(state.ingest.offset)
                }
                if ingest.offset >= desc.size { break }
                shortReads += 1
                guard shortReads < options.attempts else {
                    throw ImageStoreError("blob \(desc.digest) of \(ref.name): the registry sent \(ingest.offset) of \(desc.size) bytes (after \(options.attempts) attempts)")
                }
            }
            try ingest.commit()
        } catch {
            ingest.abandon()
            throw error
        }
    }

    /// Marks each attempt's first chunk (where a 200 answer to a range request restarts).
    private final class IngestBox: @unchecked Sendable {
        let ingest: Ingest
        var started = false
        init(_ i: Ingest) { ingest = i }
    }
}
