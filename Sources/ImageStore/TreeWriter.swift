import CArchive
import CLinux
import Foundation

/// Writes tar entries under one directory without ever leaving it (see `LayerUnpacker`).
final class TreeWriter {
    let root: String
    let layer: String
    private let rootFD: Int32
    /// Open directories by cleaned path ("" is the root), so consecutive entries of one
    /// directory do not walk from the root again. Cleared when it grows.
    private var dirs: [String: Int32] = [:]
    /// Directory metadata, applied after their contents (writing into a directory changes its
    /// mtime, and a read-only mode would stop the writes).
    private var pendingDirs: [(path: [String], mode: mode_t, uid: uid_t, gid: gid_t, times: [timespec])] = []
    private let asRoot = geteuid() == 0

    init(root: String, layer: String) throws {
        self.root = root
        self.layer = layer
        rootFD = open(root, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)
        guard rootFD >= 0 else { throw ImageStoreError.posix("open", root) }
        dirs[""] = rootFD
    }

    func close() {
        for (k, fd) in dirs where k != "" { Glibc.close(fd) }
        dirs = [:]
        Glibc.close(rootFD)
    }

    func fail(_ path: String, _ why: String) -> ImageStoreError {
        ImageStoreError("layer \(layer): entry \"\(path)\": \(why)")
    }

    func posixFail(_ path: String, _ call: String, _ err: Int32 = errno) -> ImageStoreError {
        fail(path, "\(call): \(String(cString: strerror(err))) (errno \(err))")
    }

    /// The entry's path as components below the root. Absolute paths and `..` that climbs out
    /// of the layer are refused; `./`, `.` and repeated slashes are dropped.
    func clean(_ raw: String) throws -> [String] {
        if raw.hasPrefix("/") { throw fail(raw, "absolute path in a layer") }
        var out: [String] = []
        for c in raw.split(separator: "/", omittingEmptySubsequences: true) {
            if c == "." { continue }
            if c == ".." {
                guard !out.isEmpty else { throw fail(raw, "path leaves the layer through \"..\"") }
                out.removeLast()
                continue
            }
            out.append(String(c))
        }
        return out
    }

    /// The directory `components`, created (0755, root-owned) where missing, reached without
    /// following any symbolic link.
    func directory(_ components: ArraySlice<String>, for entry: String) throws -> Int32 {
        let key = components.joined(separator: "/")
        if let fd = dirs[key] { return fd }
        if dirs.count > 512 {
            for (k, fd) in dirs where k != "" { Glibc.close(fd) }
            dirs = ["": rootFD]
        }
        var fd = rootFD
        var prefix = ""
        for c in components {
            prefix = prefix.isEmpty ? c : prefix + "/" + c
            if let cached = dirs[prefix] { fd = cached; continue }
            var next = openat(fd, c, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)
            if next < 0 && errno == ENOENT {
                guard mkdirat(fd, c, 0o755) == 0 || errno == EEXIST else { throw posixFail(entry, "mkdirat \(prefix)") }
                next = openat(fd, c, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)
            }
            if next < 0 {
                if errno == ELOOP || errno == ENOTDIR {
                    var st = stat()
                    if fstatat(fd, c, &st, AT_SYMLINK_NOFOLLOW) == 0 && (st.st_mode & S_IFMT) == S_IFLNK {
                        throw fail(entry, "its parent \"\(prefix)\" is a symbolic link in this layer; refusing to write through it")
                    }
                    throw fail(entry, "its parent \"\(prefix)\" is not a directory")
                }
                throw posixFail(entry, "open \(prefix)")
            }
            dirs[prefix] = next
            fd = next
        }
        return fd
    }

    /// Removes whatever is at `name` in `dirFD`, so an entry can replace it (a later entry of
    /// the same path wins, as in tar). A directory is kept when the entry is one too.
    func clear(_ dirFD: Int32, _ name: String, keepDirectory: Bool, entry: String, path: [String]) throws {
        var st = stat()
        guard fstatat(dirFD, name, &st, AT_SYMLINK_NOFOLLOW) == 0 else { return }
        if (st.st_mode & S_IFMT) == S_IFDIR {
            if keepDirectory { return }
            // Close cached descriptors below it before it goes.
            let key = path.joined(separator: "/")
            for (k, fd) in dirs where k == key || k.hasPrefix(key + "/") { Glibc.close(fd); dirs[k] = nil }
            try FileSystem.removeTree("/proc/self/fd/\(dirFD)/\(name)")
            return
        }
        guard unlinkat(dirFD, name, 0) == 0 else { throw posixFail(entry, "unlinkat") }
    }

