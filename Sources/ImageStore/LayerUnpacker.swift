import CArchive
import CLinux
import Foundation
import OCI

/// Unpacks one layer blob into its own, empty directory, the form overlayfs takes as a lower
/// layer: OCI whiteouts (`.wh.NAME`) become 0/0 character devices, opaque markers
/// (`.wh..wh..opq`) the `trusted.overlay.opaque` attribute of their directory.
///
/// libarchive reads the compression (gzip, zstd, none) and the tar format (ustar, pax, GNU);
/// the files are written here, not by libarchive, so that nothing can land outside the layer
/// directory: each entry's path is cleaned lexically (an absolute path or a `..` that climbs
/// out is refused), and it is reached from the layer root one component at a time with
/// `openat(…, O_NOFOLLOW)`, so a symbolic link planted by the layer is never followed (a path
/// through one is refused, where Docker would follow it inside a chroot). Hard links must point
/// at a file of the same layer. Ownership, modes, timestamps and extended attributes are kept
/// (`trusted.overlay.*` ones from the tar are dropped: only the unpacker writes those).
///
/// The uncompressed stream is hashed on the way, and its digest is the layer's diff ID.
public enum LayerUnpacker {
    public struct Result: Sendable {
        public var diffID: Digest
        public var entries: Int
        /// Bytes of the uncompressed tar.
        public var size: Int64
    }

    public static func unpack(blob: String, compression: MediaType.Compression, into dest: String,
                              layer: String) throws -> Result {
        var loadError = [CChar](repeating: 0, count: 512)
        guard sw_archive_load(&loadError, loadError.count) == 0 else { throw ImageStoreError(String(cString: loadError)) }
        guard let outer = sw_archive_read_new() else { throw ImageStoreError("libarchive: out of memory") }
        defer { sw_archive_read_free(outer) }
        switch compression {
        case .gzip: sw_archive_read_support_filter_gzip(outer)
        case .zstd: sw_archive_read_support_filter_zstd(outer)
        case .none: sw_archive_read_support_filter_none(outer)
        }
        sw_archive_read_support_format_raw(outer)
        guard sw_archive_read_open_filename(outer, blob, 1 << 20) == ARCHIVE_OK else {
            throw ImageStoreError("layer \(layer): \(archiveError(outer))")
        }
        var rawEntry: OpaquePointer?
        guard sw_archive_read_next_header(outer, &rawEntry) == ARCHIVE_OK else {
            throw ImageStoreError("layer \(layer): cannot decompress (\(compression.rawValue)): \(archiveError(outer))")
        }
        let feed = try Feed(outer: outer)
        guard let inner = sw_archive_read_new() else { throw ImageStoreError("libarchive: out of memory") }
        defer { sw_archive_read_free(inner) }
        sw_archive_read_support_format_tar(inner)
        sw_archive_read_support_format_gnutar(inner)
        let ctx = Unmanaged.passUnretained(feed).toOpaque()
        guard sw_archive_read_open(inner, ctx, nil, { _, ctx, buffer in
            let feed = Unmanaged<Feed>.fromOpaque(ctx!).takeUnretainedValue()
            return feed.read(buffer)
        }, nil) == ARCHIVE_OK else {
            throw ImageStoreError("layer \(layer): not a tar archive: \(feed.error ?? archiveError(inner))")
        }
        let writer = try TreeWriter(root: dest, layer: layer)
        defer { writer.close() }
        var count = 0
        while true {
            var entry: OpaquePointer?
            let r = sw_archive_read_next_header(inner, &entry)
            if r == ARCHIVE_EOF { break }
            guard r == ARCHIVE_OK || r == ARCHIVE_WARN, let entry else {
                throw ImageStoreError("layer \(layer): corrupt tar after \(count) entries: \(feed.error ?? archiveError(inner))")
            }
            try writer.write(entry, from: inner)
            count += 1
        }
        try writer.finish()
        // The diff ID covers the whole uncompressed stream, padding after the tar's end included.
        try feed.drain()
        if let e = feed.error { throw ImageStoreError("layer \(layer): \(e)") }
        return Result(diffID: feed.hasher.finish(), entries: count, size: feed.hasher.count)
    }

    static func archiveError(_ a: OpaquePointer?) -> String {
        sw_archive_error_string(a).map { String(cString: $0) } ?? "unknown libarchive error"
    }

    /// Pulls decompressed bytes out of the outer (raw) archive for the tar reader, hashing them.
    final class Feed {
        let outer: OpaquePointer
        let hasher: SHA256Stream
        let capacity = 1 << 20
        let buffer: UnsafeMutableRawPointer
        var error: String?

        init(outer: OpaquePointer) throws {
            self.outer = outer
            hasher = try SHA256Stream()
            buffer = UnsafeMutableRawPointer.allocate(byteCount: capacity, alignment: 16)
        }

        deinit { buffer.deallocate() }

        func read(_ out: UnsafeMutablePointer<UnsafeRawPointer?>?) -> la_ssize_t {
            let n = sw_archive_read_data(outer, buffer, capacity)
            if n < 0 {
                error = "decompression failed: \(LayerUnpacker.archiveError(outer))"
                return -1
            }
            hasher.update(UnsafeRawBufferPointer(start: buffer, count: n))
            out?.pointee = UnsafeRawPointer(buffer)
            return n
        }

        func drain() throws {
            var sink: UnsafeRawPointer?
            while read(&sink) > 0 {}
        }
    }
}
