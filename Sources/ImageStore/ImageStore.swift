import Foundation
import OCI

/// Images on this host: blobs (`ContentStore`), one unpacked directory per layer keyed by
/// chain ID (`layers/<hex>/diff`, shared by every image with that base), and references
/// (`ReferenceIndex`). `pull` fills it from a registry; `remove` and `prune` empty it.
///
/// Layout under `root` (by default `/var/lib/swcompose/images`):
/// ```
/// blobs/sha256/<hex>        manifests, indexes, configs, layer blobs (verified)
/// ingest/<hex>              partial downloads (resumed), locked while written
/// layers/<chain-hex>/diff   an unpacked layer: an overlayfs lower directory
/// layers/<chain-hex>/layer.json   {diffID, blob, size}
/// references.json           name:tag → manifest digest, config, platform (locked file)
/// ```
public final class ImageStore: @unchecked Sendable {
    public let root: String
    public let content: ContentStore
    public let references: ReferenceIndex

    public init(root: String) throws {
        self.root = root
        try FileSystem.makeDirectories(root + "/layers")
        content = try ContentStore(root: root)
        references = ReferenceIndex(path: root + "/references.json")
    }

    /// What a pull or a lookup yields: enough for a runtime to build a root filesystem.
    public struct Image: Sendable {
        public var reference: Reference
        public var manifestDigest: Digest
        public var indexDigest: Digest?
        public var manifest: Manifest
        public var config: ImageConfiguration
        public var configDigest: Digest
        /// Unpacked layer directories, bottom first (overlay wants them top first).
        public var layerDirectories: [String]
    }

    public struct PullEvent: Sendable {
        public enum Kind: Sendable { case resolved, layerCached, downloading(Int64), downloaded, unpacked, done }
        public var layer: Digest?
        public var size: Int64
        public var kind: Kind
    }

    /// Layer downloads at once (Docker's default is 3).
    public var maxConcurrentDownloads = 3

    // MARK: - Pull

    public func pull(_ ref: Reference, platform: Platform = .host, client: RegistryClient,
                     events: (@Sendable (PullEvent) -> Void)? = nil) async throws -> Image {
        var (data, type, digest) = try await client.manifest(ref)
        if MediaType.isSchema1(type) {
            throw ImageStoreError("\(ref): unsupported manifest format: Docker image manifest schema 1 (\(type)) is deprecated and not supported; push the image again with a current client")
        }
        var indexDigest: Digest?
        if MediaType.isIndex(type) {
            let index: Index
            do { index = try JSONDecoder().decode(Index.self, from: data) } catch {
                throw ImageStoreError("\(ref): invalid image index: \(error)")
            }
            try content.put(data, digest: digest)
            indexDigest = digest
            guard let chosen = platform.select(from: index) else {
                let have = index.manifests.compactMap { $0.platform?.description }.joined(separator: ", ")
                throw ImageStoreError("\(ref): no matching manifest for \(platform) in the manifest list entries (it has: \(have))")
            }
            (data, type, digest) = try await client.manifest(ref, reference: chosen.digest.description)
            guard digest == chosen.digest else {
                throw ImageStoreError("\(ref): manifest \(chosen.digest) failed verification (got \(digest))")
            }
        }
        guard MediaType.isManifest(type) else {
            throw ImageStoreError("\(ref): unsupported manifest media type \"\(type)\"")
        }
        let manifest: Manifest
        do { manifest = try JSONDecoder().decode(Manifest.self, from: data) } catch {
            throw ImageStoreError("\(ref): invalid image manifest: \(error)")
        }
        try checkLayerTypes(manifest, "\(ref)")
        try await client.fetchBlob(ref, manifest.config, into: content)
        let config: ImageConfiguration
        do { config = try JSONDecoder().decode(ImageConfiguration.self, from: try content.read(manifest.config.digest)) } catch {
            throw ImageStoreError("\(ref): invalid image config \(manifest.config.digest): \(error)")
        }
        guard config.rootfs.diff_ids.count == manifest.layers.count else {
            throw ImageStoreError("\(ref): the config lists \(config.rootfs.diff_ids.count) layers, the manifest \(manifest.layers.count)")
        }
        events?(PullEvent(layer: nil, size: 0, kind: .resolved))
        let chains = try Self.chainIDs(config.rootfs.diff_ids)
        // Download and unpack the layers, a few at once; each is independent of the others.
        // A blob that appears twice (an empty layer) is fetched once and unpacked per position.
        var positions: [Digest: [Int]] = [:], order: [Digest] = []
        for (i, l) in manifest.layers.enumerated() {
            if positions[l.digest] == nil { order.append(l.digest) }
            positions[l.digest, default: []].append(i)
        }
        try await withThrowingTaskGroup(of: Void.self) { group in
            var running = 0
            for blob in order {
                if running >= maxConcurrentDownloads { try await group.next(); running -= 1 }
                let uses = positions[blob] ?? []
                guard let layer = uses.first.map({ manifest.layers[$0] }) else { continue }
                group.addTask { [self] in
                    let missing = uses.filter { !self.hasLayer(chains[$0]) }
                    if missing.isEmpty { events?(PullEvent(layer: layer.digest, size: layer.size, kind: .layerCached)); return }
                    try await client.fetchBlob(ref, layer, into: content) { got in
                        events?(PullEvent(layer: layer.digest, size: layer.size, kind: .downloading(got)))
                    }
                    events?(PullEvent(layer: layer.digest, size: layer.size, kind: .downloaded))
                    for i in missing {
                        try self.unpackLayer(layer, diffID: config.rootfs.diff_ids[i], chain: chains[i], name: ref.name)
                    }
                    events?(PullEvent(layer: layer.digest, size: layer.size, kind: .unpacked))
                }
                running += 1
            }
            try await group.waitForAll()
        }
        try content.put(data, digest: digest)
        let stored = ReferenceIndex.Entry(manifest: digest, index: indexDigest, config: manifest.config.digest,
                                          platform: platform.description, pulled: Date().timeIntervalSince1970)
        try record([ref], stored)
        events?(PullEvent(layer: nil, size: 0, kind: .done))
        return Image(reference: ref, manifestDigest: digest, indexDigest: indexDigest, manifest: manifest, config: config,
                     configDigest: manifest.config.digest, layerDirectories: chains.map { layerDirectory($0) })
    }

