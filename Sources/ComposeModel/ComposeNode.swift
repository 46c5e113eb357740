import Synchronization

/// Where a value came from: the file, and the 1-based line and column of its first character.
///
/// Every node of a loaded tree carries one and is copied at each step, so the mark holds no
/// reference: the file is a number in a process-wide table of file names (interned once per
/// name), which keeps a node copy free of reference counting for its position.
public struct SourceMark: Sendable, Hashable, CustomStringConvertible {
    private var fileID: UInt32
    private var line32: UInt32
    private var column32: UInt32

    public init(file: String, line: Int, column: Int) {
        self.fileID = SourceFiles.id(of: file)
        self.line32 = UInt32(clamping: line)
        self.column32 = UInt32(clamping: column)
    }

    /// A mark in the same file as this one (no look-up of the file name).
    public func moved(line: Int, column: Int) -> SourceMark {
        var m = self
        m.line32 = UInt32(clamping: line)
        m.column32 = UInt32(clamping: column)
        return m
    }

    public var file: String {
        get { SourceFiles.name(of: fileID) }
        set { fileID = SourceFiles.id(of: newValue) }
    }
    public var line: Int {
        get { Int(line32) }
        set { line32 = UInt32(clamping: newValue) }
    }
    public var column: Int {
        get { Int(column32) }
        set { column32 = UInt32(clamping: newValue) }
    }

    public var description: String { "\(file):\(line):\(column)" }
}

/// The names of the files marks point into; a name's number never changes.
enum SourceFiles {
    private struct Table { var names: [String] = []; var ids: [String: UInt32] = [:] }
    private static let table = Mutex(Table())

    static func id(of name: String) -> UInt32 {
        table.withLock { t in
            if let id = t.ids[name] { return id }
            let id = UInt32(t.names.count)
            t.names.append(name)
            t.ids[name] = id
            return id
        }
    }

    static func name(of id: UInt32) -> String {
        table.withLock { t in Int(id) < t.names.count ? t.names[Int(id)] : "" }
    }
}

/// The YAML tags Compose gives meaning to when files are merged.
public enum MergeTag: String, Sendable, Hashable {
    /// `!reset`: the value is removed from the merged result.
    case reset = "!reset"
    /// `!override`: the value replaces the base value instead of being merged with it.
    case override = "!override"
}

/// One value of a Compose document with its source position.
///
/// The loader works on this tree from parsing to normalisation, the way compose-go works on
/// `map[string]any`: interpolation, include, extends, merge, schema validation and the canonical
/// transform are all tree-to-tree steps. Equality ignores positions and tags.
public struct ComposeNode: Sendable, CustomStringConvertible {
    public var value: ComposeValue
    public var mark: SourceMark?
    public var tag: MergeTag?

    public init(_ value: ComposeValue, mark: SourceMark? = nil, tag: MergeTag? = nil) {
        self.value = value
        self.mark = mark
        self.tag = tag
    }

    public static let null = ComposeNode(.null)

    public var description: String { value.description }
}

extension ComposeNode: Equatable {
    public static func == (lhs: ComposeNode, rhs: ComposeNode) -> Bool { lhs.value == rhs.value }
}

/// The value kinds JSON and the Compose model know.
public enum ComposeValue: Sendable, Equatable, CustomStringConvertible {
    case null
    case bool(Bool)
    case int(Int)
    case double(Double)
    case string(String)
    case array([ComposeNode])
    case object(ComposeObject)

    /// The name of the kind, as the schema calls it.
    public var kindName: String {
        switch self {
        case .null: return "null"
        case .bool: return "boolean"
        case .int: return "integer"
        case .double: return "number"
        case .string: return "string"
        case .array: return "array"
        case .object: return "object"
        }
    }

    public var description: String { ComposeJSON.render(ComposeNode(self), pretty: false) }
}

/// A mapping that keeps its keys in insertion order. Entries live in one array: most Compose
/// mappings have a handful of keys, where a linear scan beats hashing and one allocation beats
/// three; past `indexed` entries a key → position index keeps lookups O(1) (a 1,000-service
/// `services` map).
public struct ComposeObject: Sendable, Equatable, Sequence {
    struct Entry: Sendable {
        var key: String
        var node: ComposeNode
        var mark: SourceMark?
    }
    private var entries: [Entry] = []
    private var index: [String: Int]?
    private static let indexed = 12

    public init() {}

    public init(_ pairs: [(String, ComposeNode)]) {
        entries.reserveCapacity(pairs.count)
        for (k, v) in pairs { self[k] = v }
    }

    public var keys: [String] { entries.map(\.key) }
    public var count: Int { entries.count }
    public var isEmpty: Bool { entries.isEmpty }

    private func position(_ key: String) -> Int? {
        if let index { return index[key] }
        return entries.firstIndex { $0.key == key }
    }

