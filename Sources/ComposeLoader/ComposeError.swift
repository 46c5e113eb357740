import ComposeModel

/// A Compose input error: what is wrong, where (file, line, column), and at which key path.
public struct ComposeError: Error, CustomStringConvertible, Equatable {
    public var message: String
    public var mark: SourceMark?
    /// The key path, `services.kafka.ports[1]`; empty when the error is about a whole file.
    public var path: String
    /// The file the error belongs to when no position is known.
    public var file: String?

    public init(_ message: String, path: String = "", mark: SourceMark? = nil, file: String? = nil) {
        self.message = message
        self.path = path
        self.mark = mark
        self.file = file ?? mark?.file
    }

    public var description: String {
        var where_ = ""
        if let mark { where_ = "\(mark.file):\(mark.line):\(mark.column): " } else if let file { where_ = "\(file): " }
        let at = path.isEmpty ? "" : "\(path): "
        return where_ + at + message
    }
}

/// Builds key paths the way errors print them: `services.kafka.ports[1]`.
public struct KeyPath: Sendable, CustomStringConvertible, Hashable {
    public var components: [Component]
    public enum Component: Sendable, Hashable { case key(String), index(Int) }

    public init(_ components: [Component] = []) { self.components = components }
    public init(_ keys: String...) { self.components = keys.map { .key($0) } }

    public func appending(_ key: String) -> KeyPath { KeyPath(components + [.key(key)]) }
    public func appending(_ index: Int) -> KeyPath { KeyPath(components + [.index(index)]) }
    public static func + (lhs: KeyPath, rhs: String) -> KeyPath { lhs.appending(rhs) }
    public static func + (lhs: KeyPath, rhs: Int) -> KeyPath { lhs.appending(rhs) }

    public var keys: [String] { components.compactMap { if case .key(let k) = $0 { return k }; return nil } }

    public var description: String {
        var s = ""
        for c in components {
            switch c {
            case .key(let k): s += s.isEmpty ? k : "." + k
            case .index(let i): s += "[\(i)]"
            }
        }
        return s
    }

    /// The path as mapstructure names it in compose-go's decoding errors, a map entry under a
    /// top-level key in brackets: `services[foo].configs[0].mode`.
    public var decodingDescription: String {
        var s = ""
        for (i, c) in components.enumerated() {
            switch c {
            case .index(let n): s += "[\(n)]"
            case .key(let k): s += i == 0 ? k : i == 1 ? "[\(k)]" : "." + k
            }
        }
        return s
    }
}
