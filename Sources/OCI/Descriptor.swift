/// An OCI content descriptor: what a manifest or index points at.
public struct Descriptor: Codable, Sendable, Hashable {
    public var mediaType: String
    public var digest: Digest
    public var size: Int64
    public var urls: [String]?
    public var annotations: [String: String]?
    public var platform: Platform?

    public init(mediaType: String, digest: Digest, size: Int64, platform: Platform? = nil, annotations: [String: String]? = nil) {
        self.mediaType = mediaType
        self.digest = digest
        self.size = size
        self.platform = platform
        self.annotations = annotations
    }
}

/// An image index (OCI) or manifest list (Docker): one manifest per platform.
public struct Index: Codable, Sendable {
    public var schemaVersion: Int
    public var mediaType: String?
    public var manifests: [Descriptor]
    public var annotations: [String: String]?

    public init(manifests: [Descriptor], mediaType: String = MediaType.ociIndex) {
        self.schemaVersion = 2
        self.mediaType = mediaType
        self.manifests = manifests
    }
}

/// An image manifest (OCI, or Docker schema 2): the config and the layers, bottom first.
public struct Manifest: Codable, Sendable {
    public var schemaVersion: Int
    public var mediaType: String?
    public var config: Descriptor
    public var layers: [Descriptor]
    public var annotations: [String: String]?

    public init(config: Descriptor, layers: [Descriptor], mediaType: String = MediaType.ociManifest) {
        self.schemaVersion = 2
        self.mediaType = mediaType
        self.config = config
        self.layers = layers
    }
}

/// The image configuration (OCI image-spec `config.json`; Docker's is a superset).
public struct ImageConfiguration: Codable, Sendable {
    public struct Config: Codable, Sendable, Equatable {
        public var User: String?
        public var ExposedPorts: [String: EmptyObject]?
        public var Env: [String]?
        public var Entrypoint: [String]?
        public var Cmd: [String]?
        public var Volumes: [String: EmptyObject]?
        public var WorkingDir: String?
        public var Labels: [String: String]?
        public var StopSignal: String?
        public var Healthcheck: Healthcheck?
        public init() {}
    }

    /// Docker's `HEALTHCHECK` as stored in the config (durations in nanoseconds).
    public struct Healthcheck: Codable, Sendable, Equatable {
        public var Test: [String]?
        public var Interval: Int64?
        public var Timeout: Int64?
        public var StartPeriod: Int64?
        public var StartInterval: Int64?
        public var Retries: Int?
    }

    public struct RootFS: Codable, Sendable {
        public var type: String
        public var diff_ids: [Digest]
        public init(diffIDs: [Digest]) { type = "layers"; diff_ids = diffIDs }
    }

    public struct History: Codable, Sendable {
        public var created: String?
        public var created_by: String?
        public var comment: String?
        public var empty_layer: Bool?
    }

    public var created: String?
    public var author: String?
    public var architecture: String
    public var os: String
    public var variant: String?
    public var config: Config?
    public var rootfs: RootFS
    public var history: [History]?

    public init(architecture: String, os: String, rootfs: RootFS, config: Config? = nil) {
        self.architecture = architecture
        self.os = os
        self.rootfs = rootfs
        self.config = config
    }
}

/// `{}`: the value of set-like JSON maps (`ExposedPorts`, `Volumes`).
public struct EmptyObject: Codable, Sendable, Equatable {
    public init() {}
}
