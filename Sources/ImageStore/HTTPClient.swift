import CCrypto
import Foundation
import Synchronization

/// A small HTTP/1.1 client over POSIX sockets, with TLS from OpenSSL (certificates checked
/// against the system's CAs, or `SSL_CERT_FILE`; host names verified). It does what the
/// distribution API needs and no more: GET with headers, Content-Length and chunked bodies
/// streamed to a sink as they arrive, redirects (credentials dropped when the host changes).
///
/// Written here rather than taken from URLSession: FoundationNetworking links libcurl and its
/// ~30 libraries, which cost every swcompose start ~10 ms, `config` included; async-http-client
/// (swift-nio) is a 4-minute build. Requests block a thread of their own, not Swift's
/// cooperative pool. Each request opens its own connection.
final class HTTPClient: @unchecked Sendable {
    struct Request: Sendable {
        var url: URL
        var headers: [(String, String)] = []
        init(url: URL) { self.url = url }
        mutating func setValue(_ value: String?, forHTTPHeaderField name: String) {
            headers.removeAll { $0.0.lowercased() == name.lowercased() }
            if let value { headers.append((name, value)) }
        }
    }

    struct Response: Sendable {
        var status: Int
        var headers: [(String, String)]
        var url: URL
        func header(_ name: String) -> String? {
            let lower = name.lowercased()
            return headers.first { $0.0.lowercased() == lower }?.1
        }
    }

    /// The connection failed or broke: worth another attempt.
    struct TransportError: Error, CustomStringConvertible {
        var url: String
        var reason: String
        var description: String { "\(url): \(reason)" }
    }

    /// How TLS to one host is checked: against the system's CAs plus `caFiles`, presenting
    /// a client certificate when given; `verify` false for insecure registries, as Docker.
    struct TLSPolicy: Hashable, Sendable {
        var verify = true
        var caFiles: [String] = []
        var clientCertificate: String?
        var clientKey: String?
    }

    /// An HTTP proxy to go through: requests to http URLs are sent to it whole, https ones
    /// through a CONNECT tunnel (TLS is still end to end with the registry).
    struct Proxy: Sendable, Equatable {
        var host: String
        var port: Int
        /// `Basic …` from the proxy URL's user and password.
        var authorization: String?
    }

    /// The proxy variables as Go's net/http (so Docker) reads them: `HTTPS_PROXY` for https
    /// URLs, `HTTP_PROXY` for http ones (upper case first, then lower case), and `NO_PROXY`:
    /// `*`, host names (which also match their subdomains; a leading dot matches only
    /// subdomains), `host:port`, IP addresses and CIDR ranges. Loopback is never proxied.
    struct ProxySettings: Sendable {
        var http: Proxy?
        var https: Proxy?
        var noProxy: [String] = []

