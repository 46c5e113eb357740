import ComposeModel

/// Service `volumes`: the short syntax `[source:]target[:options]` as compose-go's
/// `format.ParseVolume` reads it, to `{type, source, target, read_only, bind, volume}`.
extension Canonical {
    static func serviceVolumes(_ node: ComposeNode, path: KeyPath) throws -> ComposeNode {
        guard let list = node.array else { return node }
        var out: [ComposeNode] = []
        out.reserveCapacity(list.count)
        for (i, item) in list.enumerated() {
            let p = path + i
            switch item.value {
            case .string(let spec):
                do {
                    out.append(try ShortVolume.parse(spec).node(mark: item.mark))
                } catch let e as SpecError {
                    // Docker Compose's words: `invalid spec: SPEC: too many colons`, `invalid empty volume spec`.
                    let text = spec.isEmpty ? e.message : "invalid spec: \(spec): \(e.message)"
                    throw ComposeError(text + " (expected [source:]target[:options])", path: p.description, mark: item.mark)
                }
            case .object(var o):
                if let t = o["target"], let s = t.string, !s.isEmpty {
                    o["target"] = ComposeNode(.string(cleanPath(s)), mark: t.mark, tag: t.tag)
                }
                if let ro = o["read_only"], let s = ro.string, let b = ["true": true, "false": false][s.lowercased()] {
                    o["read_only"] = ComposeNode(.bool(b), mark: ro.mark)
                }
                if let vol = o["volume"], var v = vol.object, let labels = v["labels"], !labels.isNull {
                    v["labels"] = try mapping(labels, path: p + "volume" + "labels", missing: .string(""))
                    o["volume"] = ComposeNode(.object(v), mark: vol.mark, tag: vol.tag)
                }
                out.append(ComposeNode(.object(o), mark: item.mark, tag: item.tag))
            default:
                throw ComposeError("invalid type \(item.value.kindName) for a service volume, expected a string or a mapping", path: p.description, mark: item.mark)
            }
        }
        return ComposeNode(.array(out), mark: node.mark, tag: node.tag)
    }

    struct ShortVolume: Equatable {
        var type = "volume"
        var source = ""
        var target = ""
        var readOnly = false
        /// nil: no `bind` key; otherwise its propagation, selinux and create_host_path.
        var bind: Bind?
        var volume: Volume?

        struct Bind: Equatable { var propagation = ""; var selinux = ""; var createHostPath = false }
        struct Volume: Equatable { var nocopy = false }

        static let propagations: Set<String> = ["rprivate", "private", "rshared", "shared", "rslave", "slave"]

        static func parse(_ spec: String) throws -> ShortVolume {
            var v = ShortVolume()
            switch spec.utf8.count {
            case 0: throw SpecError(message: "invalid empty volume spec")
            case 1, 2:
                v.target = spec
                return v
            default: break
            }
            let chars = Array(spec.unicodeScalars)
            var buffer: [Unicode.Scalar] = []
            var depth = 0  // inside ${...}: colons do not separate
            var i = 0
            while i <= chars.count {
                let atEnd = i == chars.count
                let c: Unicode.Scalar = atEnd ? "\0" : chars[i]
                i += 1
                if !atEnd && c == "$" && i < chars.count && chars[i] == "{" {
                    depth += 1; buffer.append(c); continue
                }
                if !atEnd && c == "}" && depth > 0 {
                    depth -= 1; buffer.append(c); continue
                }
                if !atEnd && c == ":" && buffer.count == 1 && buffer[0].properties.isAlphabetic {
                    buffer.append(c)  // a Windows drive letter, `C:`
                } else if (atEnd || c == ":") && depth == 0 {
                    try v.take(String(String.UnicodeScalarView(buffer)), atEnd: atEnd)
                    buffer = []
                } else if !atEnd {
                    buffer.append(c)
                }
            }
            v.target = cleanPath(v.target)
            if isFilePath(v.source) {
                v.type = "bind"
                if v.bind == nil { v.bind = Bind() }
                v.bind?.createHostPath = true
            } else if v.volume == nil {
                v.volume = Volume()
            }
            return v
        }

        mutating func take(_ field: String, atEnd: Bool) throws {
            if field.isEmpty { throw SpecError(message: "empty section between colons") }
            if source.isEmpty && atEnd { target = field; return }
            if source.isEmpty { source = field; return }
            if target.isEmpty { target = field; return }
            if !atEnd { throw SpecError(message: "too many colons") }
            for option in field.split(separator: ",", omittingEmptySubsequences: false) {
                switch option {
                case "ro": readOnly = true
                case "rw": readOnly = false
                case "nocopy": volume = Volume(nocopy: true)
                case "z", "Z":
                    if bind == nil { bind = Bind() }
                    bind?.selinux = String(option)
                case let p where Self.propagations.contains(String(p)):
                    if bind == nil { bind = Bind() }
                    bind?.propagation = String(p)
                default: continue  // consistency flags and unknown options are ignored, as Compose does
                }
            }
        }

        /// A host path rather than a volume name: starts with `.`, `/`, `~`, `\\` or a drive letter.
        static func isFilePath(_ s: String) -> Bool {
            guard let first = s.unicodeScalars.first else { return false }
            if first == "." || first == "/" || first == "~" { return true }
            if s.hasPrefix("\\\\") { return true }
            let rest = s.unicodeScalars.dropFirst()
            return first.properties.isAlphabetic && rest.first == ":"
        }

        func node(mark: SourceMark?) -> ComposeNode {
            var o = ComposeObject()
            o["type"] = .string(type, mark: mark)
            if !source.isEmpty { o["source"] = .string(source, mark: mark) }
            if !target.isEmpty { o["target"] = .string(target, mark: mark) }
            if readOnly { o["read_only"] = .bool(true, mark: mark) }
            if let bind {
                var b = ComposeObject()
                if !bind.propagation.isEmpty { b["propagation"] = .string(bind.propagation, mark: mark) }
                if bind.createHostPath { b["create_host_path"] = .bool(true, mark: mark) }
                if !bind.selinux.isEmpty { b["selinux"] = .string(bind.selinux, mark: mark) }
                o["bind"] = .object(b, mark: mark)
            }
            if let volume {
                var b = ComposeObject()
                if volume.nocopy { b["nocopy"] = .bool(true, mark: mark) }
                o["volume"] = .object(b, mark: mark)
            }
            return .object(o, mark: mark)
        }
    }

    /// Go's `path.Clean`, but the empty path stays empty.
    static func cleanPath(_ p: String) -> String {
        if p.isEmpty { return "" }
        let rooted = p.hasPrefix("/")
        var parts: [Substring] = []
        for c in p.split(separator: "/", omittingEmptySubsequences: true) {
            if c == "." { continue }
            if c == ".." {
                if let last = parts.last, last != ".." { parts.removeLast() } else if !rooted { parts.append(c) }
                continue
            }
            parts.append(c)
        }
        let body = parts.joined(separator: "/")
        if rooted { return "/" + body }
        return body.isEmpty ? "." : body
    }
}
