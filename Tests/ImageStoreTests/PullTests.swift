import CLinux
import Foundation
import Testing
@testable import ImageStore
import OCI

/// Pulls from a real registry (Debian's docker-registry on 127.0.0.1) through the store, and
/// checks what a user would see: the merged root filesystem (layers stacked with overlayfs),
/// the references, the shared layer directories, and clear errors for broken or hostile input.
@Suite("Pulling from a real registry", .serialized)
struct PullTests {
    let fx: RegistryFixture
    init() throws { fx = try RegistryFixture.get() }

    func ref(_ tag: String, port: Int? = nil, prefix: String = "") throws -> Reference {
        try Reference(parsing: "127.0.0.1:\(port ?? fx.port)/\(prefix)swtest/\(tag)")
    }

    // MARK: - Trees

    /// Mounts the image's layers read-only with overlayfs and compares the merged tree with
    /// the expected one: every path, its type, mode, owner, size, content digest, link target
    /// and device number; nothing more, nothing less.
    func mergedTreeDifferences(_ image: ImageStore.Image, expected: [String: [String: Any]]) throws -> [String] {
        let mnt = NSTemporaryDirectory() + "swcompose-merged-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: mnt, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: mnt) }
        let lower = image.layerDirectories.reversed().joined(separator: ":")
        let dirs = image.layerDirectories.count
        if dirs == 1 {
            // One layer: its directory is the tree (overlayfs wants two lowers without an upper).
            return try compare(root: image.layerDirectories[0], expected: expected)
        }
        guard mount("overlay", mnt, "overlay", UInt(MS_RDONLY), "lowerdir=\(lower)") == 0 else {
            throw ImageStoreError.posix("mount overlay", mnt)
        }
        defer { umount2(mnt, Int32(MNT_DETACH)) }
        return try compare(root: mnt, expected: expected)
    }

    func compare(root: String, expected: [String: [String: Any]]) throws -> [String] {
        var seen: [String: stat] = [:]
        func walk(_ rel: String) {
            let full = root + rel
            for name in (try? FileManager.default.contentsOfDirectory(atPath: full.isEmpty ? "/" : full)) ?? [] {
                let p = rel + "/" + name
                var st = stat()
                guard lstat(root + p, &st) == 0 else { continue }
                seen[p] = st
                if (st.st_mode & S_IFMT) == S_IFDIR { walk(p) }
            }
        }
        walk("")
        var diffs: [String] = []
        for p in Set(seen.keys).subtracting(expected.keys).sorted() { diffs.append("\(p): present but not expected") }
        for (p, want) in expected.sorted(by: { $0.key < $1.key }) {
            guard let st = seen[p] else { diffs.append("\(p): missing"); continue }
            let type = want["type"] as? String ?? ""
            let kinds: [String: mode_t] = ["file": S_IFREG, "hardlink": S_IFREG, "dir": S_IFDIR, "symlink": S_IFLNK, "char": S_IFCHR, "block": S_IFBLK, "fifo": S_IFIFO]
            if let k = kinds[type], (st.st_mode & S_IFMT) != k { diffs.append("\(p): not a \(type)"); continue }
            if type != "symlink", let mode = want["mode"] as? Int, Int(st.st_mode & 0o7777) != mode {
                diffs.append("\(p): mode \(String(st.st_mode & 0o7777, radix: 8)), want \(String(mode, radix: 8))")
            }
            if let uid = want["uid"] as? Int, Int(st.st_uid) != uid { diffs.append("\(p): uid \(st.st_uid), want \(uid)") }
            if let gid = want["gid"] as? Int, Int(st.st_gid) != gid { diffs.append("\(p): gid \(st.st_gid), want \(gid)") }
            if type == "file" || type == "hardlink" {
                if let size = want["size"] as? Int, Int(st.st_size) != size { diffs.append("\(p): size \(st.st_size), want \(size)") }
                if let sha = want["sha256"] as? String {
                    let got = try SHA256Stream.digest(of: FileManager.default.contents(atPath: root + p) ?? Data()).encoded
                    if got != sha { diffs.append("\(p): content \(got), want \(sha)") }
                }
                if let mtime = want["mtime"] as? Int, Int(st.st_mtim.tv_sec) != mtime { diffs.append("\(p): mtime \(st.st_mtim.tv_sec), want \(mtime)") }
            }
            if type == "hardlink", let target = want["link"] as? String, let t = seen[target], t.st_ino != st.st_ino {
                diffs.append("\(p): not a hard link of \(target)")
            }
            if type == "symlink", let link = want["link"] as? String {
                let got = (try? FileManager.default.destinationOfSymbolicLink(atPath: root + p)) ?? ""
                if got != link { diffs.append("\(p): link \(got), want \(link)") }
            }
            if type == "char" || type == "block", let major = want["devmajor"] as? Int, let minor = want["devminor"] as? Int {
                if st.st_rdev != cl_makedev(UInt32(major), UInt32(minor)) { diffs.append("\(p): device \(st.st_rdev), want \(major):\(minor)") }
            }
        }
        return diffs
    }