        init(environment e: [String: String]) throws {
            func value(_ name: String) -> String? {
                for k in [name.uppercased(), name.lowercased()] { if let v = e[k], !v.isEmpty { return v } }
                return nil
            }
            http = try value("http_proxy").map { try Self.parse($0, "HTTP_PROXY") }
            https = try value("https_proxy").map { try Self.parse($0, "HTTPS_PROXY") }
            noProxy = (value("no_proxy") ?? "").split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces).lowercased() }.filter { !$0.isEmpty }
        }

        static func parse(_ text: String, _ name: String) throws -> Proxy {
            let full = text.contains("://") ? text : "http://" + text
            guard let c = URLComponents(string: full), let host = c.host, !host.isEmpty else {
                throw ImageStoreError("\(name)=\(text): not a proxy URL (http://[user:password@]host:port)")
            }
            guard c.scheme?.lowercased() == "http" else {
                throw ImageStoreError("\(name)=\(text): only http:// proxies are supported (https URLs are tunnelled through them)")
            }
            var auth: String?
            if let u = c.user {
                auth = "Basic " + Data("\(u.removingPercentEncoding ?? u):\((c.password ?? "").removingPercentEncoding ?? "")".utf8).base64EncodedString()
            }
            return Proxy(host: host, port: c.port ?? 80, authorization: auth)
        }

        func proxy(for url: URL) -> Proxy? {
            guard let scheme = url.scheme?.lowercased(), let host = url.host?.lowercased() else { return nil }
            guard let p = scheme == "https" ? https : http else { return nil }
            let port = url.port ?? (scheme == "https" ? 443 : 80)
            if HTTPClient.isLoopback(host) { return nil }
            for entry in noProxy {
                if entry == "*" { return nil }
                var name = entry, wantPort: Int?
                if let colon = entry.lastIndex(of: ":"), !entry.contains("/"), entry.filter({ $0 == ":" }).count == 1 {
                    name = String(entry[..<colon]); wantPort = Int(entry[entry.index(after: colon)...])
                }
                if let wantPort, wantPort != port { continue }
                if name.contains("/") {
                    if Self.inCIDR(host, name) { return nil }
                } else if name.hasPrefix(".") {
                    if host.hasSuffix(name) { return nil }
                } else if host == name || host.hasSuffix("." + name) {
                    return nil
                }
            }
            return p
        }

        static func inCIDR(_ host: String, _ cidr: String) -> Bool {
            let parts = cidr.split(separator: "/")
            guard parts.count == 2, let bits = Int(parts[1]) else { return false }
            var a = in_addr(), net = in_addr()
            if inet_pton(AF_INET, host, &a) == 1, inet_pton(AF_INET, String(parts[0]), &net) == 1, (0...32).contains(bits) {
                let mask: UInt32 = bits == 0 ? 0 : ~UInt32(0) << (32 - bits)
                return UInt32(bigEndian: a.s_addr) & mask == UInt32(bigEndian: net.s_addr) & mask
            }
            var a6 = in6_addr(), n6 = in6_addr()
            guard inet_pton(AF_INET6, host, &a6) == 1, inet_pton(AF_INET6, String(parts[0]), &n6) == 1, (0...128).contains(bits) else { return false }
            let x = withUnsafeBytes(of: a6) { Array($0) }, y = withUnsafeBytes(of: n6) { Array($0) }
            for i in 0..<16 {
                let keep = max(0, min(8, bits - i * 8))
                let m: UInt8 = keep == 0 ? 0 : ~UInt8(0) << (8 - keep)
                if x[i] & m != y[i] & m { return false }
            }
            return true
        }
    }

    /// `localhost`, 127.0.0.0/8 or ::1 (a host name without its port): never proxied, and
    /// insecure by default, as in Docker.
    static func isLoopback(_ host: String) -> Bool {
        host == "localhost" || host.hasPrefix("127.") || host == "::1"
    }

    static let userAgent = "swcompose/0.1"
    var timeoutSeconds = 60
    /// The TLS policy for `host` or `host:port` (redirect targets included).
    let tlsPolicy: @Sendable (String) -> TLSPolicy
    let proxies: ProxySettings?

    init(proxies: ProxySettings? = nil, tlsPolicy: @escaping @Sendable (String) -> TLSPolicy = { _ in TLSPolicy() }) {
        self.proxies = proxies
        self.tlsPolicy = tlsPolicy
    }

    /// Sends `request` on a thread of its own; a 2xx body goes to `sink` as it arrives, any
    /// other body (up to 64 KiB) is returned for the error message.
    func send(_ request: Request, sink: @escaping @Sendable (Response, UnsafeRawBufferPointer) throws -> Void) async throws -> (Response, Data) {
        try await withCheckedThrowingContinuation { (cont: CheckedContinuation<(Response, Data), any Error>) in
            let t = Thread { [self] in
                cont.resume(with: Result { try self.perform(request, redirects: 10, sink: sink) })
            }
            t.stackSize = 1 << 20
            t.start()
        }
    }

    /// Sends `request` and collects a 2xx body of at most `limit` bytes.
    func fetch(_ request: Request, limit: Int = 16 << 20) async throws -> (Response, Data) {
        let box = DataBox()
        let (r, other) = try await send(request) { _, bytes in
            guard box.data.count + bytes.count <= limit else {
                throw ImageStoreError("\(request.url.absoluteString): body larger than \(limit) bytes")
            }
            box.data.append(contentsOf: bytes)
        }
        return (r, (200..<300).contains(r.status) ? box.data : other)
    }

    private final class DataBox: @unchecked Sendable { var data = Data() }

    // MARK: - One exchange

    private func perform(_ request: Request, redirects: Int,
                         sink: (Response, UnsafeRawBufferPointer) throws -> Void) throws -> (Response, Data) {
        let url = request.url
        guard let scheme = url.scheme?.lowercased(), scheme == "http" || scheme == "https", let host = url.host, !host.isEmpty else {
            throw ImageStoreError("unsupported URL \(url.absoluteString)")
        }
        let port = url.port ?? (scheme == "https" ? 443 : 80)
        let proxy = proxies?.proxy(for: url)
        let conn = try Connection(host: host, port: port, tls: scheme == "https" ? tlsPolicy(url.port.map { "\(host):\($0)" } ?? host) : nil,
                                  timeout: timeoutSeconds, url: url.absoluteString, proxy: proxy)
        defer { conn.close() }

        // The path as written (URL.path drops a trailing slash, and `/v2/` must keep it).
        let comps = URLComponents(url: url, resolvingAgainstBaseURL: false)
        var target = comps?.percentEncodedPath ?? url.path
        if target.isEmpty { target = "/" }
        if let q = comps?.percentEncodedQuery { target += "?" + q }
        let hostHeader = (host.contains(":") ? "[\(host)]" : host) + (url.port.map { ":\($0)" } ?? "")
        var proxyHeader = ""
        if let proxy, scheme == "http" {
            // A plain request through a proxy names the whole URL.
            target = "http://\(hostHeader)\(target)"
            if let auth = proxy.authorization { proxyHeader = "Proxy-Authorization: \(auth)\r\n" }
        }
        var head = "GET \(target) HTTP/1.1\r\nHost: \(hostHeader)\r\nUser-Agent: \(Self.userAgent)\r\nConnection: close\r\nAccept-Encoding: identity\r\n" + proxyHeader
        for (k, v) in request.headers { head += "\(k): \(v)\r\n" }
        head += "\r\n"
        try conn.write(Array(head.utf8))

        let (status, headers) = try conn.readHead()
        let response = Response(status: status, headers: headers, url: url)

        if [301, 302, 303, 307, 308].contains(status), let location = response.header("Location") {
            guard redirects > 0 else { throw ImageStoreError("\(url.absoluteString): too many redirects") }
            guard let next = URL(string: location, relativeTo: url)?.absoluteURL else {
                throw ImageStoreError("\(url.absoluteString): redirect to an invalid URL \(location)")
            }
            var req = request
            req.url = next
            if next.host != url.host || next.port != url.port || next.scheme != url.scheme {
                req.setValue(nil, forHTTPHeaderField: "Authorization")
            }
            conn.close()
            return try perform(req, redirects: redirects - 1, sink: sink)
        }

        var errorBody = Data()
        let ok = (200..<300).contains(status)
        try conn.readBody(headers: response, noBody: status == 204 || status == 304) { chunk in
            if ok { try sink(response, chunk) } else if errorBody.count < 65536 { errorBody.append(contentsOf: chunk.prefix(65536 - errorBody.count)) }
        }
        return (response, errorBody)
    }
}

