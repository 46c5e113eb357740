import Foundation
import OCI

/// `image load` and `image save`: images moved without a registry, as air-gapped hosts do.
///
/// Load reads what `docker save` (every version), `podman save` (docker-archive, oci-archive,
/// oci-dir), `skopeo copy … oci:` and `swcompose image save` write: an OCI image layout (a
/// tar, optionally compressed, or a directory) and/or a Docker archive (`manifest.json`).
/// Every blob of a layout is verified against its descriptor; a Docker archive's layers are
/// verified against the config's diff IDs while they are unpacked. What fails leaves no
/// reference and no layer behind (blobs it stored are removed by the next `prune`).
///
/// Save writes both forms in one archive, as Docker 25 does: an OCI layout (`oci-layout`,
/// `index.json` with `io.containerd.image.name` and `org.opencontainers.image.ref.name`
/// annotations, `blobs/sha256/…`) and a `manifest.json` whose `Layers` point at the same
/// blobs, so Docker, podman, skopeo and swcompose can all load it. Layers are saved as pulled
/// (compressed); manifests keep their digests.
extension ImageStore {
    public struct LoadedImage: Sendable {
        /// The names given to it; empty for an untagged image (listed by ID).
        public var names: [Reference]
        public var manifest: Digest
        public var config: Digest
    }

    /// Loads every image of the archive or layout at `path` (nil: standard input), one after
    /// the other: each is recorded (and reported to `loaded`) once all its layers are
    /// unpacked, so a failure keeps the images before it and nothing of the one that failed.
    @discardableResult
    public func load(from path: String?, platform: Platform = .host,
                     loaded report: ((LoadedImage) -> Void)? = nil) throws -> [LoadedImage] {
        let source = try ArchiveSource(path: path, content: content)
        defer { source.close() }
        let done: [LoadedImage]
        if source.has("index.json") {
            // Docker's archives also name images in manifest.json: those names go to an image
            // the index leaves unnamed (the index's names are tied to a manifest, so they win).
            var fallback: [Digest: [Reference]] = [:]
            if source.has("manifest.json") {
                for (i, e) in try dockerEntries(source).enumerated() {
                    let config = try source.importBlob(e.Config).0
                    fallback[config, default: []] += try (e.RepoTags ?? []).map { try Self.name($0, source.label, "manifest.json[\(i)] RepoTags") }
                }
            }
            done = try loadLayout(source, platform: platform, fallback: fallback, report: report)
        } else if source.has("manifest.json") {
            done = try loadDockerArchive(source, report: report)
        } else {
            throw ImageStoreError("\(source.label): not a docker save archive or OCI image layout: it has neither index.json nor manifest.json")
        }
        guard !done.isEmpty else { throw ImageStoreError("\(source.label): it holds no image for \(platform)") }
        return done
    }

    private func finishLoad(_ image: LoadedImage, _ config: ImageConfiguration, _ report: ((LoadedImage) -> Void)?) throws {
        let platform = Platform.normalized(os: config.os, architecture: config.architecture, variant: config.variant)
        try record(image.names, ReferenceIndex.Entry(manifest: image.manifest, index: nil, config: image.config,
                                                     platform: platform.description, pulled: Date().timeIntervalSince1970))
        report?(image)
    }

    private struct DockerArchiveEntry: Decodable {
        var Config: String
        var RepoTags: [String]?
        var Layers: [String]
    }

    private func dockerEntries(_ source: ArchiveSource) throws -> [DockerArchiveEntry] {
        try decode([DockerArchiveEntry].self, try source.data("manifest.json"), "\(source.label): manifest.json")
    }

