/// The media types of image manifests, indexes, configs and layers that swcompose reads.
public enum MediaType {
    public static let ociIndex = "application/vnd.oci.image.index.v1+json"
    public static let ociManifest = "application/vnd.oci.image.manifest.v1+json"
    public static let ociConfig = "application/vnd.oci.image.config.v1+json"
    public static let ociLayer = "application/vnd.oci.image.layer.v1.tar"
    public static let ociLayerGzip = "application/vnd.oci.image.layer.v1.tar+gzip"
    public static let ociLayerZstd = "application/vnd.oci.image.layer.v1.tar+zstd"
    public static let ociLayerNondistributable = "application/vnd.oci.image.layer.nondistributable.v1.tar"
    public static let ociLayerNondistributableGzip = "application/vnd.oci.image.layer.nondistributable.v1.tar+gzip"
    public static let ociLayerNondistributableZstd = "application/vnd.oci.image.layer.nondistributable.v1.tar+zstd"
    public static let dockerManifestList = "application/vnd.docker.distribution.manifest.list.v2+json"
    public static let dockerManifest = "application/vnd.docker.distribution.manifest.v2+json"
    public static let dockerManifestV1 = "application/vnd.docker.distribution.manifest.v1+json"
    public static let dockerManifestV1Signed = "application/vnd.docker.distribution.manifest.v1+prettyjws"
    public static let dockerConfig = "application/vnd.docker.container.image.v1+json"
    public static let dockerLayerGzip = "application/vnd.docker.image.rootfs.diff.tar.gzip"
    public static let dockerLayerForeignGzip = "application/vnd.docker.image.rootfs.foreign.diff.tar.gzip"

    /// What a pull asks for, most wanted first (the `Accept` header of a manifest request).
    public static let manifestAccept = [ociIndex, dockerManifestList, ociManifest, dockerManifest]

    public static func isIndex(_ t: String) -> Bool { t == ociIndex || t == dockerManifestList }
    public static func isManifest(_ t: String) -> Bool { t == ociManifest || t == dockerManifest }
    public static func isSchema1(_ t: String) -> Bool { t == dockerManifestV1 || t == dockerManifestV1Signed }

    /// How a layer blob is compressed, from its media type.
    public enum Compression: String, Sendable { case none, gzip, zstd }

    public static func layerCompression(_ t: String) -> Compression? {
        switch t {
        case ociLayer, ociLayerNondistributable, "application/vnd.docker.image.rootfs.diff.tar": return Compression.none
        case ociLayerGzip, ociLayerNondistributableGzip, dockerLayerGzip, dockerLayerForeignGzip: return .gzip
        case ociLayerZstd, ociLayerNondistributableZstd: return .zstd
        default: return nil
        }
    }
}
