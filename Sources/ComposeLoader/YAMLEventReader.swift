import CYaml
import ComposeModel
import Foundation

/// Builds `ComposeNode` trees straight from libyaml's events (the C library inside Yams), with
/// no `Yams.Node` tree in between: that tree, and Yams' duplicate-key check that hashes every
/// key node, were a third of the time `config` spent on a 500-service file.
///
/// It answers exactly as composing with Yams and then converting did (`YAMLReader.convert`):
/// - libyaml's scanner and parser errors, undefined aliases and duplicate keys (checked when
///   a mapping ends, reported for the first duplicate in key order) come first, as they did
///   while Yams composed the whole document;
/// - errors of the conversion (a timestamp, a non-string key, a bad merge, excessive
///   aliasing) are reported at the end of their document, the first in document order;
/// - an alias reuses the node built for its anchor (copy on write), and counts the anchor's
///   node count against the aliasing budget, as expanding it did.
struct YAMLEventReader {
    private var parser = yaml_parser_t()
    private let file: String
    /// A mark of this file: each event's mark is this one moved (no file-name look-up per node).
    private let fileMark: SourceMark
    private var budget: Int
    private var anchors: [String: Anchored] = [:]
    private var deferred: ComposeError?

    private struct RawScalar { var text: String; var tag: String; var plain: Bool; var mark: SourceMark }
    private struct Anchored { var node: ComposeNode; var size: Int; var scalar: RawScalar? }
    private struct Built { var node: ComposeNode; var size: Int; var scalar: RawScalar? }

    static func documents(_ text: String, file: String, budget: Int) throws -> [ComposeNode] {
        var bytes = Array(text.utf8)
        if bytes.isEmpty { bytes = [0x0A] }  // libyaml wants a buffer; an empty stream has no document either way
        return try bytes.withUnsafeBufferPointer { buf in
            var r = YAMLEventReader(file: file, budget: budget)
            yaml_parser_initialize(&r.parser)
            defer { yaml_parser_delete(&r.parser) }
            yaml_parser_set_encoding(&r.parser, YAML_UTF8_ENCODING)
            yaml_parser_set_input_string(&r.parser, buf.baseAddress, buf.count)
            return try r.stream()
        }
    }

    private init(file: String, budget: Int) {
        self.file = file
        self.budget = budget
        fileMark = SourceMark(file: file, line: 0, column: 0)
    }

    // MARK: - Events

    /// One event, deleted when the closure returns.
    private mutating func next() throws -> Event {
        var e = yaml_event_t()
        guard yaml_parser_parse(&parser, &e) == 1 else { throw parseError() }
        return Event(e)
    }

    private final class Event {
        var raw: yaml_event_t
        init(_ e: yaml_event_t) { raw = e }
        deinit { yaml_event_delete(&raw) }
        var type: yaml_event_type_t { raw.type }
        var mark: (Int, Int) { (Int(raw.start_mark.line) + 1, Int(raw.start_mark.column) + 1) }
    }

    private func sourceMark(_ e: Event) -> SourceMark { fileMark.moved(line: e.mark.0, column: e.mark.1) }

    private func parseError() -> ComposeError {
        let problem = parser.problem.map { String(cString: $0) } ?? "unknown error"
        return ComposeError("invalid YAML: \(problem)",
                            mark: SourceMark(file: file, line: Int(parser.problem_mark.line) + 1, column: Int(parser.problem_mark.column) + 1))
    }

    private static func string(_ p: UnsafeMutablePointer<yaml_char_t>?) -> String? {
        p.map { String(cString: UnsafeRawPointer($0).assumingMemoryBound(to: CChar.self)) }
    }

    /// A scalar event's text, tag, style and position.
    private func rawScalar(_ e: Event) -> RawScalar {
        let s = e.raw.data.scalar
        let text = s.value.map { String(decoding: UnsafeBufferPointer(start: $0, count: Int(s.length)), as: UTF8.self) } ?? ""
        return RawScalar(text: text, tag: Self.string(s.tag) ?? "", plain: s.style == YAML_PLAIN_SCALAR_STYLE, mark: sourceMark(e))
    }

    private mutating func defer_(_ e: ComposeError) { if deferred == nil { deferred = e } }

    // MARK: - Structure

    private mutating func stream() throws -> [ComposeNode] {
        var docs: [ComposeNode] = []
        _ = try next()  // STREAM_START
        while true {
            let e = try next()
            if e.type == YAML_STREAM_END_EVENT { return docs }
            guard e.type == YAML_DOCUMENT_START_EVENT else { continue }
            let root = try node(try next(), path: KeyPath())
            _ = try next()  // DOCUMENT_END
            if let d = deferred { throw d }
            docs.append(root.node)
        }
    }

    private mutating func spend(_ n: Int, path: KeyPath, mark: SourceMark?) {
        budget -= n
        if budget < 0 {
            defer_(ComposeError("excessive aliasing: the document expands to too many values through YAML aliases", path: path.description, mark: mark))
        }
    }

    private mutating func register(_ anchor: UnsafeMutablePointer<yaml_char_t>?, _ b: Built) {
        if let name = Self.string(anchor) { anchors[name] = Anchored(node: b.node, size: b.size, scalar: b.scalar) }
    }