    // MARK: - Good images

    @Test("a pulled image's merged tree is the expected one", arguments: ["busybox:schema2", "busybox:oci", "busybox:multi-docker", "busybox:multi"])
    func mergedTree(tag: String) async throws {
        let s = try StoreScratch()
        let image = try await s.store.pull(try ref(tag), platform: Platform(os: "linux", architecture: "amd64"), client: s.client())
        #expect(try mergedTreeDifferences(image, expected: fx.tree("swtest/" + tag)) == [])
        #expect(image.config.config?.Cmd == ["sh"])
        // The reference is recorded and resolves to the same image.
        let again = try s.store.image(try ref(tag))
        #expect(again?.manifestDigest == image.manifestDigest)
        #expect(try s.store.list().map { $0.reference?.description } == [try ref(tag).description])
    }

    @Test func indexSelectsThePlatform() async throws {
        let s = try StoreScratch()
        for (platform, want) in [("linux/amd64", "amd64"), ("linux/arm64", "arm64"), ("linux/arm64/v8", "arm64")] {
            let img = try await s.store.pull(try ref("busybox:multi"), platform: try Platform(parsing: platform), client: s.client())
            let top = img.layerDirectories.reversed().first { FileManager.default.fileExists(atPath: $0 + "/platform") }
            #expect(top.flatMap { try? String(contentsOfFile: $0 + "/platform", encoding: .utf8) } == want, "\(platform)")
        }
        await #expect {
            _ = try await s.store.pull(try ref("busybox:multi"), platform: try Platform(parsing: "linux/s390x"), client: s.client())
        } throws: { "\($0)".contains("no matching manifest for linux/s390x") }
    }

    @Test func imagesWithTheSameBaseShareLayerDirectories() async throws {
        let s = try StoreScratch()
        let a = try await s.store.pull(try ref("busybox:schema2"), client: s.client())
        var before = stat()
        stat(a.layerDirectories[0], &before)
        let b = try await s.store.pull(try ref("busybox:oci"), client: s.client())
        // schema2's three layers are oci's first three (same diff IDs): one directory each.
        #expect(Array(b.layerDirectories.prefix(3)) == a.layerDirectories)
        #expect(Set(s.layerDirectories()).count == 5)
        var after = stat()
        stat(a.layerDirectories[0], &after)
        #expect(before.st_ino == after.st_ino, "the shared layer was not unpacked again")
    }

    @Test func concurrentPullsEndWithOneCopy() async throws {
        let s = try StoreScratch()
        let first = s.store, second = try ImageStore(root: s.path + "/images")
        let r1 = try ref("busybox:schema2"), r2 = try ref("busybox:oci"), c1 = s.client(), c2 = s.client()
        async let x = first.pull(r1, client: c1)
        async let y = second.pull(r2, client: c2)
        let (a, b) = try await (x, y)
        #expect(Array(b.layerDirectories.prefix(3)) == a.layerDirectories)
        #expect(s.layerDirectories().filter { $0.hasPrefix(".tmp-") } == [])
        #expect(s.layerDirectories().count == 5)
        #expect(try mergedTreeDifferences(a, expected: fx.tree("swtest/busybox:schema2")) == [])
        #expect(try mergedTreeDifferences(b, expected: fx.tree("swtest/busybox:oci")) == [])
    }

    @Test func removeAndPruneKeepOnlyWhatIsUsed() async throws {
        let s = try StoreScratch()
        _ = try await s.store.pull(try ref("busybox:schema2"), client: s.client())
        let oci = try await s.store.pull(try ref("busybox:oci"), client: s.client())
        try s.store.remove([try ref("busybox:oci")])
        #expect(s.layerDirectories().count == 3)
        #expect(!FileManager.default.fileExists(atPath: oci.layerDirectories[4]))
        #expect(try s.store.image(try ref("busybox:schema2")) != nil)
        try s.store.remove([try ref("busybox:schema2")])
        #expect(s.layerDirectories() == [])
        #expect(s.blobs() == [])
        #expect(throws: ImageStoreError.self) { try s.store.remove([try ref("busybox:schema2")]) }
    }

    // MARK: - Bad input

    @Test("a hostile layer fails the pull, writes nothing outside, leaves nothing behind", arguments: [
        ("dotdot", "path leaves the layer through \"..\""),
        ("absolute", "absolute path in a layer"),
        ("symlink", "is a symbolic link in this layer"),
        ("symlink-rel", "is a symbolic link in this layer"),
        ("hardlink", "path leaves the layer through \"..\""),
        ("hardlink-abs", "absolute path in a layer"),
        ("whiteout-escape", "path leaves the layer through \"..\""),
        ("size-mismatch", "larger than the 121 bytes its descriptor says"),
    ])
    func hostileLayer(tag: String, message: String) async throws {
        let s = try StoreScratch()
        // A file next to the store that a whiteout escape would delete.
        let victim = s.path + "/images/swtest-victim"
        FileManager.default.createFile(atPath: victim, contents: Data("keep".utf8))
        await #expect {
            _ = try await s.store.pull(try ref("evil:" + tag), client: s.client())
        } throws: { "\($0)".contains(message) }
        #expect(try s.store.list().isEmpty)
        #expect(s.layerDirectories() == [])
        let layerBlobs = ((fx.image("swtest/evil:" + tag)["layers"] as? [[String: Any]]) ?? []).compactMap { ($0["digest"] as? String)?.dropFirst(7) }
        for b in layerBlobs { #expect(!s.blobs().contains(String(b))) }
        for p in ["/etc/swtest-escape", "/etc/swtest-escape-abs", "/etc/swtest-escape-sym", "/swtest-escape-rel", "/tmp/swtest-escape-rel"] {
            #expect(!FileManager.default.fileExists(atPath: p), "\(p) was written")
        }
        #expect(FileManager.default.fileExists(atPath: victim))
        #expect(((try? FileManager.default.contentsOfDirectory(atPath: s.path + "/images/ingest")) ?? []).allSatisfy { !$0.hasPrefix(".put-") })
    }

    /// A symbolic link in one layer and a file "through" it in the next: each layer has its own
    /// directory, so the file lands inside the image (never on the host).
    @Test func aLinkFromALowerLayerIsNotFollowedOutOfTheImage() async throws {
        let s = try StoreScratch()
        let img = try await s.store.pull(try ref("evil:symlink-layers"), client: s.client())
        #expect(!FileManager.default.fileExists(atPath: "/etc/swtest-escape-layers"))
        #expect(img.layerDirectories.allSatisfy { $0.hasPrefix(s.path) })
    }

    @Test func unknownTagSaysManifestUnknown() async throws {
        let s = try StoreScratch()
        await #expect {
            _ = try await s.store.pull(try ref("busybox:no-such-tag"), client: s.client())
        } throws: { "\($0)".contains("manifest unknown") && "\($0)".contains("no-such-tag") && "\($0)".contains("404") }
        #expect(s.blobs() == [])
    }

    @Test("transient registry failures are retried or resumed", arguments: ["500once", "429once", "reset", "truncate", "eof", "redirect"])
    func survivesFault(fault: String) async throws {
        fx.resetFaults()
        let s = try StoreScratch()
        let img = try await s.store.pull(try ref("busybox:schema2", port: fx.proxyPort, prefix: "fault-\(fault)/"), client: s.client())
        #expect(img.manifestDigest.description == fx.digest("swtest/busybox:schema2"))
        #expect(try mergedTreeDifferences(img, expected: fx.tree("swtest/busybox:schema2")) == [])
    }

    @Test("corrupt content is refused and never stored", arguments: [("corrupt", "failed verification"), ("corruptmanifest", "failed verification")])
    func refusesCorruption(fault: String, message: String) async throws {
        fx.resetFaults()
        let s = try StoreScratch()
        await #expect {
            _ = try await s.store.pull(try ref("busybox:schema2", port: fx.proxyPort, prefix: "fault-\(fault)/"), client: s.client())
        } throws: { "\($0)".contains(message) }
        #expect(try s.store.list().isEmpty)
        // Whatever is in the store is what its name says.
        for b in s.blobs() {
            let data = FileManager.default.contents(atPath: s.path + "/images/blobs/sha256/" + b) ?? Data()
            #expect(try SHA256Stream.digest(of: data).encoded == b)
        }
    }

    @Test func resumesAPartialDownload() async throws {
        let s = try StoreScratch()
        let manifest = try JSONDecoder().decode(Manifest.self, from: try await s.client().manifest(try ref("busybox:schema2")).data)
        let big = try #require(manifest.layers.max { $0.size < $1.size })
        // What a killed pull leaves: the first half of the blob in ingest/.
        let whole = try await fetchWhole(big, s)
        FileManager.default.createFile(atPath: s.path + "/images/ingest/" + big.digest.encoded, contents: whole.prefix(whole.count / 2))
        try await s.client().fetchBlob(try ref("busybox:schema2", port: fx.proxyPort), big, into: s.store.content)
        #expect(s.store.content.has(big.digest, size: big.size))
        let asked = fx.proxyLog().filter { ($0["path"] as? String ?? "").hasSuffix(big.digest.description) }
        #expect(asked.last?["range"] as? String == "bytes=\(whole.count / 2)-", "only the second half was asked for")
        #expect(asked.last?["status"] as? Int == 206)
    }

    func fetchWhole(_ d: Descriptor, _ s: StoreScratch) async throws -> Data {
        let other = try StoreScratch()
        try await other.client().fetchBlob(try ref("busybox:schema2"), d, into: other.store.content)
        return try other.store.content.read(d.digest)
    }
}