/// One TCP (optionally TLS) connection with a read buffer.
private final class Connection {
    let fd: Int32
    var ssl: OpaquePointer?
    let url: String
    var buffer = [UInt8](repeating: 0, count: 1 << 17)
    var start = 0, end = 0
    var closed = false

    /// One OpenSSL context per TLS policy, made once and kept for the process (contexts are
    /// thread-safe once set up).
    private static let contexts = Mutex<[HTTPClient.TLSPolicy: OpaquePointer]>([:])

    static func context(for policy: HTTPClient.TLSPolicy) throws -> OpaquePointer {
        try contexts.withLock { cache in
            if let c = cache[policy] { return c }
            var err = [CChar](repeating: 0, count: 512)
            guard sw_ssl_load(&err, err.count) == 0 else { throw ImageStoreError(String(cString: err)) }
            guard let ctx = sw_SSL_CTX_new(sw_TLS_client_method()) else { throw ImageStoreError("TLS: cannot create a context") }
            sw_SSL_CTX_set_default_verify_paths(ctx)
            for ca in policy.caFiles where sw_SSL_CTX_load_verify_locations(ctx, ca, nil) != 1 {
                sw_SSL_CTX_free(ctx)
                throw ImageStoreError("TLS: cannot read the CA certificate \(ca): \(sslError())")
            }
            if let cert = policy.clientCertificate, let key = policy.clientKey {
                guard sw_SSL_CTX_use_certificate_chain_file(ctx, cert) == 1,
                      sw_SSL_CTX_use_PrivateKey_file(ctx, key, SSL_FILETYPE_PEM) == 1,
                      sw_SSL_CTX_check_private_key(ctx) == 1 else {
                    let why = sslError()
                    sw_SSL_CTX_free(ctx)
                    throw ImageStoreError("TLS: cannot use the client certificate \(cert) with key \(key): \(why)")
                }
            }
            sw_SSL_CTX_set_verify(ctx, policy.verify ? SSL_VERIFY_PEER : SSL_VERIFY_NONE, nil)
            cache[policy] = ctx
            return ctx
        }
    }

