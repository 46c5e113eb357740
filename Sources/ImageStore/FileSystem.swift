import Foundation

/// The few file operations the store needs, with errors that name the call and the path.
enum FileSystem {
    static func makeDirectories(_ path: String, mode: mode_t = 0o700) throws {
        do {
            try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true,
                                                    attributes: [.posixPermissions: Int(mode)])
        } catch {
            throw ImageStoreError("cannot create directory \(path): \(error.localizedDescription)")
        }
    }

    /// Writes a file and fsyncs it (the caller renames it into place).
    static func writeDurably(_ data: Data, to path: String, mode: mode_t = 0o644) throws {
        let fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode)
        guard fd >= 0 else { throw ImageStoreError.posix("open", path) }
        defer { close(fd) }
        try data.withUnsafeBytes { raw in
            var done = 0
            while done < raw.count {
                let n = write(fd, raw.baseAddress! + done, raw.count - done)
                if n < 0 { if errno == EINTR { continue }; throw ImageStoreError.posix("write", path) }
                done += n
            }
        }
        guard fsync(fd) == 0 else { throw ImageStoreError.posix("fsync", path) }
    }

    static func rename(_ from: String, _ to: String) throws {
        guard Glibc.rename(from, to) == 0 else { throw ImageStoreError.posix("rename \(from) to", to) }
    }

    /// Removes a tree without following symbolic links (layer directories hold untrusted
    /// links). Missing is fine.
    static func removeTree(_ path: String) throws {
        var st = stat()
        guard lstat(path, &st) == 0 else { return }
        if (st.st_mode & S_IFMT) == S_IFDIR {
            // Make sure we may list and delete inside it (layers may carry 0o000 directories).
            chmod(path, 0o700)
            for name in (try? FileManager.default.contentsOfDirectory(atPath: path)) ?? [] {
                try removeTree(path + "/" + name)
            }
            guard rmdir(path) == 0 else { throw ImageStoreError.posix("rmdir", path) }
        } else {
            guard unlink(path) == 0 || errno == ENOENT else { throw ImageStoreError.posix("unlink", path) }
        }
    }
}