    private mutating func node(_ e: Event, path: KeyPath) throws -> Built {
        switch e.type {
        case YAML_ALIAS_EVENT:
            let name = Self.string(e.raw.data.alias.anchor) ?? ""
            guard let a = anchors[name] else {
                throw ComposeError("invalid YAML: found undefined alias", mark: sourceMark(e))
            }
            spend(a.size, path: path, mark: a.node.mark)
            return Built(node: a.node, size: a.size, scalar: a.scalar)
        case YAML_SCALAR_EVENT:
            let raw = rawScalar(e)
            spend(1, path: path, mark: raw.mark)
            var built = Built(node: ComposeNode(.null, mark: raw.mark), size: 1, scalar: raw)
            do { built.node = try YAMLReader.scalar(raw.text, tag: raw.tag, plain: raw.plain, mark: raw.mark, path: path) } catch let err as ComposeError {
                defer_(err)
            }
            register(e.raw.data.scalar.anchor, built)
            return built
        case YAML_SEQUENCE_START_EVENT:
            let start = e.raw.data.sequence_start
            let m = sourceMark(e)
            spend(1, path: path, mark: m)
            var items: [ComposeNode] = [], size = 1
            while true {
                let child = try next()
                if child.type == YAML_SEQUENCE_END_EVENT { break }
                let b = try node(child, path: path + items.count)
                items.append(b.node)
                size += b.size
            }
            let built = Built(node: ComposeNode(.array(items), mark: m, tag: MergeTag(rawValue: Self.string(start.tag) ?? "")), size: size, scalar: nil)
            register(start.anchor, built)
            return built
        case YAML_MAPPING_START_EVENT:
            let start = e.raw.data.mapping_start
            let m = sourceMark(e)
            spend(1, path: path, mark: m)
            let built = try mapping(path: path, mark: m, tag: MergeTag(rawValue: Self.string(start.tag) ?? ""))
            register(start.anchor, built)
            return built
        default:
            throw ComposeError("invalid YAML: unexpected event \(e.type.rawValue)", mark: sourceMark(e))
        }
    }

    private mutating func mapping(path: KeyPath, mark m: SourceMark, tag: MergeTag?) throws -> Built {
        var obj = ComposeObject(), merges: [ComposeNode] = [], size = 1
        var seen: [String: SourceMark] = [:], duplicates: [String: SourceMark] = [:]
        while true {
            let k = try next()
            if k.type == YAML_MAPPING_END_EVENT { break }
            // The key: a scalar (or an alias of one); other keys are parsed and refused.
            var key: RawScalar?
            switch k.type {
            case YAML_SCALAR_EVENT:
                key = rawScalar(k)
                if let a = Self.string(k.raw.data.scalar.anchor), let key {
                    anchors[a] = Anchored(node: (try? YAMLReader.scalar(key.text, tag: key.tag, plain: key.plain, mark: key.mark, path: path)) ?? ComposeNode(.null, mark: key.mark), size: 1, scalar: key)
                }
            case YAML_ALIAS_EVENT:
                let name = Self.string(k.raw.data.alias.anchor) ?? ""
                guard let a = anchors[name] else { throw ComposeError("invalid YAML: found undefined alias", mark: sourceMark(k)) }
                key = a.scalar
                if key == nil { defer_(ComposeError("mapping keys must be scalars", path: path.description, mark: a.node.mark)) }
            default:
                let b = try node(k, path: path)
                defer_(ComposeError("mapping keys must be scalars", path: path.description, mark: b.node.mark))
            }
            // Duplicates are YAML errors, found when the mapping ends (as Yams found them).
            if let key {
                let id = key.tag + "\u{0}" + key.text
                if seen[id] == nil { seen[id] = key.mark } else if duplicates[key.text] == nil { duplicates[key.text] = seen[id] }
            }
            let v = try next()
            if let key, key.text == "<<", key.plain {
                let merged = try node(v, path: path + "<<")
                size += merged.size
                switch merged.node.value {
                case .object: merges.append(merged.node)
                case .array(let list):
                    for item in list {
                        guard item.object != nil else {
                            defer_(ComposeError("map merge requires map or sequence of maps as the value", path: path.description, mark: item.mark))
                            continue
                        }
                        merges.append(item)
                    }
                default:
                    defer_(ComposeError("map merge requires map or sequence of maps as the value", path: path.description, mark: merged.node.mark))
                }
                continue
            }
            var keyText: String?
            if let key {
                do { keyText = try YAMLReader.keyString(key.text, plain: key.plain, path: path, mark: key.mark) } catch let err as ComposeError {
                    defer_(err)
                }
            }
            let value = try node(v, path: path + (keyText ?? key?.text ?? ""))
            size += value.size
            if let keyText, let key { obj.set(keyText, value.node, keyMark: key.mark) }
        }
        if let first = duplicates.keys.sorted().first {
            throw ComposeError("mapping key \(duplicates.keys.sorted().map { "\"\($0)\"" }.joined(separator: ", ")) already defined",
                               mark: duplicates[first])
        }
        for src in merges {
            guard let o = src.object else { continue }
            for (k, v) in o where !obj.contains(k) { obj.set(k, v, keyMark: o.keyMark(k)) }
        }
        return Built(node: ComposeNode(.object(obj), mark: m, tag: tag), size: size, scalar: nil)
    }
}
