import Foundation

/// Writes a POSIX ustar stream: directories, regular files (from memory or copied from a file)
/// and symbolic links — what an image archive holds. Times are 0 and owners root, so saving the
/// same images twice gives the same bytes. Sizes past ustar's 8 GiB use the base-256 form GNU
/// tar and libarchive read; names longer than 100 bytes are split into ustar's prefix field.
final class TarWriter {
    private let fd: Int32
    private let label: String
    private(set) var written: Int64 = 0

    init(fd: Int32, label: String) { self.fd = fd; self.label = label }

    func directory(_ name: String) throws {
        try header(name.hasSuffix("/") ? name : name + "/", size: 0, mode: 0o755, type: "5")
    }

    func file(_ name: String, data: Data) throws {
        try header(name, size: Int64(data.count), mode: 0o644, type: "0")
        try data.withUnsafeBytes { try put($0) }
        try pad(Int64(data.count))
    }

    /// Copies the file at `path` (which must stay `size` bytes long while it is copied).
    func file(_ name: String, copying path: String, size: Int64) throws {
        try header(name, size: size, mode: 0o644, type: "0")
        try FileCopy.copy(from: path, size: size, to: fd, label: label)
        written += size
        try pad(size)
    }

    func symlink(_ name: String, target: String) throws {
        try header(name, size: 0, mode: 0o777, type: "2", link: target)
    }

    /// The two zero blocks that end an archive.
    func finish() throws {
        try Self.zeros.withUnsafeBytes { try put($0) }
        try Self.zeros.withUnsafeBytes { try put($0) }
    }

    private static let zeros = [UInt8](repeating: 0, count: 512)

    private func header(_ name: String, size: Int64, mode: Int, type: Character, link: String = "") throws {
        var h = [UInt8](repeating: 0, count: 512)
        func field(_ offset: Int, _ length: Int, _ bytes: some Collection<UInt8>) {
            for (i, b) in bytes.prefix(length).enumerated() { h[offset + i] = b }
        }
        func octal(_ offset: Int, _ length: Int, _ value: Int64) {
            let s = String(value, radix: 8)
            field(offset, length - 1, Array(String(repeating: "0", count: max(0, length - 1 - s.count)).utf8) + Array(s.utf8))
        }
        let bytes = Array(name.utf8)
        if bytes.count <= 100 {
            field(0, 100, bytes)
        } else {
            // Split at a "/" so that the prefix is at most 155 bytes and the rest at most 100.
            guard let cut = bytes.indices.last(where: { bytes[$0] == UInt8(ascii: "/") && $0 <= 155 && bytes.count - $0 - 1 <= 100 }) else {
                throw ImageStoreError("\(label): the name \(name) is too long for a tar archive")
            }
            field(345, 155, bytes[..<cut])
            field(0, 100, bytes[(cut + 1)...])
        }
        guard link.utf8.count <= 100 else { throw ImageStoreError("\(label): link target \(link) is too long") }
        octal(100, 8, Int64(mode))
        octal(108, 8, 0)
        octal(116, 8, 0)
        if size < 0o77777777777 {
            octal(124, 12, size)
        } else {
            h[124] = 0x80
            var v = size
            for i in stride(from: 135, to: 124, by: -1) { h[i] = UInt8(v & 0xff); v >>= 8 }
        }
        octal(136, 12, 0)
        h[156] = type.asciiValue!
        field(157, 100, Array(link.utf8))
        field(257, 6, Array("ustar\0".utf8))
        field(263, 2, Array("00".utf8))
        field(265, 32, Array("root".utf8))
        field(297, 32, Array("root".utf8))
        for i in 148..<156 { h[i] = 0x20 }
        let sum = h.reduce(0) { $0 + Int($1) }
        octal(148, 7, Int64(sum))
        h[155] = 0x20
        try h.withUnsafeBytes { try put($0) }
    }

    private func pad(_ size: Int64) throws {
        let rest = Int((512 - size % 512) % 512)
        if rest > 0 { try Self.zeros.withUnsafeBytes { try put(UnsafeRawBufferPointer(rebasing: $0.prefix(rest))) } }
    }

    private func put(_ bytes: UnsafeRawBufferPointer) throws {
        try FileCopy.writeAll(fd, bytes, label: label)
        written += Int64(bytes.count)
    }
}

/// Copying bytes between descriptors, with the kernel doing it where it can.
enum FileCopy {
    static func writeAll(_ fd: Int32, _ bytes: UnsafeRawBufferPointer, label: String) throws {
        var done = 0
        while done < bytes.count {
            let n = write(fd, bytes.baseAddress! + done, bytes.count - done)
            if n < 0 { if errno == EINTR { continue }; throw ImageStoreError.posix("write", label) }
            done += n
        }
    }

    /// Copies `size` bytes of the file at `path` to `out` (a file or a pipe): `sendfile`, and
    /// read/write where the kernel refuses it.
    static func copy(from path: String, size: Int64, to out: Int32, label: String) throws {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw ImageStoreError.posix("open", path) }
        defer { close(fd) }
        var left = size
        while left > 0 {
            let n = sendfile(out, fd, nil, Int(min(left, 1 << 30)))
            if n > 0 { left -= Int64(n); continue }
            if n < 0 && errno == EINTR { continue }
            if n == 0 { throw ImageStoreError("\(path): the file ended \(left) bytes early") }
            guard errno == EINVAL || errno == ENOSYS else { throw ImageStoreError.posix("sendfile to", label) }
            var buf = [UInt8](repeating: 0, count: 1 << 20)
            while left > 0 {
                let r = buf.withUnsafeMutableBytes { read(fd, $0.baseAddress, min($0.count, Int(left))) }
                if r < 0 { if errno == EINTR { continue }; throw ImageStoreError.posix("read", path) }
                if r == 0 { throw ImageStoreError("\(path): the file ended \(left) bytes early") }
                try buf.withUnsafeBytes { try writeAll(out, UnsafeRawBufferPointer(rebasing: $0.prefix(r)), label: label) }
                left -= Int64(r)
            }
        }
    }
}