    /// Connects to `host:port` (through `proxy` when given: a CONNECT tunnel for TLS, a plain
    /// connection to the proxy otherwise) and, with `tls`, does the handshake with `host`.
    init(host: String, port: Int, tls: HTTPClient.TLSPolicy?, timeout: Int, url: String, proxy: HTTPClient.Proxy? = nil) throws {
        self.url = url
        self.fd = try Self.connectTCP(host: proxy?.host ?? host, port: proxy?.port ?? port, timeout: timeout, url: url)
        if let proxy, tls != nil {
            var head = "CONNECT \(Self.authority(host, port)) HTTP/1.1\r\nHost: \(Self.authority(host, port))\r\nUser-Agent: \(HTTPClient.userAgent)\r\n"
            if let auth = proxy.authorization { head += "Proxy-Authorization: \(auth)\r\n" }
            head += "\r\n"
            do {
                try write(Array(head.utf8))
                let (status, _) = try readHead()
                guard status == 200 else {
                    // Not a transport failure: no retry, and no fallback to plain HTTP.
                    throw ImageStoreError("\(url): the proxy \(proxy.host):\(proxy.port) refused to connect to \(host):\(port) (HTTP \(status)\(status == 407 ? ", proxy authentication required" : ""))")
                }
                guard start == end else { throw HTTPClient.TransportError(url: url, reason: "the proxy sent data before the TLS handshake") }
            } catch {
                close()
                throw error
            }
        }
        if let tls {
            let ctx: OpaquePointer
            do { ctx = try Self.context(for: tls) } catch { close(); throw error }
            guard let s = sw_SSL_new(ctx) else { close(); throw ImageStoreError("TLS: cannot create a session") }
            ssl = s
            sw_SSL_set_fd(s, fd)
            // No SNI for an IP address (RFC 6066); OpenSSL 3 matches IP names against IP SANs.
            if !Self.isIPAddress(host) { _ = sw_SSL_set_sni(s, host) }
            sw_SSL_set1_host(s, host)
            if sw_SSL_connect(s) != 1 {
                let verify = sw_SSL_get_verify_result(s)
                let why = verify != 0 ? "certificate verification failed (X509 error \(verify))" : Self.sslError()
                close()
                throw HTTPClient.TransportError(url: url, reason: "TLS handshake with \(host):\(port) failed: \(why)")
            }
        }
    }

    static func authority(_ host: String, _ port: Int) -> String {
        (host.contains(":") ? "[\(host)]" : host) + ":\(port)"
    }

