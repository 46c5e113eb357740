/// The typed project the orchestrator works from, decoded from the canonical tree that `config
/// --format json` prints (compose-go's model: long forms, sizes in bytes, Go duration text).
///
/// The attributes the runtime and the orchestrator act on are typed; every service, network,
/// volume, secret and config also keeps its whole canonical node in `raw`, so an attribute not
/// typed yet is read from there and nothing the file said is lost. Decoding checks the types:
/// a canonical tree that does not have them is a `ModelError` naming the key path.
public struct Project: Sendable, Equatable {
    public var name: String
    public var services: [String: Service]
    public var networks: [String: Network]
    public var volumes: [String: Volume]
    public var secrets: [String: FileObject]
    public var configs: [String: FileObject]
    public var raw: ComposeNode

    public init(decoding tree: ComposeNode) throws {
        let d = Decoder(tree, path: "")
        name = try d.string("name") ?? ""
        services = try d.map("services") { try Service(name: $0, $1) }
        networks = try d.map("networks") { try Network(name: $0, $1) }
        volumes = try d.map("volumes") { try Volume(name: $0, $1) }
        secrets = try d.map("secrets") { try FileObject(name: $0, $1) }
        configs = try d.map("configs") { try FileObject(name: $0, $1) }
        raw = tree
    }
}

public struct Service: Sendable, Equatable {
    public var name: String
    public var image: String?
    public var build: Build?
    public var command: [String]?
    public var entrypoint: [String]?
    /// `nil` value: declared without a value and not set in the environment.
    public var environment: [String: String?]
    public var ports: [Port]
    public var volumes: [Mount]
    public var dependsOn: [String: Dependency]
    public var ulimits: [String: Ulimit]
    public var networks: [String: ServiceNetwork]
    public var labels: [String: String]
    public var healthcheck: Healthcheck?
    public var secrets: [FileMount]
    public var configs: [FileMount]
    public var containerName: String?
    public var hostname: String?
    public var domainname: String?
    public var user: String?
    public var workingDir: String?
    public var restart: String?
    public var networkMode: String?
    public var pid: String?
    public var ipc: String?
    public var stopSignal: String?
    /// Go duration text (`1m30s`), as printed.
    public var stopGracePeriod: String?
    public var platform: String?
    public var pullPolicy: String?
    public var capAdd: [String]
    public var capDrop: [String]
    public var securityOpt: [String]
    public var dns: [String]
    public var dnsSearch: [String]
    public var extraHosts: [String]
    public var tmpfs: [String]
    public var expose: [String]
    public var profiles: [String]
    public var sysctls: [String: String]
    public var privileged: Bool
    public var readOnly: Bool
    public var tty: Bool
    public var stdinOpen: Bool
    public var initProcess: Bool?
    /// Bytes.
    public var memLimit: Int64?
    public var shmSize: Int64?
    public var cpus: Double?
    public var pidsLimit: Int64?
    /// The whole canonical service.
    public var raw: ComposeNode

