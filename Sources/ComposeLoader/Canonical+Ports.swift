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
                    throw ComposeError("invalid port \"\(spec)\": \(e.message)", path: p.description, mark: item.mark)
                }
                for port in parsed {
                    if port.target == 0 {
                        throw ComposeError("port \"\(spec)\" is missing a target (container) port", path: p.description, mark: item.mark)
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
            throw SpecError(message: "invalid protocol \"\(proto)\", expected tcp, udp or sctp")
        }
        if ip.hasPrefix("[") {
            guard let close = ip.firstIndex(of: "]") else {
                throw SpecError(message: "invalid IP address \"\(ip)\": missing ']'")
            }
            guard ip.index(after: close) == ip.endIndex else {
                throw SpecError(message: "invalid IP address \"\(ip)\"")
            }
            ip = String(ip[ip.index(after: ip.startIndex)..<close])
        }
        if !ip.isEmpty && !isIPAddress(ip) {
            throw SpecError(message: "invalid IP address \"\(ip)\"")
        }
        guard !containerPort.isEmpty else { throw SpecError(message: "no container port specified") }
        guard let (start, end) = portRange(containerPort) else {
            throw SpecError(message: "invalid container port \"\(containerPort)\", expected a port (0-65535) or a range start-end")
        }
        var hostStart = 0, hostEnd = 0
        if !hostPort.isEmpty {
            guard let r = portRange(hostPort) else {
                throw SpecError(message: "invalid host port \"\(hostPort)\", expected a port (0-65535) or a range start-end")
            }
            (hostStart, hostEnd) = r
            if end - start != hostEnd - hostStart && end != start {
                throw SpecError(message: "invalid ranges specified for container and host ports: \(containerPort) and \(hostPort) are not the same length")
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
        if let dash = s.firstIndex(of: "-") {
            guard let a = number(s[..<dash]), let b = number(s[s.index(after: dash)...]), b >= a else { return nil }
            return (a, b)
        }
        guard let v = number(s[...]) else { return nil }
        return (v, v)
    }

    /// An IPv4 or IPv6 address as Go's `net.ParseIP` accepts it (no zone).
    static func isIPAddress(_ s: String) -> Bool {
        if s.contains("%") { return false }
        var buf = [UInt8](repeating: 0, count: 16)
        return s.withCString { c in
            inet_pton(AF_INET, c, &buf) == 1 || inet_pton(AF_INET6, c, &buf) == 1
        }
    }
}
