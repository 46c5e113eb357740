import Foundation
import Testing
@testable import ImageStore
import OCI

/// `image save` and `image load` without a registry: round trips through the archive and
/// layout forms, Docker's own archive format (built here the way `docker save` before 25
/// wrote it), and archives that are broken or hostile.
@Suite("Image archives: save and load", .serialized)
struct ArchiveTests {
    let fx: RegistryFixture
    init() throws { fx = try RegistryFixture.get() }

    func ref(_ tag: String) throws -> Reference { try Reference(parsing: "127.0.0.1:\(fx.port)/swtest/\(tag)") }

    func pulled(_ tags: [String]) async throws -> StoreScratch {
        let s = try StoreScratch()
        for t in tags { _ = try await s.store.pull(try ref(t), client: s.client()) }
        return s
    }

    @Test("save then load gives the same images, manifests and trees", arguments: [ImageStore.SaveFormat.tar, .directory])
    func roundTrip(format: ImageStore.SaveFormat) async throws {
        let a = try await pulled(["busybox:schema2", "busybox:oci"])
        let out = a.path + (format == .tar ? "/saved.tar" : "/saved-layout")
        try a.store.save([try ref("busybox:schema2").description, try ref("busybox:oci").description], to: out, format: format)
        let b = try StoreScratch()
        var reported: [String] = []
        try b.store.load(from: out) { reported += $0.names.map(\.description) }
        #expect(reported == [try ref("busybox:schema2").description, try ref("busybox:oci").description])
        for tag in ["busybox:schema2", "busybox:oci"] {
            let original = try #require(try a.store.image(try ref(tag)))
            let loaded = try #require(try b.store.image(try ref(tag)))
            #expect(loaded.manifestDigest == original.manifestDigest, "the manifest keeps its digest")
            #expect(loaded.configDigest == original.configDigest)
            #expect(try PullTests().mergedTreeDifferences(loaded, expected: fx.tree("swtest/" + tag)) == [])
        }
        // The loaded store holds exactly the blobs the images need.
        #expect(b.blobs() == a.blobs().filter { b.blobs().contains($0) })
        #expect(try b.store.prune().blobs == [])
        #expect(b.ingestLeftovers() == [])
    }

    @Test func aSavedTarIsReproducibleAndReadableByTar() async throws {
        let a = try await pulled(["busybox:schema2"])
        let name = try ref("busybox:schema2").description
        try a.store.save([name], to: a.path + "/one.tar", format: .tar)
        try a.store.save([name], to: a.path + "/two.tar", format: .tar)
        #expect(FileManager.default.contents(atPath: a.path + "/one.tar") == FileManager.default.contents(atPath: a.path + "/two.tar"))
        try RegistryFixture.run("/bin/tar", ["-tf", a.path + "/one.tar"], log: a.path + "/list.txt")
        let listed = try String(contentsOfFile: a.path + "/list.txt", encoding: .utf8).split(separator: "\n").map(String.init)
        #expect(listed.contains("oci-layout") && listed.contains("index.json") && listed.contains("manifest.json"))
        #expect(listed.filter { $0.hasPrefix("blobs/sha256/") && $0.count > 13 }.count == 5, "3 layers, a config and a manifest")
        // manifest.json names the image as Docker does and points at the same layer blobs.
        try RegistryFixture.run("/bin/tar", ["-xf", a.path + "/one.tar", "-C", a.path, "manifest.json"], log: "/dev/null")
        let legacy = try JSONSerialization.jsonObject(with: try Data(contentsOf: URL(fileURLWithPath: a.path + "/manifest.json"))) as? [[String: Any]]
        #expect(legacy?.first?["RepoTags"] as? [String] == ["127.0.0.1:\(fx.port)/swtest/busybox:schema2"])
        #expect((legacy?.first?["Layers"] as? [String])?.count == 3)
    }