    private mutating func rebuildIndex() {
        guard entries.count > Self.indexed else { index = nil; return }
        var i = [String: Int](minimumCapacity: entries.count)
        for (n, e) in entries.enumerated() { i[e.key] = n }
        index = i
    }

    public subscript(key: String) -> ComposeNode? {
        get { position(key).map { entries[$0].node } }
        set {
            if let newValue {
                if let p = position(key) {
                    entries[p].node = newValue
                } else {
                    entries.append(Entry(key: key, node: newValue, mark: nil))
                    if index != nil { index![key] = entries.count - 1 } else if entries.count > Self.indexed { rebuildIndex() }
                }
            } else if let p = position(key) {
                entries.remove(at: p)
                if index != nil { rebuildIndex() }
            }
        }
    }

    public mutating func set(_ key: String, _ node: ComposeNode, keyMark: SourceMark?) {
        if let p = position(key) {
            entries[p].node = node
            if let keyMark { entries[p].mark = keyMark }
        } else {
            entries.append(Entry(key: key, node: node, mark: keyMark))
            if index != nil { index![key] = entries.count - 1 } else if entries.count > Self.indexed { rebuildIndex() }
        }
    }

    /// Removes the keys `shouldRemove` picks, in one pass (one index rebuild, not one per key).
    public mutating func removeAll(where shouldRemove: (String) throws -> Bool) rethrows {
        try entries.removeAll { try shouldRemove($0.key) }
        if index != nil { rebuildIndex() }
    }

    public func keyMark(_ key: String) -> SourceMark? { position(key).flatMap { entries[$0].mark } }

    public func contains(_ key: String) -> Bool { position(key) != nil }

    public struct Iterator: IteratorProtocol {
        fileprivate var base: IndexingIterator<[Entry]>
        public mutating func next() -> (key: String, node: ComposeNode)? {
            base.next().map { ($0.key, $0.node) }
        }
    }

    public func makeIterator() -> Iterator { Iterator(base: entries.makeIterator()) }

    /// Entries in key order (byte order of the UTF-8 text, as Go sorts map keys).
    public var sortedKeys: [String] { keys.sorted { $0.utf8.lexicographicallyPrecedes($1.utf8) } }

    /// Rewrites every value in place, keeping the order.
    public mutating func mapValues(_ transform: (String, ComposeNode) throws -> ComposeNode) rethrows {
        for i in entries.indices { entries[i].node = try transform(entries[i].key, entries[i].node) }
    }

    /// Equal when they hold the same keys with equal values, in any order (as Go maps compare).
    public static func == (lhs: ComposeObject, rhs: ComposeObject) -> Bool {
        guard lhs.count == rhs.count else { return false }
        for e in lhs.entries {
            guard let other = rhs[e.key], other == e.node else { return false }
        }
        return true
    }
}

// MARK: - Convenient accessors

extension ComposeNode {
    public var object: ComposeObject? { if case .object(let o) = value { return o }; return nil }
    public var array: [ComposeNode]? { if case .array(let a) = value { return a }; return nil }
    public var string: String? { if case .string(let s) = value { return s }; return nil }
    public var int: Int? { if case .int(let i) = value { return i }; return nil }
    public var bool: Bool? { if case .bool(let b) = value { return b }; return nil }
    public var isNull: Bool { if case .null = value { return true }; return false }

    /// The value as text the way Go's `fmt` prints a scalar: strings as they are, numbers and
    /// booleans in their usual spelling. Nil for null, arrays and objects.
    public var scalarText: String? {
        switch value {
        case .string(let s): return s
        case .int(let i): return String(i)
        case .double(let d):
            if d.isNaN { return "NaN" }
            if d.isInfinite { return d > 0 ? "+Inf" : "-Inf" }
            return ComposeJSON.formatDouble(d)
        case .bool(let b): return b ? "true" : "false"
        default: return nil
        }
    }

    public subscript(key: String) -> ComposeNode? {
        get { object?[key] }
        set {
            guard case .object(var o) = value else { return }
            o[key] = newValue
            value = .object(o)
        }
    }

    public static func object(_ o: ComposeObject, mark: SourceMark? = nil) -> ComposeNode { ComposeNode(.object(o), mark: mark) }
    public static func array(_ a: [ComposeNode], mark: SourceMark? = nil) -> ComposeNode { ComposeNode(.array(a), mark: mark) }
    public static func string(_ s: String, mark: SourceMark? = nil) -> ComposeNode { ComposeNode(.string(s), mark: mark) }
    public static func int(_ i: Int, mark: SourceMark? = nil) -> ComposeNode { ComposeNode(.int(i), mark: mark) }
    public static func bool(_ b: Bool, mark: SourceMark? = nil) -> ComposeNode { ComposeNode(.bool(b), mark: mark) }
}
