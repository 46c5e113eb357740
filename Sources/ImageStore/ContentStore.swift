import Foundation
import OCI

/// Content-addressed blobs on disk: `blobs/sha256/<hex>` under the store's root, each written
/// through a file in `ingest/` that is verified (size and digest), fsynced and renamed into
/// place, so a blob under `blobs/` is always complete and correct. A partial download stays
/// in `ingest/<hex>` and is resumed; a lock on it keeps two pulls of the same blob (in this
/// process or another) from writing it at once.
public struct ContentStore: Sendable {
    public let root: String

    public init(root: String) throws {
        self.root = root
        for d in ["blobs/sha256", "ingest"] {
            try FileSystem.makeDirectories(root + "/" + d)
        }
    }

    public func path(of digest: Digest) -> String { "\(root)/blobs/\(digest.algorithm)/\(digest.encoded)" }

    public func has(_ digest: Digest, size: Int64? = nil) -> Bool {
        var st = stat()
        guard stat(path(of: digest), &st) == 0, (st.st_mode & S_IFMT) == S_IFREG else { return false }
        return size.map { Int64(st.st_size) == $0 } ?? true
    }

    public func read(_ digest: Digest) throws -> Data {
        guard let d = FileManager.default.contents(atPath: path(of: digest)) else {
            throw ImageStoreError("blob \(digest) is not in the store (\(path(of: digest)))")
        }
        return d
    }

    /// Stores `data` as `digest` after checking that it is.
    @discardableResult
    public func put(_ data: Data, digest expected: Digest? = nil) throws -> Digest {
        let actual = try SHA256Stream.digest(of: data)
        if let expected, expected != actual {
            throw ImageStoreError("content of \(expected) has digest \(actual): refused")
        }
        if has(actual, size: Int64(data.count)) { return actual }
        let tmp = "\(root)/ingest/.put-\(UUID().uuidString)"
        try FileSystem.writeDurably(data, to: tmp)
        try FileSystem.rename(tmp, path(of: actual))
        return actual
    }

    /// Opens the ingest of one blob: locked, with whatever a previous attempt left.
    /// Waits (without blocking a thread of Swift's cooperative pool) while another pull holds
    /// the blob's lock.
    public func beginIngest(_ digest: Digest, size: Int64) async throws -> Ingest {
        guard digest.algorithm == "sha256" else { throw ImageStoreError("unsupported digest algorithm \(digest.algorithm) for \(digest)") }
        while true {
            do { return try Ingest(store: self, digest: digest, size: size) } catch is Ingest.Busy {
                try await Task.sleep(nanoseconds: 20_000_000)
            }
        }
    }

    public func delete(_ digest: Digest) throws {
        if unlink(path(of: digest)) != 0 && errno != ENOENT { throw ImageStoreError.posix("unlink", path(of: digest)) }
    }

    /// Every blob in the store.
    public func list() -> [Digest] {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: root + "/blobs/sha256")) ?? []
        return names.compactMap { try? Digest.sha256(hex: $0) }.sorted()
    }

    public func size(of digest: Digest) -> Int64 {
        var st = stat()
        return stat(path(of: digest), &st) == 0 ? Int64(st.st_size) : 0
    }
}

/// One blob being written: bytes are hashed as they are appended; `commit` verifies size and
/// digest, fsyncs and moves the file into `blobs/`. Nothing unverified reaches `blobs/`.
public final class Ingest {
    public let digest: Digest
    public let size: Int64
    let store: ContentStore
    let partPath: String
    private var fd: Int32
    private var hasher: SHA256Stream
    public private(set) var offset: Int64 = 0
    private var closed = false

    struct Busy: Error {}

    init(store: ContentStore, digest: Digest, size: Int64) throws {
        self.store = store
        self.digest = digest
        self.size = size
        partPath = "\(store.root)/ingest/\(digest.encoded)"
        hasher = try SHA256Stream()
        fd = open(partPath, O_RDWR | O_CREAT | O_CLOEXEC, 0o600)
        guard fd >= 0 else { throw ImageStoreError.posix("open", partPath) }
        // Another pull of the same blob holds this lock until it commits or gives up.
        while flock(fd, LOCK_EX | LOCK_NB) != 0 {
            let e = errno
            if e == EINTR { continue }
            close(fd)
            closed = true
            if e == EWOULDBLOCK { throw Busy() }
            throw ImageStoreError.posix("flock", partPath, e)
        }
        try resumeFromPartial()
    }

    deinit { if !closed { close(fd) } }

    /// Whether the blob was completed by someone else while this one waited for the lock.
    public var alreadyStored: Bool { store.has(digest, size: size) }

    /// Rehashes the bytes a previous attempt wrote, so the download continues after them.
    private func resumeFromPartial() throws {
        var st = stat()
        guard fstat(fd, &st) == 0 else { throw ImageStoreError.posix("fstat", partPath) }
        var length = Int64(st.st_size)
        if length > size { length = 0; ftruncate(fd, 0) }
        var buf = [UInt8](repeating: 0, count: 1 << 20)
        var pos: Int64 = 0
        while pos < length {
            let n = buf.withUnsafeMutableBytes { pread(fd, $0.baseAddress, min($0.count, Int(length - pos)), off_t(pos)) }
            guard n > 0 else { break }
            buf.withUnsafeBytes { hasher.update(UnsafeRawBufferPointer(rebasing: $0.prefix(n))) }
            pos += Int64(n)
        }
        offset = pos
        if lseek(fd, off_t(pos), SEEK_SET) < 0 { throw ImageStoreError.posix("lseek", partPath) }
    }

    /// Starts over (a server ignored the range request).
    public func restart() throws {
        guard ftruncate(fd, 0) == 0, lseek(fd, 0, SEEK_SET) == 0 else { throw ImageStoreError.posix("ftruncate", partPath) }
        hasher = try SHA256Stream()
        offset = 0
    }

    public func append(_ bytes: UnsafeRawBufferPointer) throws {
        guard offset + Int64(bytes.count) <= size else {
            throw ImageStoreError("blob \(digest) is larger than the \(size) bytes its descriptor says")
        }
        var done = 0
        while done < bytes.count {
            let n = write(fd, bytes.baseAddress! + done, bytes.count - done)
            if n < 0 { if errno == EINTR { continue }; throw ImageStoreError.posix("write", partPath) }
            done += n
        }
        hasher.update(bytes)
        offset += Int64(bytes.count)
    }

    /// Verifies and stores the blob. A mismatch removes the partial file: its bytes are wrong.
    public func commit() throws {
        defer { finishLock() }
        guard offset == size else {
            throw ImageStoreError("blob \(digest): got \(offset) of \(size) bytes")
        }
        let actual = hasher.finish()
        guard actual == digest else {
            unlink(partPath)
            throw ImageStoreError("blob \(digest) failed verification: its content has digest \(actual)")
        }
        guard fsync(fd) == 0 else { throw ImageStoreError.posix("fsync", partPath) }
        try FileSystem.rename(partPath, store.path(of: digest))
    }

    /// Gives up, keeping the bytes for a later resume.
    public func abandon() { finishLock() }

    private func finishLock() {
        guard !closed else { return }
        closed = true
        close(fd)
    }
}