    init(name: String, _ node: ComposeNode) throws {
        let d = Decoder(node, path: "services.\(name)")
        self.name = name
        image = try d.string("image")
        build = try d.node("build").map { try Build($0, path: d.path + ".build") }
        command = try d.strings("command")
        entrypoint = try d.strings("entrypoint")
        environment = try d.optionalStringMap("environment")
        ports = try d.list("ports") { try Port($0, path: $1) }
        volumes = try d.list("volumes") { try Mount($0, path: $1) }
        dependsOn = try d.map("depends_on") { try Dependency(name: $0, $1, path: d.path + ".depends_on.\($0)") }
        ulimits = try d.map("ulimits") { try Ulimit($1, path: d.path + ".ulimits.\($0)") }
        networks = try d.map("networks") { try ServiceNetwork($1, path: d.path + ".networks.\($0)") }
        labels = try d.stringMap("labels")
        healthcheck = try d.node("healthcheck").map { try Healthcheck($0, path: d.path + ".healthcheck") }
        secrets = try d.list("secrets") { try FileMount($0, path: $1) }
        configs = try d.list("configs") { try FileMount($0, path: $1) }
        containerName = try d.string("container_name")
        hostname = try d.string("hostname")
        domainname = try d.string("domainname")
        user = try d.string("user")
        workingDir = try d.string("working_dir")
        restart = try d.string("restart")
        networkMode = try d.string("network_mode")
        pid = try d.string("pid")
        ipc = try d.string("ipc")
        stopSignal = try d.string("stop_signal")
        stopGracePeriod = try d.string("stop_grace_period")
        platform = try d.string("platform")
        pullPolicy = try d.string("pull_policy")
        capAdd = try d.strings("cap_add") ?? []
        capDrop = try d.strings("cap_drop") ?? []
        securityOpt = try d.strings("security_opt") ?? []
        dns = try d.strings("dns") ?? []
        dnsSearch = try d.strings("dns_search") ?? []
        extraHosts = try d.strings("extra_hosts") ?? []
        tmpfs = try d.strings("tmpfs") ?? []
        expose = try d.strings("expose") ?? []
        profiles = try d.strings("profiles") ?? []
        sysctls = try d.stringMap("sysctls")
        privileged = try d.bool("privileged") ?? false
        readOnly = try d.bool("read_only") ?? false
        tty = try d.bool("tty") ?? false
        stdinOpen = try d.bool("stdin_open") ?? false
        initProcess = try d.bool("init")
        memLimit = try d.bytes("mem_limit")
        shmSize = try d.bytes("shm_size")
        cpus = try d.double("cpus")
        pidsLimit = try d.int("pids_limit").map(Int64.init)
        raw = node
    }
}

public struct Build: Sendable, Equatable {
    public var context: String
    public var dockerfile: String?
    public var args: [String: String?]
    public var target: String?
    public var raw: ComposeNode

    init(_ node: ComposeNode, path: String) throws {
        let d = Decoder(node, path: path)
        context = try d.string("context") ?? "."
        dockerfile = try d.string("dockerfile")
        args = try d.optionalStringMap("args")
        target = try d.string("target")
        raw = node
    }
}

public struct Port: Sendable, Equatable {
    public var target: Int
    /// A port or a range (`8000-8010`); nil when the host picks.
    public var published: String?
    public var hostIP: String?
    public var proto: String
    public var mode: String

    init(_ node: ComposeNode, path: String) throws {
        let d = Decoder(node, path: path)
        target = try d.int("target") ?? 0
        published = try d.string("published")
        hostIP = try d.string("host_ip")
        proto = try d.string("protocol") ?? "tcp"
        mode = try d.string("mode") ?? "ingress"
    }
}

public struct Mount: Sendable, Equatable {
    /// `bind`, `volume`, `tmpfs`, `npipe`, `cluster` or `image`.
    public var type: String
    /// A host path (bind), a volume name (volume), empty for an anonymous volume or tmpfs.
    public var source: String
    public var target: String
    public var readOnly: Bool
    public var createHostPath: Bool
    public var propagation: String?
    public var selinux: String?
    public var noCopy: Bool
    public var subpath: String?
    /// Bytes.
    public var tmpfsSize: Int64?
    public var tmpfsMode: Int?

    init(_ node: ComposeNode, path: String) throws {
        let d = Decoder(node, path: path)
        type = try d.string("type") ?? "volume"
        source = try d.string("source") ?? ""
        target = try d.string("target") ?? ""
        readOnly = try d.bool("read_only") ?? false
        let bind = try d.node("bind").map { Decoder($0, path: path + ".bind") }
        createHostPath = try bind?.bool("create_host_path") ?? false
        propagation = try bind?.string("propagation")
        selinux = try bind?.string("selinux")
        let volume = try d.node("volume").map { Decoder($0, path: path + ".volume") }
        noCopy = try volume?.bool("nocopy") ?? false
        subpath = try volume?.string("subpath")
        let tmpfs = try d.node("tmpfs").map { Decoder($0, path: path + ".tmpfs") }
        tmpfsSize = try tmpfs?.bytes("size")
        tmpfsMode = try tmpfs?.int("mode")
    }
}

public struct Dependency: Sendable, Equatable {
    public var service: String
    /// `service_started`, `service_healthy` or `service_completed_successfully`.
    public var condition: String
    public var required: Bool
    public var restart: Bool