    @Test func anImageSavedByIDLoadsUntaggedAndIsRemovedByID() async throws {
        let a = try await pulled(["busybox:oci"])
        let image = try #require(try a.store.image(try ref("busybox:oci")))
        let id = String(image.configDigest.encoded.prefix(12))
        try a.store.save([id], to: a.path + "/id.tar", format: .tar)
        let b = try StoreScratch()
        let loaded = try b.store.load(from: a.path + "/id.tar")
        #expect(loaded.map(\.names) == [[]])
        let list = try b.store.list()
        #expect(list.count == 1 && list[0].reference == nil && list[0].config == image.configDigest)
        // A name loaded later takes over from the ID entry.
        try a.store.save([try ref("busybox:oci").description], to: a.path + "/named.tar", format: .tar)
        try b.store.load(from: a.path + "/named.tar")
        #expect(try b.store.list().map { $0.reference?.description } == [try ref("busybox:oci").description])
        let removed = try b.store.remove(words: [id])
        #expect(removed.untagged == [try ref("busybox:oci").description])
        #expect(b.layerDirectories() == [] && b.blobs() == [])
    }

    @Test func removingByIDWithSeveralNamesNeedsForce() async throws {
        let a = try await pulled(["busybox:schema2", "busybox:multi-docker"])  // one config, two names
        let id = try #require(try a.store.image(try ref("busybox:schema2"))).configDigest.encoded
        #expect { try a.store.remove(words: [String(id.prefix(8))]) } throws: { "\($0)".contains("must be forced") }
        #expect(try a.store.list().count == 2)
        try a.store.remove(words: ["sha256:" + id], force: true)
        #expect(try a.store.list().isEmpty && a.layerDirectories().isEmpty)
    }

