import Foundation

/// Registry credentials in Docker's client file, `~/.docker/config.json` (or `$DOCKER_CONFIG/
/// config.json`): `{"auths": {"HOST": {"auth": base64("user:password")}}}`. Docker Hub's entry
/// is keyed `https://index.docker.io/v1/`. `swcompose login` writes the same file (0600), so
/// the Docker CLI and swcompose share logins. Credential helpers (`credsStore`) are not run.
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

    public static func lookup(host: String, configFile: String) throws -> Credentials? {
        guard let data = FileManager.default.contents(atPath: configFile) else { return nil }
        guard let json = try? JSONSerialization.jsonObject(with: data) as? [String: Any] else {
            throw ImageStoreError("\(configFile): not a JSON object")
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
    public static func store(_ credentials: Credentials?, host: String, configFile: String) throws {
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
        if let c = credentials {
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