    public init(service: String, condition: String = "service_started", required: Bool = true, restart: Bool = false) {
        self.service = service
        self.condition = condition
        self.required = required
        self.restart = restart
    }

    init(name: String, _ node: ComposeNode, path: String) throws {
        let d = Decoder(node, path: path)
        service = name
        condition = try d.string("condition") ?? "service_started"
        required = try d.bool("required") ?? true
        restart = try d.bool("restart") ?? false
    }
}

public struct Ulimit: Sendable, Equatable {
    public var soft: Int
    public var hard: Int

    public init(soft: Int, hard: Int) {
        self.soft = soft
        self.hard = hard
    }

    init(_ node: ComposeNode, path: String) throws {
        if let single = node.int { soft = single; hard = single; return }
        let d = Decoder(node, path: path)
        soft = try d.int("soft") ?? 0
        hard = try d.int("hard") ?? 0
    }
}

public struct ServiceNetwork: Sendable, Equatable {
    public var aliases: [String]
    public var ipv4Address: String?
    public var ipv6Address: String?
    public var priority: Int?

    init(_ node: ComposeNode, path: String) throws {
        let d = Decoder(node, path: path)
        aliases = try d.strings("aliases") ?? []
        ipv4Address = try d.string("ipv4_address")
        ipv6Address = try d.string("ipv6_address")
        priority = try d.int("priority")
    }
}

public struct Healthcheck: Sendable, Equatable {
    /// `["CMD", …]`, `["CMD-SHELL", "…"]` or `["NONE"]`; empty when inherited from the image.
    public var test: [String]
    /// Go duration text, as printed.
    public var interval: String?
    public var timeout: String?
    public var startPeriod: String?
    public var startInterval: String?
    public var retries: Int?
    public var disable: Bool

    init(_ node: ComposeNode, path: String) throws {
        let d = Decoder(node, path: path)
        test = try d.strings("test") ?? []
        interval = try d.string("interval")
        timeout = try d.string("timeout")
        startPeriod = try d.string("start_period")
        startInterval = try d.string("start_interval")
        retries = try d.int("retries")
        disable = try d.bool("disable") ?? false
    }
}

public struct FileMount: Sendable, Equatable {
    public var source: String
    public var target: String?
    public var uid: String?
    public var gid: String?
    /// Octal text as printed (`"0440"`) read back to its value.
    public var mode: Int?

    init(_ node: ComposeNode, path: String) throws {
        let d = Decoder(node, path: path)
        source = try d.string("source") ?? ""
        target = try d.string("target")
        uid = try d.string("uid")
        gid = try d.string("gid")
        if let text = try d.string("mode") {
            guard let m = FileMode.parsePrinted(text) else {
                throw ModelError("expected octal text, got \"\(text)\"", path: path + ".mode")
            }
            mode = m
        }
    }
}

public struct Network: Sendable, Equatable {
    /// The name the network is created with (`project_key` unless set).
    public var name: String
    public var key: String
    public var driver: String?
    public var driverOpts: [String: String]
    public var external: Bool
    public var isInternal: Bool
    public var enableIPv6: Bool?
    public var labels: [String: String]
    public var raw: ComposeNode

    init(name key: String, _ node: ComposeNode) throws {
        let d = Decoder(node, path: "networks.\(key)")
        self.key = key
        name = try d.string("name") ?? key
        driver = try d.string("driver")
        driverOpts = try d.stringMap("driver_opts")
        external = try d.bool("external") ?? false
        isInternal = try d.bool("internal") ?? false
        enableIPv6 = try d.bool("enable_ipv6")
        labels = try d.stringMap("labels")
        raw = node
    }
}

public struct Volume: Sendable, Equatable {
    public var name: String
    public var key: String
    public var driver: String?
    public var driverOpts: [String: String]
    public var external: Bool
    public var labels: [String: String]
    public var raw: ComposeNode

    init(name key: String, _ node: ComposeNode) throws {
        let d = Decoder(node, path: "volumes.\(key)")
        self.key = key
        name = try d.string("name") ?? key
        driver = try d.string("driver")
        driverOpts = try d.stringMap("driver_opts")
        external = try d.bool("external") ?? false
        labels = try d.stringMap("labels")
        raw = node
    }
}