    private func loadLayout(_ source: ArchiveSource, platform: Platform, fallback: [Digest: [Reference]],
                            report: ((LoadedImage) -> Void)?) throws -> [LoadedImage] {
        var fallback = fallback
        guard source.has("oci-layout") else {
            throw ImageStoreError("\(source.label): not an OCI image layout: index.json is there but oci-layout is missing")
        }
        let layout = try? JSONSerialization.jsonObject(with: try source.data("oci-layout")) as? [String: Any]
        guard let version = layout?["imageLayoutVersion"] as? String else {
            throw ImageStoreError("\(source.label): oci-layout has no imageLayoutVersion")
        }
        guard version == "1.0.0" else {
            throw ImageStoreError("\(source.label): OCI image layout version \(version) is not supported (1.0.0 is)")
        }
        let index = try decode(Index.self, try source.data("index.json"), "\(source.label): index.json")
        func blob(_ d: Descriptor) throws -> Digest {
            try source.importBlob("blobs/\(d.digest.algorithm)/\(d.digest.encoded)", expected: d).0
        }
        var out: [LoadedImage] = []
        for (i, d) in index.manifests.enumerated() {
            let at = "index.json manifests[\(i)]"
            var names: [Reference] = []
            if let n = d.annotations?["io.containerd.image.name"] {
                names.append(try Self.name(n, source.label, "\(at) annotation io.containerd.image.name"))
            } else if let n = d.annotations?["org.opencontainers.image.ref.name"], n.contains("/") || n.contains(":") {
                // A full name (skopeo's `oci:DIR:NAME`); a bare tag ("latest") names no repository.
                names.append(try Self.name(n, source.label, "\(at) annotation org.opencontainers.image.ref.name"))
            }
            var chosen = d
            if MediaType.isIndex(d.mediaType) {
                let child = try decode(Index.self, try content.read(try blob(d)), "\(source.label): \(at) (\(d.digest))")
                guard let c = platform.select(from: child) else {
                    let have = child.manifests.compactMap { $0.platform?.description }.joined(separator: ", ")
                    throw ImageStoreError("\(source.label): \(at): no manifest for \(platform) (it has: \(have))")
                }
                chosen = c
            } else if MediaType.isSchema1(d.mediaType) {
                throw ImageStoreError("\(source.label): \(at): Docker schema 1 manifests are not supported")
            } else if !MediaType.isManifest(d.mediaType) {
                continue  // not an image (signatures, attestations, artifacts)
            } else if let p = d.platform, !platform.matches(p) {
                continue  // a manifest of another platform, listed at the top
            }
            let digest = try blob(chosen)
            let manifest = try decode(Manifest.self, try content.read(digest), "\(source.label): manifest \(digest)")
            try checkLayerTypes(manifest, "\(source.label): manifest \(digest)")
            let configDigest = try blob(manifest.config)
            for l in manifest.layers { _ = try blob(l) }
            let config = try decode(ImageConfiguration.self, try content.read(configDigest), "\(source.label): config \(configDigest)")
            if names.isEmpty, let more = fallback.removeValue(forKey: configDigest) { names = more }
            try unpackAll(manifest, config: config, name: names.first?.description ?? source.label)
            let image = LoadedImage(names: names, manifest: digest, config: configDigest)
            try finishLoad(image, config, report)
            out.append(image)
        }
        return out
    }

    private func loadDockerArchive(_ source: ArchiveSource, report: ((LoadedImage) -> Void)?) throws -> [LoadedImage] {
        var out: [LoadedImage] = []
        for (i, e) in try dockerEntries(source).enumerated() {
            let at = "\(source.label): manifest.json[\(i)]"
            let names = try (e.RepoTags ?? []).map { try Self.name($0, source.label, "manifest.json[\(i)] RepoTags") }
            let (configDigest, configSize) = try source.importBlob(e.Config)
            let config = try decode(ImageConfiguration.self, try content.read(configDigest), "\(at): config \(e.Config)")
            guard config.rootfs.diff_ids.count == e.Layers.count else {
                throw ImageStoreError("\(at): \(e.Layers.count) layers, but its config lists \(config.rootfs.diff_ids.count) diff IDs")
            }
            var layers: [Descriptor] = []
            for l in e.Layers {
                let (d, size) = try source.importBlob(l)
                layers.append(Descriptor(mediaType: try Self.layerType(of: content.path(of: d)), digest: d, size: size))
            }
            // The archive has no manifest: write the OCI one a registry would serve.
            let manifest = Manifest(config: Descriptor(mediaType: MediaType.ociConfig, digest: configDigest, size: configSize), layers: layers)
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
            let digest = try content.put(try encoder.encode(manifest))
            try unpackAll(manifest, config: config, name: names.first?.description ?? source.label)
            let image = LoadedImage(names: names, manifest: digest, config: configDigest)
            try finishLoad(image, config, report)
            out.append(image)
        }
        return out
    }