    @Test func theFixtureLayoutLoadsUpToItsFirstHostileImage() throws {
        // The fixture's OCI layout lists the good images first, then hostile ones.
        let b = try StoreScratch()
        var names: [String] = []
        #expect {
            try b.store.load(from: fx.dir + "/images/oci") { names += $0.names.map(\.description) }
        } throws: { "\($0)".contains("path leaves the layer through \"..\"") }
        #expect(names == ["docker.io/swtest/busybox:schema2", "docker.io/swtest/busybox:oci", "docker.io/swtest/busybox:multi", "docker.io/swtest/busybox:multi-docker"])
        #expect(try b.store.list().count == 4)
        // Nothing of the hostile image's layer stays, and nothing escaped.
        #expect(b.layerDirectories().count == 5, "schema2, multi and multi-docker share three layers; oci adds two")
        #expect(!FileManager.default.fileExists(atPath: "/etc/swtest-escape"))
    }

    // MARK: - Other tools' archives

    /// skopeo (containers/image, what podman uses) reads what we save and writes what we load.
    @Test func skopeoReadsOurArchivesAndWritesOnesWeLoad() async throws {
        let a = try await pulled(["busybox:schema2"])
        let name = try ref("busybox:schema2").description
        let original = try #require(try a.store.image(try ref("busybox:schema2")))
        try a.store.save([name], to: a.path + "/ours.tar", format: .tar)
        try RegistryFixture.run("/usr/bin/skopeo", ["inspect", "--raw", "oci-archive:" + a.path + "/ours.tar"], log: a.path + "/raw.json")
        #expect(try SHA256Stream.digest(of: Data(contentsOf: URL(fileURLWithPath: a.path + "/raw.json"))) == original.manifestDigest,
                "skopeo finds our manifest, byte for byte, in the OCI layout")
        try RegistryFixture.run("/usr/bin/skopeo", ["inspect", "--config", "docker-archive:" + a.path + "/ours.tar"], log: a.path + "/config.json")
        let config = try JSONDecoder().decode(ImageConfiguration.self, from: try Data(contentsOf: URL(fileURLWithPath: a.path + "/config.json")))
        #expect(config.rootfs.diff_ids == original.config.rootfs.diff_ids, "and reads manifest.json as a docker-archive")
        // Archives skopeo writes from the registry: docker-archive (tar) and an OCI layout directory.
        let source = "docker://127.0.0.1:\(fx.port)/swtest/busybox:schema2"
        try RegistryFixture.run("/usr/bin/skopeo", ["copy", "-q", "--src-tls-verify=false", source, "docker-archive:" + a.path + "/theirs.tar:swtest/from-skopeo:2"], log: "/dev/null")
        try RegistryFixture.run("/usr/bin/skopeo", ["copy", "-q", "--src-tls-verify=false", source, "oci:" + a.path + "/theirs-layout:example.org/swtest/layout:3"], log: "/dev/null")
        let b = try StoreScratch()
        #expect(try b.store.load(from: a.path + "/theirs.tar").flatMap(\.names).map(\.description) == ["docker.io/swtest/from-skopeo:2"])
        #expect(try b.store.load(from: a.path + "/theirs-layout").flatMap(\.names).map(\.description) == ["example.org/swtest/layout:3"])
        for n in ["swtest/from-skopeo:2", "example.org/swtest/layout:3"] {
            let img = try #require(try b.store.image(try Reference(parsing: n)))
            #expect(try PullTests().mergedTreeDifferences(img, expected: fx.tree("swtest/busybox:schema2")) == [], "\(n)")
        }
    }

    // MARK: - Docker's archive format

    /// Writes a tar the way `docker save` did before Docker 25: `<id>/layer.tar` (plain tars),
    /// a repeated layer as a symbolic link to the first, `<config hex>.json`, `manifest.json`.
    func legacyArchive(at path: String, diffIDOverride: Digest? = nil, compress: Bool = false) throws -> (config: Digest, layer: Digest) {
        let dir = (path as NSString).deletingLastPathComponent
        let layerPath = dir + "/layer-\(UUID().uuidString).tar"
        let lfd = open(layerPath, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        let lt = TarWriter(fd: lfd, label: layerPath)
        try lt.directory("etc")
        try lt.file("etc/hello", data: Data("hello from a docker save archive\n".utf8))
        try lt.symlink("etc/link", target: "hello")
        try lt.finish()
        close(lfd)
        let layerData = try Data(contentsOf: URL(fileURLWithPath: layerPath))
        let diffID = try SHA256Stream.digest(of: layerData)
        let config = ImageConfiguration(architecture: "amd64", os: "linux",
                                        rootfs: .init(diffIDs: [diffIDOverride ?? diffID, diffID]))
        let configData = try JSONEncoder().encode(config)
        let configDigest = try SHA256Stream.digest(of: configData)
        let manifest: [[String: Any]] = [["Config": configDigest.encoded + ".json", "RepoTags": ["legacy/app:1", "legacy/app:latest"],
                                          "Layers": ["aaa/layer.tar", "bbb/layer.tar"]]]
        let tarPath = compress ? path + ".plain" : path
        let fd = open(tarPath, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        let t = TarWriter(fd: fd, label: tarPath)
        try t.directory("aaa")
        try t.file("aaa/layer.tar", copying: layerPath, size: Int64(layerData.count))
        try t.file("aaa/VERSION", data: Data("1.0".utf8))
        try t.directory("bbb")
        try t.symlink("bbb/layer.tar", target: "../aaa/layer.tar")
        try t.file(configDigest.encoded + ".json", data: configData)
        try t.file("manifest.json", data: try JSONSerialization.data(withJSONObject: manifest))
        try t.file("repositories", data: Data(#"{"legacy/app":{"1":"aaa"}}"#.utf8))
        try t.finish()
        close(fd)
        if compress {
            try RegistryFixture.run("/bin/sh", ["-c", "gzip -c '\(tarPath)' > '\(path)'"], log: "/dev/null")
        }
        return (configDigest, diffID)
    }

    @Test("a docker save archive (pre-25 format) loads", arguments: [false, true])
    func legacyDockerArchive(gzipped: Bool) throws {
        let s = try StoreScratch()
        let (config, _) = try legacyArchive(at: s.path + "/legacy.tar", compress: gzipped)
        let loaded = try s.store.load(from: s.path + "/legacy.tar")
        #expect(loaded.map { $0.names.map(\.description) } == [["docker.io/legacy/app:1", "docker.io/legacy/app:latest"]])
        let image = try #require(try s.store.image(try Reference(parsing: "legacy/app:1")))
        #expect(image.configDigest == config)
        #expect(image.manifest.layers.map(\.mediaType) == [MediaType.ociLayer, MediaType.ociLayer])
        #expect(image.layerDirectories.count == 2)
        let top = image.layerDirectories[1]
        #expect(try String(contentsOfFile: top + "/etc/hello", encoding: .utf8) == "hello from a docker save archive\n")
        #expect(try FileManager.default.destinationOfSymbolicLink(atPath: top + "/etc/link") == "hello")
        #expect(s.ingestLeftovers() == [])
    }

    @Test func aLayerThatIsNotWhatTheConfigSaysFailsAndLeavesNothing() throws {
        let s = try StoreScratch()
        _ = try legacyArchive(at: s.path + "/bad.tar", diffIDOverride: try Digest.sha256(hex: String(repeating: "ab", count: 32)))
        #expect { try s.store.load(from: s.path + "/bad.tar") } throws: {
            "\($0)".contains("its uncompressed content has digest") && "\($0)".contains("the image config says sha256:abab")
        }
        #expect(try s.store.list().isEmpty)
        // The bad layer's directory is gone; the good one (unpacked beside it, verified) may
        // stay as a cache until `prune`, as pulled blobs do.
        #expect(!s.layerDirectories().contains("abab" + String(repeating: "ab", count: 30)))
        try s.store.prune()
        #expect(s.layerDirectories() == [] && s.blobs() == [])
        #expect(s.ingestLeftovers() == [])
    }

    @Test func aTamperedLayoutBlobIsRefused() async throws {
        let a = try await pulled(["busybox:oci"])
        let dir = a.path + "/layout"
        try a.store.save([try ref("busybox:oci").description], to: dir, format: .directory)
        let image = try #require(try a.store.image(try ref("busybox:oci")))
        let victim = dir + "/blobs/sha256/" + image.manifest.layers[1].digest.encoded
        var bytes = try Data(contentsOf: URL(fileURLWithPath: victim))
        bytes[bytes.count / 2] ^= 0xff
        try bytes.write(to: URL(fileURLWithPath: victim))
        let b = try StoreScratch()
        #expect { try b.store.load(from: dir) } throws: {
            "\($0)".contains("blobs/sha256/\(image.manifest.layers[1].digest.encoded) failed verification")
        }
        #expect(try b.store.list().isEmpty)
        #expect(!b.blobs().contains(image.manifest.layers[1].digest.encoded))
        #expect(b.layerDirectories() == [])
    }

    @Test func badArchivesGetClearErrors() throws {
        let s = try StoreScratch()
        let junk = s.path + "/junk.tar"
        try Data("this is not an archive\n".utf8).write(to: URL(fileURLWithPath: junk))
        #expect { try s.store.load(from: junk) } throws: { "\($0)".contains("junk.tar: not an image archive") }
        #expect { try s.store.load(from: s.path + "/missing.tar") } throws: { "\($0)".contains("missing.tar: No such file") }
        // A tar of something else; its hostile names are only keys and are never written.
        let other = s.path + "/other.tar"
        let escape = "swcompose-escape-\(UUID().uuidString)"
        let fd = open(other, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        let t = TarWriter(fd: fd, label: other)
        try t.file("../../../../../../tmp/\(escape)", data: Data("x".utf8))
        try t.file("/tmp/\(escape)", data: Data("x".utf8))
        try t.finish()
        close(fd)
        #expect { try s.store.load(from: other) } throws: { "\($0)".contains("neither index.json nor manifest.json") }
        #expect(!FileManager.default.fileExists(atPath: "/tmp/" + escape))
        #expect(s.ingestLeftovers() == [])
        // A layout whose oci-layout version is unknown.
        let layout = s.path + "/layout"
        try FileManager.default.createDirectory(atPath: layout, withIntermediateDirectories: true)
        try Data(#"{"imageLayoutVersion":"9.9"}"#.utf8).write(to: URL(fileURLWithPath: layout + "/oci-layout"))
        try Data(#"{"schemaVersion":2,"manifests":[]}"#.utf8).write(to: URL(fileURLWithPath: layout + "/index.json"))
        #expect { try s.store.load(from: layout) } throws: { "\($0)".contains("OCI image layout version 9.9 is not supported") }
        // Saving what is not there.
        #expect { try s.store.save(["nothing/here:1"], to: s.path + "/x.tar", format: .tar) } throws: { "\($0)".contains("No such image: nothing/here:1") }
        #expect(!FileManager.default.fileExists(atPath: s.path + "/x.tar"))
    }
}

extension StoreScratch {
    /// Staging or partial files left in ingest/ (a finished load leaves none).
    func ingestLeftovers() -> [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: path + "/images/ingest")) ?? []).sorted()
    }
}