    /// OCI chain IDs: the first layer's is its diff ID, each next one hashes "parent diffID".
    public static func chainIDs(_ diffIDs: [Digest]) throws -> [Digest] {
        var out: [Digest] = []
        for d in diffIDs {
            if let parent = out.last {
                out.append(try SHA256Stream.digest(of: Data("\(parent) \(d)".utf8)))
            } else {
                out.append(d)
            }
        }
        return out
    }

    public func layerDirectory(_ chain: Digest) -> String { "\(root)/layers/\(chain.encoded)/diff" }

    public func hasLayer(_ chain: Digest) -> Bool {
        FileManager.default.fileExists(atPath: "\(root)/layers/\(chain.encoded)/layer.json")
    }

    /// Unpacks a verified blob into a fresh directory, checks its diff ID, then moves it into
    /// place in one rename; whoever renames first wins and the other copy is removed. A layer
    /// that fails leaves nothing.
    func unpackLayer(_ layer: Descriptor, diffID: Digest, chain: Digest, name: String) throws {
        let final = "\(root)/layers/\(chain.encoded)"
        let tmp = "\(root)/layers/.tmp-\(UUID().uuidString)"
        try FileSystem.makeDirectories(tmp + "/diff", mode: 0o755)
        do {
            guard let compression = MediaType.layerCompression(layer.mediaType) else {
                throw ImageStoreError("layer \(layer.digest): unsupported media type \(layer.mediaType)")
            }
            let r = try LayerUnpacker.unpack(blob: content.path(of: layer.digest), compression: compression,
                                             into: tmp + "/diff", layer: "\(name) \(layer.digest)")
            guard r.diffID == diffID else {
                throw ImageStoreError("layer \(layer.digest) of \(name): its uncompressed content has digest \(r.diffID), the image config says \(diffID)")
            }
            let meta = LayerInfo(diffID: diffID, blob: layer.digest, size: r.size, entries: r.entries)
            try FileSystem.writeDurably(try JSONEncoder().encode(meta), to: tmp + "/layer.json")
            if rename(tmp, final) != 0 {
                let e = errno
                guard e == EEXIST || e == ENOTEMPTY else { throw ImageStoreError.posix("rename \(tmp) to", final, e) }
                try FileSystem.removeTree(tmp)  // another pull unpacked it first
            }
        } catch {
            try? FileSystem.removeTree(tmp)
            // The blob is verified but unusable (malicious or not what the config says): it
            // goes too, so a failed pull leaves nothing of the layer behind.
            try? content.delete(layer.digest)
            throw error
        }
    }

    public struct LayerInfo: Codable, Sendable {
        public var diffID: Digest
        public var blob: Digest
        public var size: Int64
        public var entries: Int
    }

    // MARK: - Lookup, list, remove, prune

    /// The stored image `ref` names, or nil when it was never pulled.
    public func image(_ ref: Reference) throws -> Image? {
        guard let e = try references.get(ref.description) else { return nil }
        return try image(ref, e)
    }