    /// gzip, zstd or a plain tar, from the first bytes (a Docker archive does not say).
    static func layerType(of path: String) throws -> String {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw ImageStoreError.posix("open", path) }
        defer { close(fd) }
        var magic = [UInt8](repeating: 0, count: 4)
        let n = read(fd, &magic, 4)
        if n >= 2 && magic[0] == 0x1f && magic[1] == 0x8b { return MediaType.ociLayerGzip }
        if n == 4 && magic == [0x28, 0xb5, 0x2f, 0xfd] { return MediaType.ociLayerZstd }
        return MediaType.ociLayer
    }

    static func name(_ text: String, _ label: String, _ at: String) throws -> Reference {
        do {
            let r = try Reference(parsing: text)
            return r.tag == nil && r.digest == nil ? Reference(domain: r.domain, path: r.path, tag: "latest", digest: nil) : r
        } catch {
            throw ImageStoreError("\(label): \(at): \"\(text)\" is not a valid image name: \(error)")
        }
    }

    func decode<T: Decodable>(_ type: T.Type, _ data: Data, _ what: String) throws -> T {
        do { return try JSONDecoder().decode(type, from: data) } catch {
            throw ImageStoreError("\(what): invalid JSON for \(T.self): \(error)")
        }
    }

    func checkLayerTypes(_ manifest: Manifest, _ what: String) throws {
        for l in manifest.layers where MediaType.layerCompression(l.mediaType) == nil {
            throw ImageStoreError("\(what): layer \(l.digest) has unsupported media type \"\(l.mediaType)\"")
        }
    }

    /// Unpacks the layers that are not yet on disk (their blobs are in the store), two at once.
    func unpackAll(_ manifest: Manifest, config: ImageConfiguration, name: String) throws {
        guard config.rootfs.diff_ids.count == manifest.layers.count else {
            throw ImageStoreError("\(name): the config lists \(config.rootfs.diff_ids.count) layers, the manifest \(manifest.layers.count)")
        }
        let chains = try Self.chainIDs(config.rootfs.diff_ids)
        var seen = Set<Digest>()
        let todo = chains.indices.filter { !hasLayer(chains[$0]) && seen.insert(chains[$0]).inserted }
        let failure = FirstError()
        DispatchQueue.concurrentPerform(iterations: todo.count) { k in
            let i = todo[k]
            do {
                try unpackLayer(manifest.layers[i], diffID: config.rootfs.diff_ids[i], chain: chains[i], name: name)
            } catch {
                failure.set(error)
            }
        }
        if let e = failure.error { throw e }
    }

    /// Points `names` at an image; with no names the image is kept untagged under its ID
    /// (until a name points at it).
    func record(_ names: [Reference], _ entry: ReferenceIndex.Entry) throws {
        let idKey = entry.config.description
        if names.isEmpty {
            if try !references.all().contains(where: { $0.1.config == entry.config }) { try references.set(idKey, entry) }
            return
        }
        for n in names { try references.set(n.description, entry) }
        _ = try references.remove(idKey)
    }

    // MARK: - Save

    public enum SaveFormat: String, Sendable, CaseIterable { case tar, directory }

    /// Writes the images `words` name (references or IDs) to `output`: a tar file (nil:
    /// standard output) or a new directory. A tar file is written beside its name and renamed
    /// when complete, so a failed save leaves no partial archive.
    public func save(_ words: [String], to output: String?, format: SaveFormat) throws {
        var images: [(entry: ReferenceIndex.Entry, names: [Reference])] = []
        for w in words {
            let (names, entry) = try lookup(w)
            let given = (try? Reference(parsing: w)).flatMap { r in names.contains(r) ? [r] : nil } ?? []
            if let i = images.firstIndex(where: { $0.entry.manifest == entry.manifest }) {
                images[i].names += given.filter { !images[i].names.contains($0) }
            } else {
                images.append((entry, given))
            }
        }
        var blobs: [(Digest, Int64)] = [], seen = Set<Digest>()
        var descriptors: [Descriptor] = []
        var dockerManifest: [[String: Any]] = []
        for (entry, names) in images {
            let manifest = try decode(Manifest.self, try content.read(entry.manifest), "manifest \(entry.manifest)")
            let config = try decode(ImageConfiguration.self, try content.read(entry.config), "config \(entry.config)")
            for d in manifest.layers.map({ ($0.digest, $0.size) }) + [(manifest.config.digest, manifest.config.size)] {
                guard content.has(d.0, size: d.1) else {
                    throw ImageStoreError("\(names.first?.description ?? entry.config.description): blob \(d.0) is not in the store; pull the image again")
                }
                if seen.insert(d.0).inserted { blobs.append(d) }
            }
            let manifestSize = content.size(of: entry.manifest)
            if seen.insert(entry.manifest).inserted { blobs.append((entry.manifest, manifestSize)) }
            let platform = Platform.normalized(os: config.os, architecture: config.architecture, variant: config.variant)
            let type = manifest.mediaType ?? MediaType.ociManifest
            if names.isEmpty {
                descriptors.append(Descriptor(mediaType: type, digest: entry.manifest, size: manifestSize, platform: platform))
            }
            for n in names {
                var a = ["io.containerd.image.name": n.description]
                if let t = n.tag { a["org.opencontainers.image.ref.name"] = t }
                descriptors.append(Descriptor(mediaType: type, digest: entry.manifest, size: manifestSize, platform: platform, annotations: a))
            }
            dockerManifest.append([
                "Config": "blobs/sha256/\(entry.config.encoded)",
                "RepoTags": names.map { "\($0.familiarName):\($0.tag ?? "latest")" },
                "Layers": manifest.layers.map { "blobs/sha256/\($0.digest.encoded)" },
            ])
        }
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        let index = try encoder.encode(Index(manifests: descriptors))
        let legacy = try JSONSerialization.data(withJSONObject: dockerManifest, options: [.sortedKeys, .withoutEscapingSlashes])
        let layout = Data(#"{"imageLayoutVersion":"1.0.0"}"#.utf8)

        switch format {
        case .directory:
            guard let dir = output else { throw ImageStoreError("saving as a directory needs an output path") }
            try saveDirectory(dir, blobs: blobs, files: [("oci-layout", layout), ("index.json", index), ("manifest.json", legacy)])
        case .tar:
            var fd: Int32 = 1, tmp: String?
            if let output {
                let t = output + ".tmp-\(getpid())"
                fd = open(t, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
                guard fd >= 0 else { throw ImageStoreError.posix("open", t) }
                tmp = t
            }
            do {
                let tar = TarWriter(fd: fd, label: output ?? "standard output")
                try tar.directory("blobs")
                try tar.directory("blobs/sha256")
                for (d, size) in blobs { try tar.file("blobs/sha256/\(d.encoded)", copying: content.path(of: d), size: size) }
                try tar.file("oci-layout", data: layout)
                try tar.file("index.json", data: index)
                try tar.file("manifest.json", data: legacy)
                try tar.finish()
                if let tmp, let output {
                    guard fsync(fd) == 0 else { throw ImageStoreError.posix("fsync", tmp) }
                    close(fd)
                    fd = -1
                    try FileSystem.rename(tmp, output)
                }
            } catch {
                if let tmp { if fd >= 0 { close(fd) }; unlink(tmp) }
                throw error
            }
        }
    }

    private func saveDirectory(_ dir: String, blobs: [(Digest, Int64)], files: [(String, Data)]) throws {
        if let existing = try? FileManager.default.contentsOfDirectory(atPath: dir), !existing.isEmpty {
            throw ImageStoreError("\(dir): the directory is not empty; save into a new or empty one")
        }
        try FileSystem.makeDirectories(dir + "/blobs/sha256", mode: 0o755)
        for (d, size) in blobs {
            let path = "\(dir)/blobs/sha256/\(d.encoded)"
            let fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o644)
            guard fd >= 0 else { throw ImageStoreError.posix("open", path) }
            defer { close(fd) }
            try FileCopy.copy(from: content.path(of: d), size: size, to: fd, label: path)
        }
        for (name, data) in files { try FileSystem.writeDurably(data, to: dir + "/" + name) }
    }

    // MARK: - Names and IDs

    /// Untagged images are kept in the reference index under their ID (`sha256:<config>`);
    /// a name's key always starts with a domain and a slash.
    static func isIDKey(_ key: String) -> Bool { key.hasPrefix("sha256:") }

    /// What a user's word names: an image ID (the config digest; `sha256:` optional; any
    /// unique prefix), or else a reference. Returns every name of that image.
    public func lookup(_ word: String) throws -> (names: [Reference], entry: ReferenceIndex.Entry) {
        let all = try references.all()
        let hex = word.hasPrefix("sha256:") ? String(word.dropFirst(7)) : word
        if !hex.isEmpty, hex.count <= 64, hex.utf8.allSatisfy({ ($0 >= 48 && $0 <= 57) || ($0 >= 97 && $0 <= 102) }) {
            let configs = Set(all.filter { $0.1.config.encoded.hasPrefix(hex) }.map { $0.1.config })
            if configs.count > 1 { throw ImageStoreError("\(word): the ID prefix is ambiguous (it matches \(configs.count) images)") }
            if let c = configs.first, let e = all.first(where: { $0.1.config == c })?.1 {
                return (all.filter { $0.1.config == c && !Self.isIDKey($0.0) }.compactMap { try? Reference(parsing: $0.0) }, e)
            }
        }
        let ref: Reference
        do { ref = try Reference(parsing: word) } catch { throw ImageStoreError("No such image: \(word)") }
        guard let e = try references.get(ref.description) else { throw ImageStoreError("No such image: \(word)") }
        return ([ref], e)
    }
}

/// The first error of parallel work.
final class FirstError: @unchecked Sendable {
    private let lock = NSLock()
    private var first: (any Error)?
    func set(_ e: any Error) { lock.withLock { if first == nil { first = e } } }
    var error: (any Error)? { lock.withLock { first } }
}
