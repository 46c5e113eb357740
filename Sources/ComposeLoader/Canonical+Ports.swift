import ComposeModel
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// `ports`: the short syntax `[[ip:]host:]container[/proto]` with ranges, as Docker's
/// `nat.ParsePortSpec` reads it, to `{mode, host_ip, target, published, protocol}` entries.
extension Canonical {
    static func ports(_ node: ComposeNode, path: KeyPath) throws -> ComposeNode {
        guard let list = node.array else {
            throw ComposeError("invalid type \(node.value.kindName) for ports, expected a list", path: path.description, mark: node.mark)
        }
        var out: [ComposeNode] = []
        out.reserveCapacity(list.count)
        for (i, item) in list.enumerated() {
            let p = path + i
            switch item.value {
            case .int(let target):
                out.append(portEntry(hostIP: "", target: target, published: "", proto: "tcp", mark: item.mark))
            case .string(let spec):
                let parsed: [ShortPort]
                do {
                    parsed = try parsePortSpec(spec)
                } catch let e as SpecError {
                    throw ComposeError("invalid port \"\(spec)\": \(e.message) (expected [[ip:]host:]container[/protocol])", path: p.description, mark: item.mark)
                }
                for port in parsed {
                    if port.target == 0 {
                        throw ComposeError("port \"\(spec)\" is missing a target port", path: p.description, mark: item.mark)
                    }
                    out.append(portEntry(hostIP: port.hostIP, target: port.target, published: port.published, proto: port.proto, mark: item.mark))
                }
            case .object(var o):
                if let t = o["target"], let s = t.string, let n = Int(s) { o["target"] = ComposeNode(.int(n), mark: t.mark) }
                if let pub = o["published"], pub.string == nil, let s = pub.scalarText {
                    o["published"] = ComposeNode(.string(s), mark: pub.mark)
                }
                if o["protocol"] == nil { o["protocol"] = ComposeNode(.string("tcp"), mark: item.mark) }
                if o["mode"] == nil { o["mode"] = ComposeNode(.string("ingress"), mark: item.mark) }
                out.append(ComposeNode(.object(o), mark: item.mark, tag: item.tag))
            default:
                throw ComposeError("invalid type \(item.value.kindName) for port, expected a number, a string or a mapping", path: p.description, mark: item.mark)
            }
        }
        return ComposeNode(.array(out), mark: node.mark, tag: node.tag)
    }

    static func portEntry(hostIP: String, target: Int, published: String, proto: String, mark: SourceMark?) -> ComposeNode {
        var o = ComposeObject()
        o["mode"] = .string("ingress", mark: mark)
        if !hostIP.isEmpty { o["host_ip"] = .string(hostIP, mark: mark) }
        if target != 0 { o["target"] = .int(target, mark: mark) }
        if !published.isEmpty { o["published"] = .string(published, mark: mark) }
        o["protocol"] = .string(proto, mark: mark)
        return .object(o, mark: mark)
    }

    struct ShortPort: Equatable {
        var hostIP: String
        var published: String
        var target: Int
        var proto: String
    }

    struct SpecError: Error { var message: String }