    func write(_ entry: OpaquePointer, from archive: OpaquePointer) throws {
        guard let cpath = sw_archive_entry_pathname(entry) else { throw ImageStoreError("layer \(layer): an entry without a path") }
        let raw = String(cString: cpath)
        let path = try clean(raw)
        guard let name = path.last else {
            // The layer root itself ("./"): its metadata goes to the layer directory.
            if sw_archive_entry_filetype(entry) == S_IFDIR {
                pendingDirs.append((path, mode_t(sw_archive_entry_perm(entry)), uid_t(sw_archive_entry_uid(entry)), gid_t(sw_archive_entry_gid(entry)), times(entry)))
            }
            return
        }
        let parent = try directory(path.dropLast(), for: raw)

        // OCI whiteouts.
        if name.hasPrefix(".wh.") {
            if name == ".wh..wh..opq" {
                guard fsetxattr(parent, "trusted.overlay.opaque", "y", 1, 0) == 0 else {
                    throw posixFail(raw, "setxattr trusted.overlay.opaque")
                }
            } else if name.hasPrefix(".wh..wh.") {
                // aufs metadata (.wh..wh.plnk, .wh..wh.aufs): not part of the image's tree.
            } else {
                let target = String(name.dropFirst(4))
                guard !target.isEmpty, target != ".", target != ".." else { throw fail(raw, "invalid whiteout") }
                try clear(parent, target, keepDirectory: false, entry: raw, path: Array(path.dropLast()) + [target])
                guard mknodat(parent, target, S_IFCHR | 0, cl_makedev(0, 0)) == 0 else { throw posixFail(raw, "mknodat (whiteout)") }
            }
            return
        }

        let type = sw_archive_entry_filetype(entry)
        let mode = mode_t(sw_archive_entry_perm(entry))
        let uid = uid_t(sw_archive_entry_uid(entry)), gid = gid_t(sw_archive_entry_gid(entry))

        if let hl = sw_archive_entry_hardlink(entry) {
            let targetRaw = String(cString: hl)
            let target = try clean(targetRaw)
            guard let targetName = target.last else { throw fail(raw, "hard link to the layer root") }
            let targetDir: Int32
            do { targetDir = try directory(target.dropLast(), for: raw) } catch {
                throw fail(raw, "hard link target \"\(targetRaw)\" is not in this layer")
            }
            var st = stat()
            guard fstatat(targetDir, targetName, &st, AT_SYMLINK_NOFOLLOW) == 0 else {
                throw fail(raw, "hard link target \"\(targetRaw)\" is not in this layer")
            }
            guard (st.st_mode & S_IFMT) != S_IFDIR else { throw fail(raw, "hard link to a directory") }
            try clear(parent, name, keepDirectory: false, entry: raw, path: path)
            guard linkat(targetDir, targetName, parent, name, 0) == 0 else { throw posixFail(raw, "linkat") }
            return
        }

        switch type {
        case S_IFDIR:
            var st = stat()
            if fstatat(parent, name, &st, AT_SYMLINK_NOFOLLOW) != 0 || (st.st_mode & S_IFMT) != S_IFDIR {
                try clear(parent, name, keepDirectory: true, entry: raw, path: path)
                guard mkdirat(parent, name, 0o700) == 0 else { throw posixFail(raw, "mkdirat") }
            }
            pendingDirs.append((path, mode, uid, gid, times(entry)))
            try xattrs(entry, path: "/proc/self/fd/\(parent)/\(name)", raw: raw, follow: false)
        case S_IFREG:
            try clear(parent, name, keepDirectory: false, entry: raw, path: path)
            let fd = openat(parent, name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0o600)
            guard fd >= 0 else { throw posixFail(raw, "openat") }
            defer { Glibc.close(fd) }
            try copyData(from: archive, entry: entry, to: fd, raw: raw)
            try own(raw) { fchown(fd, uid, gid) }
            guard fchmod(fd, mode) == 0 else { throw posixFail(raw, "fchmod") }
            try xattrs(entry, path: "/proc/self/fd/\(fd)", raw: raw, follow: true)
            var t = times(entry)
            guard futimens(fd, &t) == 0 else { throw posixFail(raw, "futimens") }
        case S_IFLNK:
            guard let target = sw_archive_entry_symlink(entry) else { throw fail(raw, "symbolic link without a target") }
            try clear(parent, name, keepDirectory: false, entry: raw, path: path)
            guard symlinkat(target, parent, name) == 0 else { throw posixFail(raw, "symlinkat") }
            try own(raw) { fchownat(parent, name, uid, gid, AT_SYMLINK_NOFOLLOW) }
            try xattrs(entry, path: "/proc/self/fd/\(parent)/\(name)", raw: raw, follow: false)
            var t = times(entry)
            guard utimensat(parent, name, &t, AT_SYMLINK_NOFOLLOW) == 0 else { throw posixFail(raw, "utimensat") }
        case S_IFCHR, S_IFBLK, S_IFIFO:
            try clear(parent, name, keepDirectory: false, entry: raw, path: path)
            let kind: mode_t = type == S_IFCHR ? S_IFCHR : type == S_IFBLK ? S_IFBLK : S_IFIFO
            let dev = type == S_IFIFO ? 0 : cl_makedev(UInt32(sw_archive_entry_rdevmajor(entry)), UInt32(sw_archive_entry_rdevminor(entry)))
            guard mknodat(parent, name, kind | mode, dev) == 0 else { throw posixFail(raw, "mknodat") }
            try own(raw) { fchownat(parent, name, uid, gid, AT_SYMLINK_NOFOLLOW) }
            guard fchmodat(parent, name, mode, 0) == 0 || errno == EOPNOTSUPP else { throw posixFail(raw, "fchmodat") }
            var t = times(entry)
            guard utimensat(parent, name, &t, AT_SYMLINK_NOFOLLOW) == 0 else { throw posixFail(raw, "utimensat") }
        default:
            // Sockets and unknown kinds have no place in an image; Docker skips them too.
            break
        }
    }

