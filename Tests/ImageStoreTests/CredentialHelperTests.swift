import Foundation
import Testing
@testable import ImageStore
import OCI

/// Docker credential helpers (`credsStore`, `credHelpers`): a real helper program speaking
/// the docker-credential-helpers protocol, with its own secret file, found on PATH.
@Suite("Credential helpers", .serialized)
struct CredentialHelperTests {
    let fx: RegistryFixture
    init() throws { fx = try RegistryFixture.get() }

    /// Writes `docker-credential-swtest` into `dir`: it keeps logins in `dir/secrets.json`
    /// and logs each call (verb and stdin) to `dir/calls.log`.
    func installHelper(in dir: String, name: String = "swtest", failing: Bool = false) throws {
        let script = """
        #!/usr/bin/python3
        import json, os, sys
        here = os.path.dirname(os.path.abspath(__file__))
        verb, data = sys.argv[1], sys.stdin.read()
        with open(os.path.join(here, "calls.log"), "a") as f:
            f.write(verb + " " + data.strip() + "\\n")
        if \(failing ? "True" : "False"):
            print("the keyring is locked"); sys.exit(3)
        path = os.path.join(here, "secrets.json")
        secrets = json.load(open(path)) if os.path.exists(path) else {}
        if verb == "get":
            if data.strip() not in secrets:
                print("credentials not found in native keychain"); sys.exit(1)
            u, s = secrets[data.strip()]
            print(json.dumps({"ServerURL": data.strip(), "Username": u, "Secret": s}))
        elif verb == "store":
            d = json.loads(data); secrets[d["ServerURL"]] = [d["Username"], d["Secret"]]
            json.dump(secrets, open(path, "w"))
        elif verb == "erase":
            secrets.pop(data.strip(), None); json.dump(secrets, open(path, "w"))
        """
        let path = dir + "/docker-credential-" + name
        try script.write(toFile: path, atomically: true, encoding: .utf8)
        chmod(path, 0o755)
    }

    func environment(_ dir: String) -> [String: String] {
        var e = ProcessInfo.processInfo.environment
        e["PATH"] = dir + ":" + (e["PATH"] ?? "/usr/bin:/bin")
        return e
    }

    @Test func credsStoreHoldsTheSecretAndPullsUseIt() async throws {
        let s = try StoreScratch()
        let bin = s.path + "/bin"
        try FileManager.default.createDirectory(atPath: bin, withIntermediateDirectories: true)
        try installHelper(in: bin)
        try FileManager.default.createDirectory(atPath: s.path + "/docker", withIntermediateDirectories: true)
        try Data(#"{"credsStore": "swtest"}"#.utf8).write(to: URL(fileURLWithPath: s.configFile))
        let host = "127.0.0.1:\(fx.authPort)"
        try Credentials.store(Credentials(username: "tester", password: "s3cret"), host: host, configFile: s.configFile, environment: environment(bin))
        // The secret is in the helper's store; the config file only lists the host.
        let config = try String(contentsOfFile: s.configFile, encoding: .utf8)
        #expect(!config.contains("s3cret") && !config.contains("\"auth\"") && config.contains(host))
        let secrets = try String(contentsOfFile: bin + "/secrets.json", encoding: .utf8)
        #expect(secrets.contains("s3cret"))
        // A pull against the Basic-auth registry asks the helper for the login.
        var o = RegistryClient.Options(configFile: s.configFile)
        o.environment = environment(bin)
        o.backoff = 0.01
        let img = try await s.store.pull(try Reference(parsing: "\(host)/swtest/busybox:schema2"), client: RegistryClient(options: o))
        #expect(img.manifestDigest.description == fx.digest("swtest/busybox:schema2"))
        let calls = try String(contentsOfFile: bin + "/calls.log", encoding: .utf8).split(separator: "\n")
        #expect(calls.filter { $0 == "get \(host)" }.count == 1, "asked once per client: \(calls)")
        // Logging out erases it from the helper.
        try Credentials.store(nil, host: host, configFile: s.configFile, environment: environment(bin))
        #expect(try Credentials.lookup(host: host, configFile: s.configFile, environment: environment(bin)) == nil)
        #expect(!(try String(contentsOfFile: bin + "/secrets.json", encoding: .utf8)).contains("s3cret"))
    }

    @Test func credHelpersWinForTheirRegistryAndMissingHelpersAreNamed() throws {
        let s = try StoreScratch()
        let bin = s.path + "/bin"
        try FileManager.default.createDirectory(atPath: bin, withIntermediateDirectories: true)
        try installHelper(in: bin)
        try Data(#"{"e.example:5000": ["u", "p"]}"#.utf8).write(to: URL(fileURLWithPath: bin + "/secrets.json"))
        try FileManager.default.createDirectory(atPath: s.path + "/docker", withIntermediateDirectories: true)
        try Data(#"{"credsStore": "absent", "credHelpers": {"e.example:5000": "swtest"}, "auths": {"e.example:5000": {"auth": "eDp5"}}}"#.utf8)
            .write(to: URL(fileURLWithPath: s.configFile))
        #expect(try Credentials.lookup(host: "e.example:5000", configFile: s.configFile, environment: environment(bin)) == Credentials(username: "u", password: "p"))
        #expect { try Credentials.lookup(host: "nothing.example", configFile: s.configFile, environment: environment(bin)) } throws: {
            "\($0)".contains("docker-credential-absent") && "\($0)".contains("not on PATH")
        }
    }

    @Test func aFailingHelperIsReportedWithItsOutput() async throws {
        let s = try StoreScratch()
        let bin = s.path + "/bin"
        try FileManager.default.createDirectory(atPath: bin, withIntermediateDirectories: true)
        try installHelper(in: bin, failing: true)
        try FileManager.default.createDirectory(atPath: s.path + "/docker", withIntermediateDirectories: true)
        try Data(#"{"credsStore": "swtest"}"#.utf8).write(to: URL(fileURLWithPath: s.configFile))
        var o = RegistryClient.Options(configFile: s.configFile)
        o.environment = environment(bin)
        o.backoff = 0.01
        await #expect {
            _ = try await s.store.pull(try Reference(parsing: "127.0.0.1:\(fx.authPort)/swtest/busybox:schema2"), client: RegistryClient(options: o))
        } throws: { "\($0)".contains("docker-credential-swtest get 127.0.0.1:\(fx.authPort) failed (exit status 3): the keyring is locked") }
    }
}