    /// One short port spec to its entries, one per container port, in the order Docker Compose
    /// lists them (by the text `port/proto`, so `8-10` gives 10, 8, 9).
    static func parsePortSpec(_ raw: String) throws -> [ShortPort] {
        let parts = raw.split(separator: ":", omittingEmptySubsequences: false).map(String.init)
        let n = parts.count
        var ip = "", hostPort = ""
        let containerPart = parts[n - 1]
        switch n {
        case 1: break
        case 2: hostPort = parts[0]
        case 3: ip = parts[0]; hostPort = parts[1]
        default: ip = parts[0..<(n - 2)].joined(separator: ":"); hostPort = parts[n - 2]
        }
        // The protocol: after the first "/", tcp when absent.
        var containerPort = containerPart
        var proto = "tcp"
        if containerPart.isEmpty || containerPart.hasPrefix("/") {
            containerPort = ""; proto = ""
        } else if let slash = containerPart.firstIndex(of: "/") {
            containerPort = String(containerPart[..<slash])
            let rest = String(containerPart[containerPart.index(after: slash)...])
            if !rest.isEmpty { proto = rest }
        }
        proto = proto.lowercased()
        guard ["tcp", "udp", "sctp"].contains(proto) else {
            throw SpecError(message: "invalid proto: \(proto)")
        }
        if ip.hasPrefix("[") {
            ip = try unbracketed(ip)
        }
        if !ip.isEmpty && !isIPAddress(ip) {
            throw SpecError(message: "invalid IP address: \(ip)")
        }
        guard !containerPort.isEmpty else { throw SpecError(message: "no port specified: \(raw)<empty>") }
        guard let (start, end) = portRange(containerPort) else {
            throw SpecError(message: "invalid containerPort: \(containerPort)")
        }
        var hostStart = 0, hostEnd = 0
        if !hostPort.isEmpty {
            guard let r = portRange(hostPort) else {
                throw SpecError(message: "invalid hostPort: \(hostPort)")
            }
            (hostStart, hostEnd) = r
            if end - start != hostEnd - hostStart && end != start {
                throw SpecError(message: "invalid ranges specified for container and host Ports: \(containerPort) and \(hostPort)")
            }
        }
        var result: [(key: String, port: ShortPort)] = []
        for i in 0...(end - start) {
            var published = hostPort.isEmpty ? "" : String(hostStart + i)
            if start == end && hostStart != hostEnd { published = "\(hostStart)-\(hostEnd)" }
            let target = start + i
            result.append(("\(target)/\(proto)", ShortPort(hostIP: ip, published: published, target: target, proto: proto)))
        }
        return result.sorted { $0.key.utf8.lexicographicallyPrecedes($1.key.utf8) }.map(\.port)
    }

    /// `80` or `8000-8010`, each 0…65535 written in decimal digits.
    static func portRange(_ s: String) -> (Int, Int)? {
        func number(_ t: Substring) -> Int? {
            guard !t.isEmpty, t.utf8.allSatisfy({ $0 >= 48 && $0 <= 57 }), let v = Int(t), v <= 65535 else { return nil }
            return v
        }
        if s.utf8.contains(UInt8(ascii: "-")) {
            // Docker splits at every dash and reads the first two pieces: `1-2-3` is 1…2.
            let pieces = s.split(separator: "-", omittingEmptySubsequences: false)
            guard let a = number(pieces[0]), let b = number(pieces[1]), b >= a else { return nil }
            return (a, b)
        }
        guard let v = number(s[...]) else { return nil }
        return (v, v)
    }

    /// `[addr]` → `addr`, with the errors Go's `net.SplitHostPort(ip + ":")` gives for the
    /// malformed ones, as Docker reports them.
    static func unbracketed(_ ip: String) throws -> String {
        let hostport = Array((ip + ":").utf8)
        func fail(_ why: String) -> SpecError { SpecError(message: "invalid IP address \(ip): address \(ip):: \(why)") }
        guard let close = hostport.firstIndex(of: UInt8(ascii: "]")) else { throw fail("missing ']' in address") }
        if close + 1 < hostport.count, hostport[close + 1] == UInt8(ascii: ":") {
            if close + 2 != hostport.count { throw fail("too many colons in address") }
        } else {
            throw fail("missing port in address")
        }
        if hostport[1...].contains(UInt8(ascii: "[")) { throw fail("unexpected '[' in address") }
        if hostport[(close + 1)...].contains(UInt8(ascii: "]")) { throw fail("unexpected ']' in address") }
        return String(decoding: hostport[1..<close], as: UTF8.self)
    }

    /// An IPv4 or IPv6 address as Go's `net.ParseIP` accepts it (no zone).
    static func isIPAddress(_ s: String) -> Bool {
        if s.utf8.contains(UInt8(ascii: "%")) { return false }
        var buf = [UInt8](repeating: 0, count: 16)
        return s.withCString { c in
            inet_pton(AF_INET, c, &buf) == 1 || inet_pton(AF_INET6, c, &buf) == 1
        }
    }
}