    private static func connectTCP(host: String, port: Int, timeout: Int, url: String) throws -> Int32 {
        var hints = addrinfo()
        hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
        hints.ai_family = AF_UNSPEC
        var res: UnsafeMutablePointer<addrinfo>?
        let rc = getaddrinfo(host, String(port), &hints, &res)
        guard rc == 0, let first = res else {
            throw HTTPClient.TransportError(url: url, reason: "cannot resolve \(host): \(String(cString: gai_strerror(rc)))")
        }
        defer { freeaddrinfo(res) }
        var fd: Int32 = -1
        var lastErr: Int32 = 0
        var ai: UnsafeMutablePointer<addrinfo>? = first
        var tv = timeval(tv_sec: timeout, tv_usec: 0)
        while let a = ai {
            let s = socket(a.pointee.ai_family, a.pointee.ai_socktype | Int32(SOCK_CLOEXEC.rawValue), a.pointee.ai_protocol)
            if s >= 0 {
                setsockopt(s, SOL_SOCKET, SO_RCVTIMEO, &tv, socklen_t(MemoryLayout<timeval>.size))
                setsockopt(s, SOL_SOCKET, SO_SNDTIMEO, &tv, socklen_t(MemoryLayout<timeval>.size))
                var one: Int32 = 1
                setsockopt(s, Int32(IPPROTO_TCP), TCP_NODELAY, &one, socklen_t(MemoryLayout<Int32>.size))
                if connect(s, a.pointee.ai_addr, a.pointee.ai_addrlen) == 0 { fd = s; break }
                lastErr = errno
                Glibc.close(s)
            } else {
                lastErr = errno
            }
            ai = a.pointee.ai_next
        }
        guard fd >= 0 else {
            throw HTTPClient.TransportError(url: url, reason: "cannot connect to \(host):\(port): \(String(cString: strerror(lastErr)))")
        }
        return fd
    }

    static func isIPAddress(_ host: String) -> Bool {
        var v4 = in_addr(), v6 = in6_addr()
        return inet_pton(AF_INET, host, &v4) == 1 || inet_pton(AF_INET6, host, &v6) == 1
    }

    static func sslError() -> String {
        let e = sw_ERR_get_error()
        guard e != 0 else { return "connection closed" }
        var buf = [CChar](repeating: 0, count: 256)
        sw_ERR_error_string_n(e, &buf, buf.count)
        return String(cString: buf)
    }

    func close() {
        guard !closed else { return }
        closed = true
        if let ssl { sw_SSL_shutdown(ssl); sw_SSL_free(ssl) }
        Glibc.close(fd)
    }

    func write(_ bytes: [UInt8]) throws {
        var done = 0
        while done < bytes.count {
            let n: Int = bytes.withUnsafeBytes { raw in
                let p = raw.baseAddress! + done
                if let ssl { return Int(sw_SSL_write(ssl, p, Int32(raw.count - done))) }
                return Glibc.send(fd, p, raw.count - done, Int32(MSG_NOSIGNAL))
            }
            if n <= 0 {
                if n < 0 && errno == EINTR && ssl == nil { continue }
                throw HTTPClient.TransportError(url: url, reason: "sending the request failed: \(String(cString: strerror(errno)))")
            }
            done += n
        }
    }

    /// Fills the buffer with at least one more byte; false at end of stream.
    func fill() throws -> Bool {
        if start == end { start = 0; end = 0 } else if end == buffer.count {
            if start > 0 {
                buffer.withUnsafeMutableBytes { raw in _ = memmove(raw.baseAddress!, raw.baseAddress! + start, end - start) }
                end -= start; start = 0
            } else {
                buffer.append(contentsOf: [UInt8](repeating: 0, count: buffer.count))
            }
        }
        while true {
            let n: Int = buffer.withUnsafeMutableBytes { raw in
                let p = raw.baseAddress! + end
                if let ssl { return Int(sw_SSL_read(ssl, p, Int32(raw.count - end))) }
                return Glibc.recv(fd, p, raw.count - end, 0)
            }
            if n > 0 { end += n; return true }
            if n == 0 { return false }
            if ssl != nil {
                let code = sw_SSL_get_error(ssl, Int32(n))
                if code == SSL_ERROR_ZERO_RETURN { return false }
                if code == SSL_ERROR_SYSCALL && errno == 0 { return false }
                throw HTTPClient.TransportError(url: url, reason: "TLS read failed: \(Self.sslError())")
            }
            if errno == EINTR { continue }
            let reason = errno == EAGAIN || errno == EWOULDBLOCK ? "timed out" : String(cString: strerror(errno))
            throw HTTPClient.TransportError(url: url, reason: "reading the response failed: \(reason)")
        }
    }