/// A top-level secret or config.
public struct FileObject: Sendable, Equatable {
    public var name: String
    public var key: String
    public var file: String?
    public var environment: String?
    public var content: String?
    public var external: Bool
    public var raw: ComposeNode

    init(name key: String, _ node: ComposeNode) throws {
        let d = Decoder(node, path: key)
        self.key = key
        name = try d.string("name") ?? key
        file = try d.string("file")
        environment = try d.string("environment")
        content = try d.string("content")
        external = try d.bool("external") ?? false
        raw = node
    }
}

/// Reads typed attributes of one canonical mapping; a value of the wrong type is an error at
/// its key path.
struct Decoder {
    let node: ComposeNode
    let path: String

    init(_ node: ComposeNode, path: String) {
        self.node = node
        self.path = path
    }

    func at(_ key: String) -> String { path.isEmpty ? key : path + "." + key }

    func wrong(_ key: String, _ expected: String, _ v: ComposeNode) -> ModelError {
        ModelError("expected \(expected), got \(v.value.kindName)", path: at(key), mark: v.mark)
    }

    /// The value, nil when absent or null.
    func node(_ key: String) throws -> ComposeNode? {
        guard let v = node[key], !v.isNull else { return nil }
        return v
    }

    func string(_ key: String) throws -> String? {
        guard let v = try node(key) else { return nil }
        guard let s = v.string else { throw wrong(key, "a string", v) }
        return s
    }

    func bool(_ key: String) throws -> Bool? {
        guard let v = try node(key) else { return nil }
        guard let b = v.bool else { throw wrong(key, "a boolean", v) }
        return b
    }

    func int(_ key: String) throws -> Int? {
        guard let v = try node(key) else { return nil }
        guard let i = v.int else { throw wrong(key, "an integer", v) }
        return i
    }

    func double(_ key: String) throws -> Double? {
        guard let v = try node(key) else { return nil }
        if let i = v.int { return Double(i) }
        guard case .double(let d) = v.value else { throw wrong(key, "a number", v) }
        return d
    }

    /// A byte size, printed as a string of digits.
    func bytes(_ key: String) throws -> Int64? {
        guard let v = try node(key) else { return nil }
        if let i = v.int { return Int64(i) }
        guard let s = v.string, let n = Int64(s) else { throw wrong(key, "a size in bytes", v) }
        return n
    }

    func strings(_ key: String) throws -> [String]? {
        guard let v = node[key], !v.isNull else { return nil }
        guard let a = v.array else { throw wrong(key, "a list of strings", v) }
        return try a.map { item in
            guard let s = item.scalarText else { throw wrong(key, "a list of strings", item) }
            return s
        }
    }

    func stringMap(_ key: String) throws -> [String: String] {
        guard let v = try node(key) else { return [:] }
        guard let o = v.object else { throw wrong(key, "a mapping", v) }
        var out: [String: String] = [:]
        for (k, item) in o { out[k] = item.scalarText ?? "" }
        return out
    }

    func optionalStringMap(_ key: String) throws -> [String: String?] {
        guard let v = try node(key) else { return [:] }
        guard let o = v.object else { throw wrong(key, "a mapping", v) }
        var out: [String: String?] = [:]
        for (k, item) in o { out[k] = item.isNull ? .some(nil) : .some(item.scalarText ?? "") }
        return out
    }

    func map<T>(_ key: String, _ each: (String, ComposeNode) throws -> T) throws -> [String: T] {
        guard let v = try node(key) else { return [:] }
        guard let o = v.object else { throw wrong(key, "a mapping", v) }
        var out: [String: T] = [:]
        for (k, item) in o { out[k] = try each(k, item.isNull ? .object(ComposeObject()) : item) }
        return out
    }

    func list<T>(_ key: String, _ each: (ComposeNode, String) throws -> T) throws -> [T] {
        guard let v = try node(key) else { return [] }
        guard let a = v.array else { throw wrong(key, "a list", v) }
        return try a.enumerated().map { i, item in try each(item, "\(at(key))[\(i)]") }
    }
}
