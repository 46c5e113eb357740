import CArchive
import Foundation
import OCI

/// The files of an image archive being loaded: a tar stream (plain or compressed with gzip,
/// bzip2, xz or zstd; a file or standard input) or a directory (an OCI image layout).
///
/// A tar is read once, front to back: each regular file is written to a staging directory in
/// the store's `ingest/` and hashed on the way, so that a blob can later be moved into the
/// content store without reading it again. Names are only keys: they are cleaned lexically
/// (`./`, `..`, duplicate slashes) and never used to write anywhere, so a hostile archive
/// cannot place a file outside the staging directory. Symbolic and hard links between entries
/// (old `docker save` links repeated layers) are followed by name, at most 16 deep.
final class ArchiveSource {
    enum Item {
        case file(path: String, staged: Staged?)
        case link(String)
    }

    struct Staged { var digest: Digest; var size: Int64 }

    let label: String
    private(set) var items: [String: Item] = [:]
    private let staging: String?
    private let content: ContentStore
    private var imported: [String: (Digest, Int64)] = [:]

    /// Opens `path` (nil: standard input) and, for a tar, reads all of it into staging.
    init(path: String?, content: ContentStore) throws {
        self.content = content
        var st = stat()
        if let path, stat(path, &st) == 0, (st.st_mode & S_IFMT) == S_IFDIR {
            label = path
            staging = nil
            try scanDirectory(path, relative: "", depth: 0)
            return
        }
        label = path ?? "standard input"
        if let path, stat(path, &st) != 0 { throw ImageStoreError.posix("open", path) }
        let dir = "\(content.root)/ingest/.load-\(UUID().uuidString)"
        try FileSystem.makeDirectories(dir)
        staging = dir
        do { try readTar(path) } catch {
            try? FileSystem.removeTree(dir)
            throw error
        }
    }

    /// Removes what staging is left (blobs already moved into the store stay there).
    func close() {
        if let staging { try? FileSystem.removeTree(staging) }
    }

    static func clean(_ name: String) -> String {
        var parts: [Substring] = []
        for c in name.split(separator: "/", omittingEmptySubsequences: true) {
            if c == "." { continue }
            if c == ".." { _ = parts.popLast(); continue }
            parts.append(c)
        }
        return parts.joined(separator: "/")
    }

    func has(_ name: String) -> Bool { (try? resolve(name)) != nil }

    /// The file a name stands for, after links.
    func resolve(_ name: String) throws -> (key: String, path: String, staged: Staged?) {
        var key = Self.clean(name)
        for _ in 0..<16 {
            switch items[key] {
            case .file(let path, let staged)?: return (key, path, staged)
            case .link(let target)?: key = target
            case nil: throw ImageStoreError("\(label): \(name) is not in the archive")
            }
        }
        throw ImageStoreError("\(label): \(name): too many levels of links")
    }

    /// A small file (JSON), read whole.
    func data(_ name: String, limit: Int = 64 << 20) throws -> Data {
        let r = try resolve(name)
        let path = imported[r.key].map { content.path(of: $0.0) } ?? r.path
        var st = stat()
        guard stat(path, &st) == 0 else { throw ImageStoreError.posix("stat", path) }
        guard Int(st.st_size) <= limit else { throw ImageStoreError("\(label): \(name) is \(st.st_size) bytes, too large for a metadata file") }
        guard let d = FileManager.default.contents(atPath: path) else { throw ImageStoreError.posix("read", path) }
        return d
    }

    /// Moves (tar) or copies (directory) a file into the content store and returns its digest
    /// and size; with `expected`, the file must be exactly that blob or nothing is stored.
    func importBlob(_ name: String, expected: Descriptor? = nil) throws -> (Digest, Int64) {
        let r = try resolve(name)
        if let done = imported[r.key] {
            try Self.check(done, expected, name: name, label: label)
            return done
        }
        // A file of a directory is copied into ingest/ and hashed on the way (the directory
        // is not ours and may change), then handled like a staged file of a tar.
        let (file, staged) = try r.staged.map { (r.path, $0) } ?? stageCopy(r.path)
        let result = (staged.digest, staged.size)
        do {
            try Self.check(result, expected, name: name, label: label)
            if !content.has(staged.digest, size: staged.size) {
                try Self.sync(file)
                try FileSystem.rename(file, content.path(of: staged.digest))
            }
        } catch {
            if r.staged == nil { unlink(file) }
            throw error
        }
        if r.staged == nil { unlink(file) }
        imported[r.key] = result
        return result
    }

    private static func check(_ got: (Digest, Int64), _ expected: Descriptor?, name: String, label: String) throws {
        guard let expected, expected.digest != got.0 || expected.size != got.1 else { return }
        throw ImageStoreError("\(label): \(name) failed verification: it has digest \(got.0) and \(got.1) bytes, the descriptor says \(expected.digest) and \(expected.size) bytes")
    }

    // MARK: - Reading

