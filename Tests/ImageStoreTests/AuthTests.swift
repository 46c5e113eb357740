import Foundation
import Testing
@testable import ImageStore
import OCI

/// Logins as registries ask for them: Bearer tokens from a token server (as Docker Hub),
/// htpasswd Basic auth (Debian's registry itself), credentials from Docker's config file.
@Suite("Registry authentication", .serialized)
struct AuthTests {
    let fx: RegistryFixture
    init() throws { fx = try RegistryFixture.get() }

    func ref(_ port: Int, _ path: String = "swtest/busybox:schema2") throws -> Reference {
        try Reference(parsing: "127.0.0.1:\(port)/\(path)")
    }

    @Test func bearerTokenWithTheLoginFromDockersConfigFile() async throws {
        let s = try StoreScratch()
        try Credentials.store(Credentials(username: "tester", password: "s3cret"), host: "127.0.0.1:\(fx.tokenProxyPort)", configFile: s.configFile)
        var st = stat()
        stat(s.configFile, &st)
        #expect(st.st_mode & 0o777 == 0o600)
        let img = try await s.store.pull(try ref(fx.tokenProxyPort), client: s.client())
        #expect(img.manifestDigest.description == fx.digest("swtest/busybox:schema2"))
    }

    @Test func anonymousTokenForAPublicRepository() async throws {
        let s = try StoreScratch()
        let img = try await s.store.pull(try ref(fx.tokenProxyPort, "public/swtest/busybox:schema2"), client: s.client())
        #expect(img.manifestDigest.description == fx.digest("swtest/busybox:schema2"))
    }

    @Test func privateRepositoryWithoutALoginSaysSo() async throws {
        let s = try StoreScratch()
        await #expect {
            _ = try await s.store.pull(try ref(fx.tokenProxyPort), client: s.client())
        } throws: { "\($0)".contains("needs a login") && "\($0)".contains("swcompose login 127.0.0.1:\(fx.tokenProxyPort)") }
    }

    @Test func wrongPasswordIsNamed() async throws {
        let s = try StoreScratch()
        await #expect {
            _ = try await s.store.pull(try ref(fx.tokenProxyPort), client: s.client(credentials: Credentials(username: "tester", password: "nope")))
        } throws: { "\($0)".contains("wrong username or password") }
        await #expect {
            try await s.client().checkLogin("127.0.0.1:\(fx.authPort)", Credentials(username: "tester", password: "nope"))
        } throws: { "\($0)".contains("refused the credentials") && "\($0)".contains("401") }
    }

    @Test func basicAuthRegistry() async throws {
        let s = try StoreScratch()
        await #expect {
            _ = try await s.store.pull(try ref(fx.authPort), client: s.client())
        } throws: { "\($0)".contains("wants a login") }
        try await s.client().checkLogin("127.0.0.1:\(fx.authPort)", Credentials(username: "tester", password: "s3cret"))
        let img = try await s.store.pull(try ref(fx.authPort), client: s.client(credentials: Credentials(username: "tester", password: "s3cret")))
        #expect(img.manifestDigest.description == fx.digest("swtest/busybox:schema2"))
    }
}

@Suite("Credentials file and challenges")
struct CredentialsTests {
    @Test func storeKeepsOtherKeysAndRemoves() throws {
        let s = try StoreScratch()
        try FileManager.default.createDirectory(atPath: s.path + "/docker", withIntermediateDirectories: true)
        try Data(#"{"auths":{"other:5000":{"auth":"dTpw"}},"detachKeys":"ctrl-x"}"#.utf8).write(to: URL(fileURLWithPath: s.configFile))
        try Credentials.store(Credentials(username: "a", password: "b:c"), host: "docker.io", configFile: s.configFile)
        #expect(try Credentials.lookup(host: "docker.io", configFile: s.configFile) == Credentials(username: "a", password: "b:c"))
        #expect(try Credentials.lookup(host: "other:5000", configFile: s.configFile) == Credentials(username: "u", password: "p"))
        let json = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: s.configFile))) as? [String: Any]
        #expect(json?["detachKeys"] as? String == "ctrl-x")
        #expect((json?["auths"] as? [String: Any])?[Credentials.dockerHubKey] != nil)
        try Credentials.store(nil, host: "docker.io", configFile: s.configFile)
        #expect(try Credentials.lookup(host: "docker.io", configFile: s.configFile) == nil)
    }

    @Test func challengeParsing() {
        let (scheme, p) = RegistryClient.parseChallenge(#"Bearer realm="https://auth.docker.io/token",service="registry.docker.io",scope="repository:library/kafka:pull,push""#)
        #expect(scheme == "Bearer")
        #expect(p["realm"] == "https://auth.docker.io/token")
        #expect(p["service"] == "registry.docker.io")
        #expect(p["scope"] == "repository:library/kafka:pull,push")
        #expect(RegistryClient.parseChallenge(#"Basic realm="x""#).0 == "Basic")
    }

    @Test func loopbackIsInsecureByDefault() {
        let c = RegistryClient(options: .init(configFile: "/nonexistent"))
        #expect(c.isInsecure("127.0.0.1:5000"))
        #expect(c.isInsecure("localhost:5000"))
        #expect(c.isInsecure("[::1]:5000"))
        #expect(!c.isInsecure("registry.example.com"))
        #expect(RegistryClient.endpointHost("docker.io") == "registry-1.docker.io")
    }

    @Test func insecureRegistriesFromADaemonConfigWithCIDRs() throws {
        let dir = NSTemporaryDirectory() + "swcompose-daemon-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try #"{"insecure-registries": ["myregistry.local:5000", "10.0.0.0/8", "fd00::/8"], "debug": true}"#
            .write(toFile: dir + "/daemon.json", atomically: true, encoding: .utf8)
        let listed = Set(try RegistryClient.insecureRegistries(fromDaemonConfig: dir + "/daemon.json"))
        #expect(listed == ["myregistry.local:5000", "10.0.0.0/8", "fd00::/8"])
        #expect(RegistryClient.isInsecure("myregistry.local:5000", listed, loopback: false))
        #expect(!RegistryClient.isInsecure("myregistry.local:5001", listed, loopback: false))
        #expect(RegistryClient.isInsecure("10.20.30.40:5000", listed, loopback: false))
        #expect(RegistryClient.isInsecure("10.20.30.40", listed, loopback: false))
        #expect(!RegistryClient.isInsecure("11.0.0.1:5000", listed, loopback: false))
        #expect(RegistryClient.isInsecure("[fd12::1]:5000", listed, loopback: false))
        #expect(try RegistryClient.insecureRegistries(fromDaemonConfig: dir + "/missing.json") == [])
        try #"{"insecure-registries": "10.0.0.0/8"}"#.write(toFile: dir + "/bad.json", atomically: true, encoding: .utf8)
        #expect { try RegistryClient.insecureRegistries(fromDaemonConfig: dir + "/bad.json") } throws: {
            "\($0)".contains("bad.json: insecure-registries must be a list of strings")
        }
    }

    @Test func chainIDs() throws {
        let a = try Digest(parsing: "sha256:" + String(repeating: "a", count: 64))
        let b = try Digest(parsing: "sha256:" + String(repeating: "b", count: 64))
        let chains = try ImageStore.chainIDs([a, b])
        #expect(chains[0] == a)
        #expect(chains[1] == (try SHA256Stream.digest(of: Data("\(a) \(b)".utf8))))
        // SHA-256 of "abc" (FIPS 180-2).
        #expect(try SHA256Stream.digest(of: Data("abc".utf8)).encoded == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
    }
}
