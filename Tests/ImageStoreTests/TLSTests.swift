import Foundation
import Testing
@testable import ImageStore
import OCI

/// HTTPS registries with a private CA, as Docker users run them: the registry (Debian's
/// docker-registry, serving the fixture's images) gets a certificate for 127.0.0.1 signed by
/// a CA made here with the openssl CLI; the CA goes where Docker looks for it
/// (`certs.d/HOST:PORT/ca.crt`), and a client certificate beside it for mutual TLS.
@Suite("TLS registries with a private CA", .serialized)
struct TLSTests {
    let fx: RegistryFixture
    init() throws { fx = try RegistryFixture.get() }

    final class TLSRegistry {
        let dir: String, port: Int, pid: pid_t
        var host: String { "127.0.0.1:\(port)" }

        init(fx: RegistryFixture, mutual: Bool) throws {
            let dir = NSTemporaryDirectory() + "swcompose-tls-" + UUID().uuidString
            self.dir = dir
            try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
            func ssl(_ args: [String]) throws { try RegistryFixture.run("/usr/bin/openssl", args, log: dir + "/openssl.log") }
            try ssl(["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", dir + "/ca.key", "-out", dir + "/ca.crt", "-days", "2", "-subj", "/CN=swcompose test CA"])
            try "subjectAltName=IP:127.0.0.1\n".write(toFile: dir + "/server.ext", atomically: true, encoding: .utf8)
            try ssl(["req", "-newkey", "rsa:2048", "-nodes", "-keyout", dir + "/server.key", "-out", dir + "/server.csr", "-subj", "/CN=127.0.0.1"])
            try ssl(["x509", "-req", "-in", dir + "/server.csr", "-CA", dir + "/ca.crt", "-CAkey", dir + "/ca.key", "-CAcreateserial",
                     "-out", dir + "/server.crt", "-days", "2", "-extfile", dir + "/server.ext"])
            try ssl(["req", "-newkey", "rsa:2048", "-nodes", "-keyout", dir + "/client.key", "-out", dir + "/client.csr", "-subj", "/CN=swcompose client"])
            try ssl(["x509", "-req", "-in", dir + "/client.csr", "-CA", dir + "/ca.crt", "-CAkey", dir + "/ca.key", "-CAcreateserial",
                     "-out", dir + "/client.cert", "-days", "2"])
            let s = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
            var addr = sockaddr_in(sin_family: sa_family_t(AF_INET), sin_port: 0, sin_addr: in_addr(s_addr: inet_addr("127.0.0.1")), sin_zero: (0, 0, 0, 0, 0, 0, 0, 0))
            var len = socklen_t(MemoryLayout<sockaddr_in>.size)
            withUnsafeMutablePointer(to: &addr) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { _ = bind(s, $0, len); _ = getsockname(s, $0, &len) } }
            let port = Int(UInt16(bigEndian: addr.sin_port))
            self.port = port
            close(s)
            // The same storage as the fixture's plain registry: its images, read only.
            let config = """
            version: 0.1
            log: {level: warn}
            storage:
              filesystem: {rootdirectory: \(fx.dir)/reg/data}
              maintenance: {uploadpurging: {enabled: false}, readonly: {enabled: true}}
            http:
              addr: 127.0.0.1:\(port)
              secret: swtest-tls
              tls:
                certificate: \(dir)/server.crt
                key: \(dir)/server.key
            \(mutual ? "    clientcas: [\(dir)/ca.crt]" : "")
            """
            try config.write(toFile: dir + "/config.yml", atomically: true, encoding: .utf8)
            pid = try RegistryFixture.spawn("/usr/bin/docker-registry", ["serve", dir + "/config.yml"], log: dir + "/registry.log")
            for _ in 0..<100 {
                let c = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
                var a = addr
                a.sin_port = in_port_t(UInt16(port).bigEndian)
                let ok = withUnsafePointer(to: &a) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(c, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) == 0 } }
                close(c)
                if ok { return }
                usleep(50_000)
            }
            throw RegistryFixture.FixtureError(message: "the TLS registry did not start: \((try? String(contentsOfFile: dir + "/registry.log", encoding: .utf8)) ?? "")")
        }

        deinit {
            kill(pid, SIGTERM)
            var status: Int32 = 0
            waitpid(pid, &status, 0)
            try? FileManager.default.removeItem(atPath: dir)
        }

        /// A certs.d tree with the CA (and the client pair) for this registry.
        func certsDirectory(client: Bool) throws -> String {
            let d = dir + "/certs.d-\(client)"
            try FileManager.default.createDirectory(atPath: d + "/" + host, withIntermediateDirectories: true)
            try FileManager.default.copyItem(atPath: dir + "/ca.crt", toPath: d + "/\(host)/ca.crt")
            if client {
                try FileManager.default.copyItem(atPath: dir + "/client.cert", toPath: d + "/\(host)/client.cert")
                try FileManager.default.copyItem(atPath: dir + "/client.key", toPath: d + "/\(host)/client.key")
            }
            return d
        }
    }

    func client(_ s: StoreScratch, certs: [String], loopbackInsecure: Bool) -> RegistryClient {
        var o = RegistryClient.Options(configFile: s.configFile)
        o.certsDirectories = certs
        o.loopbackIsInsecure = loopbackInsecure
        o.attempts = 1
        return RegistryClient(options: o)
    }

    @Test func thePrivateCAIsTrustedFromCertsD() async throws {
        let reg = try TLSRegistry(fx: fx, mutual: false)
        let ref = try Reference(parsing: "\(reg.host)/swtest/busybox:oci")
        // Verified against the system's CAs only: refused, with a hint.
        let s = try StoreScratch()
        await #expect {
            _ = try await s.store.pull(ref, client: client(s, certs: [], loopbackInsecure: false))
        } throws: { "\($0)".contains("certificate verification failed") && "\($0)".contains("/\(reg.host)/ca.crt") }
        #expect(try s.store.list().isEmpty)
        // With the CA in certs.d the handshake verifies (host name = IP SAN) and the pull works.
        let img = try await s.store.pull(ref, client: client(s, certs: [try reg.certsDirectory(client: false)], loopbackInsecure: false))
        #expect(img.manifestDigest.description == fx.digest("swtest/busybox:oci"))
        // A loopback registry is insecure by default, as in Docker: TLS without verification.
        let t = try StoreScratch()
        let again = try await t.store.pull(ref, client: client(t, certs: [], loopbackInsecure: true))
        #expect(again.manifestDigest == img.manifestDigest)
    }

    @Test func mutualTLSUsesTheClientCertificateFromCertsD() async throws {
        let reg = try TLSRegistry(fx: fx, mutual: true)
        let ref = try Reference(parsing: "\(reg.host)/swtest/busybox:schema2")
        let s = try StoreScratch()
        await #expect {
            _ = try await s.store.pull(ref, client: client(s, certs: [try reg.certsDirectory(client: false)], loopbackInsecure: false))
        } throws: { "\($0)".contains("\(reg.host)") }
        let img = try await s.store.pull(ref, client: client(s, certs: [try reg.certsDirectory(client: true)], loopbackInsecure: false))
        #expect(img.manifestDigest.description == fx.digest("swtest/busybox:schema2"))
    }
}
