import Foundation
import OCI

/// Image references (`docker.io/library/kafka:latest` → manifest) in one JSON file, changed
/// under an exclusive lock and replaced by rename, so concurrent pulls never lose an entry.
/// The interface is what the state database will take over.
public struct ReferenceIndex: Sendable {
    public struct Entry: Codable, Sendable, Equatable {
        public var manifest: Digest
        public var index: Digest?
        public var config: Digest
        public var platform: String
        public var pulled: Double
    }

    let path: String

    public func get(_ name: String) throws -> Entry? { try locked { $0[name] } }

    public func all() throws -> [(String, Entry)] { try locked { $0.sorted { $0.key < $1.key }.map { ($0.key, $0.value) } } }

    public func set(_ name: String, _ entry: Entry) throws {
        try update { $0[name] = entry }
    }

    /// Whether the name was there.
    public func remove(_ name: String) throws -> Bool {
        var found = false
        try update { found = $0.removeValue(forKey: name) != nil }
        return found
    }

    private func locked<T>(_ body: ([String: Entry]) throws -> T) throws -> T {
        try withLock { try body(try read()) }
    }

    private func update(_ body: (inout [String: Entry]) -> Void) throws {
        try withLock {
            var all = try read()
            body(&all)
            let enc = JSONEncoder()
            enc.outputFormatting = [.prettyPrinted, .sortedKeys]
            let tmp = path + ".tmp-\(getpid())"
            try FileSystem.writeDurably(try enc.encode(all), to: tmp, mode: 0o600)
            try FileSystem.rename(tmp, path)
        }
    }

    private func read() throws -> [String: Entry] {
        guard let data = FileManager.default.contents(atPath: path), !data.isEmpty else { return [:] }
        do { return try JSONDecoder().decode([String: Entry].self, from: data) } catch {
            throw ImageStoreError("\(path): unreadable reference index: \(error)")
        }
    }

    private func withLock<T>(_ body: () throws -> T) throws -> T {
        let lockPath = path + ".lock"
        let fd = open(lockPath, O_RDWR | O_CREAT | O_CLOEXEC, 0o600)
        guard fd >= 0 else { throw ImageStoreError.posix("open", lockPath) }
        defer { close(fd) }
        while flock(fd, LOCK_EX) != 0 {
            guard errno == EINTR else { throw ImageStoreError.posix("flock", lockPath) }
        }
        return try body()
    }
}