    private func scanDirectory(_ root: String, relative: String, depth: Int) throws {
        guard depth < 32 else { throw ImageStoreError("\(label): directories nested too deeply at \(relative)") }
        let dir = relative.isEmpty ? root : root + "/" + relative
        let names: [String]
        do { names = try FileManager.default.contentsOfDirectory(atPath: dir) } catch {
            throw ImageStoreError("\(dir): cannot list: \(error.localizedDescription)")
        }
        for n in names {
            let rel = relative.isEmpty ? n : relative + "/" + n
            var st = stat()
            guard lstat(root + "/" + rel, &st) == 0 else { throw ImageStoreError.posix("lstat", root + "/" + rel) }
            switch st.st_mode & S_IFMT {
            case S_IFDIR: try scanDirectory(root, relative: rel, depth: depth + 1)
            case S_IFREG: items[rel] = .file(path: root + "/" + rel, staged: nil)
            case S_IFLNK:
                let target = (try? FileManager.default.destinationOfSymbolicLink(atPath: root + "/" + rel)) ?? ""
                items[rel] = .link(Self.clean(target.hasPrefix("/") ? target : relative + "/" + target))
            default: continue
            }
        }
    }

    private func readTar(_ path: String?) throws {
        var loadError = [CChar](repeating: 0, count: 512)
        guard sw_archive_load(&loadError, loadError.count) == 0 else { throw ImageStoreError(String(cString: loadError)) }
        guard let a = sw_archive_read_new() else { throw ImageStoreError("libarchive: out of memory") }
        defer { sw_archive_read_free(a) }
        sw_archive_read_support_filter_all(a)
        sw_archive_read_support_format_tar(a)
        sw_archive_read_support_format_gnutar(a)
        let opened = path.map { sw_archive_read_open_filename(a, $0, 1 << 20) } ?? sw_archive_read_open_fd(a, 0, 1 << 20)
        guard opened == ARCHIVE_OK else {
            throw ImageStoreError("\(label): not an image archive (a tar, plain or compressed with gzip, bzip2, xz or zstd): \(LayerUnpacker.archiveError(a))")
        }
        var buffer = [UInt8](repeating: 0, count: 1 << 20)
        var count = 0
        while true {
            var entry: OpaquePointer?
            let r = sw_archive_read_next_header(a, &entry)
            if r == ARCHIVE_EOF { break }
            guard r == ARCHIVE_OK || r == ARCHIVE_WARN, let entry else {
                let why = LayerUnpacker.archiveError(a)
                throw ImageStoreError(count == 0
                    ? "\(label): not a docker save archive or OCI image layout (a tar, optionally compressed): \(why)"
                    : "\(label): corrupt archive after \(count) entries: \(why)")
            }
            count += 1
            let name = Self.clean(sw_archive_entry_pathname(entry).map { String(cString: $0) } ?? "")
            guard !name.isEmpty else { continue }
            if let hard = sw_archive_entry_hardlink(entry) {
                items[name] = .link(Self.clean(String(cString: hard)))
                continue
            }
            let type = sw_archive_entry_filetype(entry)
            switch type {
            case _ where type == S_IFLNK:
                let target = sw_archive_entry_symlink(entry).map { String(cString: $0) } ?? ""
                let dir = (name as NSString).deletingLastPathComponent
                items[name] = .link(Self.clean(target.hasPrefix("/") ? target : dir + "/" + target))
            case _ where type == S_IFREG:
                let file = "\(staging!)/\(count)"
                let fd = open(file, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o644)
                guard fd >= 0 else { throw ImageStoreError.posix("open", file) }
                defer { Glibc.close(fd) }
                let staged = try Self.copyHashing(into: fd, label: file, buffer: &buffer) { out in
                    let n = sw_archive_read_data(a, out.baseAddress, out.count)
                    guard n >= 0 else { throw ImageStoreError("\(self.label): \(name): \(LayerUnpacker.archiveError(a))") }
                    return n
                }
                items[name] = .file(path: file, staged: staged)
            default:
                continue
            }
        }
    }

    private func stageCopy(_ path: String) throws -> (String, Staged) {
        let input = open(path, O_RDONLY | O_CLOEXEC)
        guard input >= 0 else { throw ImageStoreError.posix("open", path) }
        defer { Glibc.close(input) }
        let tmp = "\(content.root)/ingest/.load-\(UUID().uuidString)"
        let out = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o644)
        guard out >= 0 else { throw ImageStoreError.posix("open", tmp) }
        defer { Glibc.close(out) }
        do {
            var buf = [UInt8](repeating: 0, count: 1 << 20)
            let staged = try Self.copyHashing(into: out, label: tmp, buffer: &buf) { dest in
                while true {
                    let n = read(input, dest.baseAddress, dest.count)
                    if n >= 0 { return n }
                    if errno != EINTR { throw ImageStoreError.posix("read", path) }
                }
            }
            return (tmp, staged)
        } catch {
            unlink(tmp)
            throw error
        }
    }

    /// Writes what `read` yields (0: the end) to `fd`, hashing it on the way.
    private static func copyHashing(into fd: Int32, label: String, buffer: inout [UInt8],
                                    read: (UnsafeMutableRawBufferPointer) throws -> Int) throws -> Staged {
        let hasher = try SHA256Stream()
        while true {
            let n = try buffer.withUnsafeMutableBytes { try read($0) }
            if n == 0 { break }
            try buffer.withUnsafeBytes { raw in
                let part = UnsafeRawBufferPointer(rebasing: raw.prefix(n))
                hasher.update(part)
                try FileCopy.writeAll(fd, part, label: label)
            }
        }
        return Staged(digest: hasher.finish(), size: hasher.count)
    }

    private static func sync(_ path: String) throws {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw ImageStoreError.posix("open", path) }
        defer { Glibc.close(fd) }
        guard fsync(fd) == 0 else { throw ImageStoreError.posix("fsync", path) }
    }
}