    /// Ownership is kept when running as root; otherwise files belong to the caller.
    private func own(_ raw: String, _ call: () -> Int32) throws {
        guard asRoot else { return }
        guard call() == 0 else { throw posixFail(raw, "chown") }
    }

    private func times(_ entry: OpaquePointer) -> [timespec] {
        let atime = sw_archive_entry_atime_is_set(entry) != 0
            ? timespec(tv_sec: sw_archive_entry_atime(entry), tv_nsec: sw_archive_entry_atime_nsec(entry))
            : timespec(tv_sec: sw_archive_entry_mtime(entry), tv_nsec: sw_archive_entry_mtime_nsec(entry))
        let mtime = timespec(tv_sec: sw_archive_entry_mtime(entry), tv_nsec: sw_archive_entry_mtime_nsec(entry))
        return [atime, mtime]
    }

    private func copyData(from archive: OpaquePointer, entry: OpaquePointer, to fd: Int32, raw: String) throws {
        var buf: UnsafeRawPointer?
        var size = 0
        var offset: la_int64_t = 0
        var end: Int64 = 0
        while true {
            let r = sw_archive_read_data_block(archive, &buf, &size, &offset)
            if r == ARCHIVE_EOF { break }
            guard r == ARCHIVE_OK || r == ARCHIVE_WARN else {
                throw fail(raw, "cannot read its data: \(LayerUnpacker.archiveError(archive))")
            }
            guard let buf else { continue }
            var done = 0
            while done < size {
                let n = pwrite(fd, buf + done, size - done, off_t(offset) + off_t(done))
                if n < 0 { if errno == EINTR { continue }; throw posixFail(raw, "write") }
                done += n
            }
            end = max(end, Int64(offset) + Int64(size))
        }
        // A sparse file's size is its entry's size, holes at the end included.
        let total = Int64(sw_archive_entry_size(entry))
        if total > end, ftruncate(fd, off_t(total)) != 0 { throw posixFail(raw, "ftruncate") }
    }

    private func xattrs(_ entry: OpaquePointer, path: String, raw: String, follow: Bool) throws {
        guard sw_archive_entry_xattr_reset(entry) > 0 else { return }
        var name: UnsafePointer<CChar>?
        var value: UnsafeRawPointer?
        var size = 0
        while sw_archive_entry_xattr_next(entry, &name, &value, &size) == ARCHIVE_OK {
            guard let name else { continue }
            let key = String(cString: name)
            if key.hasPrefix("trusted.overlay.") { continue }
            let r = follow ? setxattr(path, key, value, size, 0) : lsetxattr(path, key, value, size, 0)
            if r != 0 && errno != ENOTSUP && errno != EPERM {
                throw posixFail(raw, "setxattr \(key)")
            }
        }
    }

    /// Applies the directories' modes, owners and times, deepest first.
    func finish() throws {
        for d in pendingDirs.reversed() {
            let raw = d.path.joined(separator: "/")
            let fd = try directory(d.path[...], for: raw.isEmpty ? "." : raw)
            try own(raw) { fchown(fd, d.uid, d.gid) }
            guard fchmod(fd, d.mode) == 0 else { throw posixFail(raw, "fchmod") }
            var t = d.times
            guard futimens(fd, &t) == 0 else { throw posixFail(raw, "futimens") }
        }
        pendingDirs = []
    }
}
