import Foundation
import Testing
@testable import ImageStore
import OCI

/// Pulls through an HTTP proxy configured as Docker users configure it (HTTP_PROXY,
/// HTTPS_PROXY, NO_PROXY). The proxy (`scripts/forward-proxy.py`) sends every host to
/// 127.0.0.1, so the registry can go by a made-up name the client never resolves itself.
@Suite("HTTP proxies", .serialized)
struct ProxyTests {
    let fx: RegistryFixture
    init() throws { fx = try RegistryFixture.get() }

    final class ForwardProxy {
        let dir: String, port: Int, pid: pid_t
        init(user: String? = nil, password: String? = nil) throws {
            let dir = NSTemporaryDirectory() + "swcompose-proxy-" + UUID().uuidString
            self.dir = dir
            try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
            var args = [RegistryFixture.repo + "/scripts/forward-proxy.py", "--port-file", dir + "/port", "--log", dir + "/requests.log"]
            if let user { args += ["--user", user, "--password", password ?? ""] }
            pid = try RegistryFixture.spawn("/usr/bin/python3", args, log: dir + "/proxy.log")
            var p = 0
            for _ in 0..<100 {
                if let t = try? String(contentsOfFile: dir + "/port", encoding: .utf8), let n = Int(t) { p = n; break }
                usleep(50_000)
            }
            port = p
            guard p > 0 else { throw RegistryFixture.FixtureError(message: "the forward proxy did not start") }
        }
        deinit {
            kill(pid, SIGKILL)
            var status: Int32 = 0
            waitpid(pid, &status, 0)
            try? FileManager.default.removeItem(atPath: dir)
        }
        var requests: [String] {
            ((try? String(contentsOfFile: dir + "/requests.log", encoding: .utf8)) ?? "").split(separator: "\n").map(String.init)
        }
    }

    func client(_ s: StoreScratch, _ env: [String: String], insecure: [String]) -> RegistryClient {
        var o = RegistryClient.Options(configFile: s.configFile)
        o.environment = env
        o.insecureRegistries = Set(insecure)
        o.attempts = 1
        return RegistryClient(options: o)
    }

    @Test func plainHTTPRegistryThroughTheProxy() async throws {
        let proxy = try ForwardProxy()
        let host = "registry.swtest.invalid:\(fx.port)"
        let s = try StoreScratch()
        let env = ["HTTP_PROXY": "127.0.0.1:\(proxy.port)", "HTTPS_PROXY": "http://127.0.0.1:\(proxy.port)"]
        let img = try await s.store.pull(try Reference(parsing: "\(host)/swtest/busybox:oci"), client: client(s, env, insecure: [host]))
        #expect(img.manifestDigest.description == fx.digest("swtest/busybox:oci"))
        let log = proxy.requests
        // HTTPS was tried first through a tunnel (it failed: the registry speaks plain HTTP),
        // then every request went to the proxy as a whole URL:
        // the manifest, the config and five layers.
        #expect(log.first == "CONNECT \(host)")
        #expect(log.filter { $0.hasPrefix("GET http://\(host)/v2/swtest/busybox/blobs/") }.count == 6, "\(log)")
        #expect(log.count == 8)
        // NO_PROXY: the client goes direct, and cannot resolve the made-up name.
        let t = try StoreScratch()
        var direct = env
        direct["NO_PROXY"] = "localhost,.example.com,swtest.invalid"
        await #expect {
            _ = try await t.store.pull(try Reference(parsing: "\(host)/swtest/busybox:oci"), client: client(t, direct, insecure: [host]))
        } throws: { "\($0)".contains("cannot resolve registry.swtest.invalid") }
    }

    @Test func httpsRegistryThroughAConnectTunnel() async throws {
        let reg = try TLSTests.TLSRegistry(fx: fx, mutual: false)
        let proxy = try ForwardProxy(user: "proxyuser", password: "p@ss")
        let host = "tls.swtest.invalid:\(reg.port)"
        let s = try StoreScratch()
        // The proxy wants a login; the URL's user and password give it (percent-encoded).
        let wrong = ["HTTPS_PROXY": "http://proxyuser:nope@127.0.0.1:\(proxy.port)"]
        await #expect {
            _ = try await s.store.pull(try Reference(parsing: "\(host)/swtest/busybox:oci"), client: client(s, wrong, insecure: [host]))
        } throws: { "\($0)".contains("proxy authentication required") }
        let env = ["https_proxy": "http://proxyuser:p%40ss@127.0.0.1:\(proxy.port)"]
        // Marked insecure: TLS without verification (the certificate is for 127.0.0.1).
        let img = try await s.store.pull(try Reference(parsing: "\(host)/swtest/busybox:oci"), client: client(s, env, insecure: [host]))
        #expect(img.manifestDigest.description == fx.digest("swtest/busybox:oci"))
        #expect(proxy.requests.allSatisfy { $0 == "CONNECT \(host)" })
    }

    @Test func proxySettingsFollowGo() throws {
        let p = try HTTPClient.ProxySettings(environment: ["HTTPS_PROXY": "proxy:3128", "http_proxy": "http://u:p@proxy2:8080",
                                                           "NO_PROXY": "*.skip.example, .sub.example,exact.example,10.0.0.0/8,other:5000"])
        func via(_ u: String) -> String? { p.proxy(for: URL(string: u)!).map { "\($0.host):\($0.port)" } }
        #expect(via("https://registry-1.docker.io/v2/") == "proxy:3128")
        #expect(via("http://plain.example/v2/") == "proxy2:8080")
        #expect(p.proxy(for: URL(string: "http://plain.example/")!)?.authorization == "Basic " + Data("u:p".utf8).base64EncodedString())
        #expect(via("https://a.sub.example/") == nil && via("https://sub.example/") == "proxy:3128")
        #expect(via("https://exact.example/") == nil && via("https://x.exact.example/") == nil)
        #expect(via("https://10.1.2.3/") == nil && via("https://11.1.2.3/") == "proxy:3128")
        #expect(via("https://other:5000/") == nil && via("https://other:5001/") == "proxy:3128")
        #expect(via("https://localhost:5000/") == nil && via("http://127.0.0.1:5000/") == nil)
        #expect(try HTTPClient.ProxySettings(environment: ["NO_PROXY": "*", "HTTPS_PROXY": "p:1"]).proxy(for: URL(string: "https://x/")!) == nil)
        #expect { try HTTPClient.ProxySettings(environment: ["HTTPS_PROXY": "socks5://p:1080"]) } throws: { "\($0)".contains("only http:// proxies") }
    }
}