    func image(_ ref: Reference, _ e: ReferenceIndex.Entry) throws -> Image {
        let manifest = try JSONDecoder().decode(Manifest.self, from: try content.read(e.manifest))
        let config = try JSONDecoder().decode(ImageConfiguration.self, from: try content.read(e.config))
        let chains = try Self.chainIDs(config.rootfs.diff_ids)
        for c in chains where !hasLayer(c) {
            throw ImageStoreError("\(ref): layer \(c) is missing from the store; pull the image again")
        }
        return Image(reference: ref, manifestDigest: e.manifest, indexDigest: e.index, manifest: manifest, config: config,
                     configDigest: e.config, layerDirectories: chains.map { layerDirectory($0) })
    }

    public struct Listing: Sendable {
        /// nil for an untagged image.
        public var reference: Reference?
        public var manifest: Digest
        public var config: Digest
        public var created: String?
        /// Bytes of the unpacked layers.
        public var size: Int64
    }

    public func list() throws -> [Listing] {
        try references.all().compactMap { name, e in
            let ref = Self.isIDKey(name) ? nil : try? Reference(parsing: name)
            if ref == nil && !Self.isIDKey(name) { return nil }
            let config = try? JSONDecoder().decode(ImageConfiguration.self, from: try content.read(e.config))
            let chains = try Self.chainIDs(config?.rootfs.diff_ids ?? [])
            let size = chains.reduce(Int64(0)) { sum, c in
                let info = (try? Data(contentsOf: URL(fileURLWithPath: "\(root)/layers/\(c.encoded)/layer.json")))
                    .flatMap { try? JSONDecoder().decode(LayerInfo.self, from: $0) }
                return sum + (info?.size ?? 0)
            }
            return Listing(reference: ref, manifest: e.manifest, config: e.config, created: config?.created, size: size)
        }.sorted { ($0.reference?.description ?? "~" + $0.config.description) < ($1.reference?.description ?? "~" + $1.config.description) }
    }

    /// Removes references; what no remaining image (nor `inUse`) needs is then deleted.
    @discardableResult
    public func remove(_ refs: [Reference], inUse: Set<Digest> = []) throws -> PruneReport {
        for r in refs {
            guard try references.remove(r.description) else { throw ImageStoreError("No such image: \(r.familiarName)\(r.tag.map { ":" + $0 } ?? "")") }
        }
        return try prune(inUse: inUse)
    }

    /// `image rm`: each word is a name (only that name goes; the image stays while another
    /// name points at it) or an image ID (all its names go; with several names, only `force`d,
    /// as Docker does). Returns the names removed, then prunes.
    @discardableResult
    public func remove(words: [String], force: Bool = false, inUse: Set<Digest> = []) throws -> (untagged: [String], report: PruneReport) {
        var untagged: [String] = []
        for w in words {
            let (names, entry) = try lookup(w)
            let byID = (try? Reference(parsing: w)).map { !names.contains($0) } ?? true
            if byID {
                if names.count > 1 && !force {
                    throw ImageStoreError("conflict: unable to delete \(w) (must be forced): the image is referenced by \(names.map(\.description).joined(separator: ", "))")
                }
                for (k, e) in try references.all() where e.config == entry.config {
                    _ = try references.remove(k)
                    untagged.append(k)
                }
            } else {
                _ = try references.remove(names[0].description)
                untagged.append(names[0].description)
            }
        }
        return (untagged, try prune(inUse: inUse))
    }

    public struct PruneReport: Sendable {
        public var blobs: [Digest] = []
        public var layers: [Digest] = []
        public var bytes: Int64 = 0
    }

    /// Garbage collection: deletes blobs and layer directories that no reference reaches and
    /// whose chain ID is not in `inUse` (layers containers are built on), and stale ingests.
    public func prune(inUse: Set<Digest> = []) throws -> PruneReport {
        var keepBlobs = Set<Digest>(), keepLayers = inUse
        for (_, e) in try references.all() {
            keepBlobs.insert(e.manifest); keepBlobs.insert(e.config)
            if let i = e.index { keepBlobs.insert(i) }
            guard let m = try? JSONDecoder().decode(Manifest.self, from: try content.read(e.manifest)),
                  let c = try? JSONDecoder().decode(ImageConfiguration.self, from: try content.read(e.config)) else { continue }
            m.layers.forEach { keepBlobs.insert($0.digest) }
            try Self.chainIDs(c.rootfs.diff_ids).forEach { keepLayers.insert($0) }
        }
        var report = PruneReport()
        for b in content.list() where !keepBlobs.contains(b) {
            report.bytes += content.size(of: b)
            try content.delete(b)
            report.blobs.append(b)
        }
        let names = (try? FileManager.default.contentsOfDirectory(atPath: root + "/layers")) ?? []
        for n in names {
            if n.hasPrefix(".tmp-") { continue }  // another pull may be unpacking it right now
            guard let chain = try? Digest.sha256(hex: n), !keepLayers.contains(chain) else { continue }
            try FileSystem.removeTree("\(root)/layers/\(n)")
            report.layers.append(chain)
        }
        return report
    }
}