    /// One line without its CRLF.
    func readLine() throws -> String {
        while true {
            if let nl = buffer[start..<end].firstIndex(of: 0x0A) {
                var lineEnd = nl
                if lineEnd > start, buffer[lineEnd - 1] == 0x0D { lineEnd -= 1 }
                let line = String(decoding: buffer[start..<lineEnd], as: UTF8.self)
                start = nl + 1
                return line
            }
            guard end - start < 65536 else { throw HTTPClient.TransportError(url: url, reason: "header line too long") }
            guard try fill() else { throw HTTPClient.TransportError(url: url, reason: "connection closed before the response was complete") }
        }
    }

    func readHead() throws -> (Int, [(String, String)]) {
        while true {
            let statusLine = try readLine()
            let parts = statusLine.split(separator: " ", maxSplits: 2)
            guard parts.count >= 2, parts[0].hasPrefix("HTTP/"), let status = Int(parts[1]) else {
                throw HTTPClient.TransportError(url: url, reason: "not an HTTP response: \(statusLine.prefix(80))")
            }
            var headers: [(String, String)] = []
            while true {
                let line = try readLine()
                if line.isEmpty { break }
                guard let colon = line.firstIndex(of: ":") else { continue }
                headers.append((String(line[..<colon]).trimmingCharacters(in: .whitespaces),
                                String(line[line.index(after: colon)...]).trimmingCharacters(in: .whitespaces)))
            }
            if status == 100 { continue }  // 100 Continue: the real answer follows
            return (status, headers)
        }
    }

    /// Streams the body: Content-Length, chunked, or up to the end of the connection.
    func readBody(headers r: HTTPClient.Response, noBody: Bool, _ chunk: (UnsafeRawBufferPointer) throws -> Void) throws {
        if noBody { return }
        func deliver(_ n: Int) throws {
            try buffer.withUnsafeBytes { raw in try chunk(UnsafeRawBufferPointer(rebasing: raw[start..<(start + n)])) }
            start += n
        }
        if r.header("Transfer-Encoding")?.lowercased().contains("chunked") == true {
            while true {
                let sizeLine = try readLine()
                guard let size = Int(sizeLine.split(separator: ";").first.map { $0.trimmingCharacters(in: .whitespaces) } ?? "", radix: 16) else {
                    throw HTTPClient.TransportError(url: url, reason: "invalid chunk size \"\(sizeLine.prefix(20))\"")
                }
                if size == 0 {
                    while try !readLine().isEmpty {}  // trailers
                    return
                }
                var left = size
                while left > 0 {
                    if start == end { guard try fill() else { throw HTTPClient.TransportError(url: url, reason: "connection closed inside a chunk") } }
                    let n = min(left, end - start)
                    try deliver(n)
                    left -= n
                }
                _ = try readLine()
            }
        }
        if let lengthText = r.header("Content-Length") {
            guard let length = Int64(lengthText), length >= 0 else {
                throw HTTPClient.TransportError(url: url, reason: "invalid Content-Length \(lengthText)")
            }
            var got: Int64 = 0
            while got < length {
                if start == end {
                    guard try fill() else {
                        throw HTTPClient.TransportError(url: url, reason: "connection closed after \(got) of \(length) bytes")
                    }
                }
                let n = Int(min(Int64(end - start), length - got))
                try deliver(n)
                got += Int64(n)
            }
            return
        }
        while true {
            if start == end { guard try fill() else { return } }
            try deliver(end - start)
        }
    }
}
