import ComposeModel

/// The Go types of compose-go's `types.Project`, as far as `config --format json` shows them:
/// how each attribute is decoded (a byte size, a duration, a shell command, …) and whether
/// Go's `encoding/json` leaves it out when empty (`omitempty`) or always prints it.
indirect enum Shape: Sendable {
    case string, int, float, bool, any
    /// `UnitBytes`: a size printed as a string of bytes.
    case bytes
    /// `Duration`: printed the way Go's `time.Duration` prints.
    case duration
    /// `ShellCommand`: a string is split into words; absent prints `null`.
    case command
    /// `StringList`: one string is a list of one.
    case stringList
    /// `map[string]string` (labels, options): values as text, a missing value is "".
    case mapping
    /// `MappingWithEquals` (environment, build args): a missing value stays null.
    case mappingWithEquals
    /// `HostsList`: `host=ip` strings sorted by host.
    case hosts
    case ulimit
    case healthTest
    case deviceMapping
    /// `DeviceCount`: `all` is -1.
    case deviceCount
    /// `EnvFile`: a required file prints as its path, an optional one as
    /// `{"path", "required": false, "format"}`.
    case envFile
    /// `map[string][]string` values.
    case stringsOrScalar
    /// `FileMode`: an integer, or a string read as octal; printed as octal text (`"0440"`).
    case fileMode
    case list(Shape)
    case dict(Shape)
    case record(Record)
    /// A Go pointer: printed unless null, even when zero.
    case pointer(Shape)
}

struct Field: Sendable {
    var shape: Shape
    /// Not `omitempty`: printed even when absent or empty (absent prints the zero value).
    var always = false
    /// The JSON name when it differs from the YAML one (Go fields without a json tag).
    var jsonName: String?
}

/// A Go struct: its fields by YAML key, and the keys in the struct's field order (the order
/// `encoding/json` writes them, which `config --hash` depends on).
struct Record: Sendable {
    var fields: [String: Field]
    var order: [String]
    init(_ fields: KeyValuePairs<String, Field>) {
        self.fields = Dictionary(fields.map { ($0.key, $0.value) }, uniquingKeysWith: { a, _ in a })
        self.order = fields.map(\.key)
    }
    init(_ fields: [String: Field], order: [String]) {
        precondition(Set(order) == Set(fields.keys), "a record's order must name each of its fields once")
        self.fields = fields
        self.order = order
    }
}

/// A record whose fields are written in Go struct order.
func rec(_ fields: KeyValuePairs<String, Field>) -> Shape { Shape.record(Record(fields)) }
func fld(_ s: Shape) -> Field { Field(shape: s) }
func alw(_ s: Shape) -> Field { Field(shape: s, always: true) }
func ren(_ s: Shape, _ name: String) -> Field { Field(shape: s, always: true, jsonName: name) }

enum ProjectShape {
    /// Keys the 2.40.3 schema accepts but its Go model has no field for: validated, never printed.
    static let notInGoModel: Set<String> = ["pull_refresh_after"]

    static let strings = Shape.list(.string)

    static let fileReference: Shape = rec([
        "source": fld(.string), "target": fld(.string), "uid": fld(.string), "gid": fld(.string), "mode": fld(.pointer(.fileMode)),
    ])

    static let deviceRequest: Shape = rec([
        "capabilities": fld(strings), "driver": fld(.string), "count": fld(.deviceCount),
        "device_ids": fld(strings), "options": fld(.mapping),
    ])

    static let resource: Shape = rec([
        "cpus": fld(.float), "memory": fld(.bytes), "pids": fld(.int),
        "devices": fld(.list(deviceRequest)), "generic_resources": fld(.list(.any)),
    ])

    static let updateConfig: Shape = rec([
        "parallelism": fld(.pointer(.int)), "delay": fld(.duration), "failure_action": fld(.string),
        "monitor": fld(.duration), "max_failure_ratio": fld(.float), "order": fld(.string),
    ])

    static let deploy: Shape = rec([
        "mode": fld(.string), "replicas": fld(.pointer(.int)), "labels": fld(.mapping),
        "update_config": fld(updateConfig), "rollback_config": fld(updateConfig),
        "resources": alw(rec(["limits": fld(resource), "reservations": fld(resource)])),
        "restart_policy": fld(rec([
            "condition": fld(.string), "delay": fld(.pointer(.duration)),
            "max_attempts": fld(.pointer(.int)), "window": fld(.pointer(.duration)),
        ])),
        "placement": alw(rec([
            "constraints": fld(strings), "preferences": fld(.list(rec(["spread": fld(.string)]))),
            "max_replicas_per_node": fld(.int),
        ])),
        "endpoint_mode": fld(.string),
    ])

    static let hook: Shape = rec([
        "command": alw(.command), "user": fld(.string), "privileged": fld(.bool),
        "working_dir": fld(.string), "environment": fld(.mappingWithEquals),
    ])

    static let build: Shape = rec([
        "context": fld(.string), "dockerfile": fld(.string), "dockerfile_inline": fld(.string),
        "entitlements": fld(strings), "args": fld(.mappingWithEquals), "provenance": fld(.string), "sbom": fld(.string),
        "ssh": fld(.any), "labels": fld(.mapping), "cache_from": fld(.stringList), "cache_to": fld(.stringList),
        "no_cache": fld(.bool), "no_cache_filter": fld(.stringList), "additional_contexts": fld(.mapping),
        "pull": fld(.bool), "extra_hosts": fld(.hosts), "isolation": fld(.string), "network": fld(.string),
        "target": fld(.string), "secrets": fld(.list(fileReference)), "shm_size": fld(.bytes),
        "tags": fld(.stringList), "ulimits": fld(.dict(.ulimit)), "platforms": fld(.stringList), "privileged": fld(.bool),
    ])

    static let throttle: Shape = rec(["path": ren(.string, "Path"), "rate": ren(.bytes, "Rate")])

    static let volumeMount: Shape = rec([
        "type": fld(.string), "source": fld(.string), "target": fld(.string), "read_only": fld(.bool),
        "consistency": fld(.string),
        "bind": fld(rec(["selinux": fld(.string), "propagation": fld(.string), "create_host_path": fld(.bool), "recursive": fld(.string)])),
        "volume": fld(rec(["labels": fld(.mapping), "nocopy": fld(.bool), "subpath": fld(.string)])),
        "tmpfs": fld(rec(["size": fld(.bytes), "mode": fld(.int)])),
        "image": fld(rec(["subpath": fld(.string)])),
    ])

    static let service: Shape = {
        var f: [String: Field] = [:]
        for k in ["cgroup", "cgroup_parent", "container_name", "cpuset", "domainname", "hostname", "image", "ipc",
                  "isolation", "mac_address", "network_mode", "pid", "platform", "pull_policy", "restart", "runtime",
                  "stop_signal", "user", "userns_mode", "uts", "volume_driver", "working_dir", "dockerfile",
                  "log_driver", "net"] { f[k] = fld(.string) }
        for k in ["cap_add", "cap_drop", "device_cgroup_rules", "dns_opt", "external_links", "group_add", "links",
                  "security_opt", "volumes_from", "profiles", "label_file"] { f[k] = fld(strings) }
        for k in ["cpu_count", "cpu_period", "cpu_quota", "cpu_rt_period", "cpu_rt_runtime", "cpu_shares",
                  "oom_score_adj", "pids_limit"] { f[k] = fld(.int) }
        for k in ["oom_kill_disable", "privileged", "read_only", "stdin_open", "tty", "use_api_socket"] { f[k] = fld(.bool) }
        for k in ["mem_limit", "mem_reservation", "memswap_limit", "mem_swappiness", "shm_size"] { f[k] = fld(.bytes) }
        for k in ["dns", "dns_search", "tmpfs"] { f[k] = fld(.stringList) }
        for k in ["labels", "annotations", "sysctls", "storage_opt", "log_opt"] { f[k] = fld(.mapping) }
        f["cpus"] = fld(.float)
        f["cpu_percent"] = fld(.float)
        f["attach"] = fld(.pointer(.bool))
        f["init"] = fld(.pointer(.bool))
        f["scale"] = fld(.pointer(.int))
        f["stop_grace_period"] = fld(.pointer(.duration))
        f["command"] = alw(.command)
        f["entrypoint"] = alw(.command)
        f["environment"] = fld(.mappingWithEquals)
        f["expose"] = fld(.stringList)
        f["extra_hosts"] = fld(.hosts)
        f["build"] = fld(build)
        f["deploy"] = fld(deploy)
        f["extends"] = fld(rec(["file": fld(.string), "service": fld(.string)]))
        f["healthcheck"] = fld(rec([
            "test": fld(.healthTest), "timeout": fld(.pointer(.duration)), "interval": fld(.pointer(.duration)),
            "retries": fld(.pointer(.int)), "start_period": fld(.pointer(.duration)),
            "start_interval": fld(.pointer(.duration)), "disable": fld(.bool),
        ]))
        f["logging"] = fld(rec(["driver": fld(.string), "options": fld(.mapping)]))
        f["credential_spec"] = fld(rec(["config": fld(.string), "file": fld(.string), "registry": fld(.string)]))
        f["provider"] = fld(rec(["type": fld(.string), "options": fld(.dict(.stringsOrScalar))]))
        f["depends_on"] = fld(.dict(rec(["condition": fld(.string), "restart": fld(.bool), "required": alw(.bool)])))
        f["networks"] = fld(.dict(rec([
            "aliases": fld(strings), "driver_opts": fld(.mapping), "gw_priority": fld(.int),
            "interface_name": fld(.string), "ipv4_address": fld(.string), "ipv6_address": fld(.string),
            "link_local_ips": fld(strings), "mac_address": fld(.string), "priority": fld(.int),
        ])))
        f["ports"] = fld(.list(rec([
            "name": fld(.string), "mode": fld(.string), "host_ip": fld(.string), "target": fld(.int),
            "published": fld(.string), "protocol": fld(.string), "app_protocol": fld(.string),
        ])))
        f["secrets"] = fld(.list(fileReference))
        f["configs"] = fld(.list(fileReference))
        f["ulimits"] = fld(.dict(.ulimit))
        f["devices"] = fld(.list(.deviceMapping))
        f["gpus"] = fld(.list(deviceRequest))
        f["volumes"] = fld(.list(volumeMount))
        f["post_start"] = fld(.list(hook))
        f["pre_stop"] = fld(.list(hook))
        f["models"] = fld(.dict(rec(["endpoint_var": fld(.string), "model_var": fld(.string)])))
        f["develop"] = fld(rec(["watch": fld(.list(rec([
            "path": alw(.string), "action": alw(.string), "target": fld(.string),
            "exec": alw(hook), "include": fld(.stringList), "ignore": fld(.stringList), "initial_sync": fld(.bool),
        ])))]))
        f["blkio_config"] = fld(rec([
            "weight": fld(.int),
            "weight_device": fld(.list(rec(["path": ren(.string, "Path"), "weight": ren(.int, "Weight")]))),
            "device_read_bps": fld(.list(throttle)), "device_read_iops": fld(.list(throttle)),
            "device_write_bps": fld(.list(throttle)), "device_write_iops": fld(.list(throttle)),
        ]))
        // `env_file` is read into `environment` and dropped unless the service environment is
        // left unresolved (`config --hash`); then each entry prints as compose-go's `EnvFile`.
        f["env_file"] = fld(.list(.envFile))
        return .record(Record(f, order: serviceOrder))
    }()

    /// compose-go 2.9.1 `ServiceConfig` field order (checked against Docker Compose 2.40.3's
    /// `config --format json`, which writes services in it), legacy fields (`dockerfile`,
    /// `log_driver`, `log_opt`, `net`, `volume_driver`) included.
    static let serviceOrder = [
        "profiles", "annotations", "attach", "build", "develop", "blkio_config", "cap_add", "cap_drop",
        "cgroup_parent", "cgroup", "cpu_count", "cpu_percent", "cpu_period", "cpu_quota", "cpu_rt_period",
        "cpu_rt_runtime", "cpus", "cpuset", "cpu_shares", "command", "configs", "container_name", "credential_spec",
        "depends_on", "deploy", "device_cgroup_rules", "devices", "dns", "dns_opt", "dns_search", "dockerfile",
        "domainname", "entrypoint", "provider", "environment", "env_file", "expose", "extends", "external_links",
        "extra_hosts", "group_add", "gpus", "hostname", "healthcheck", "image", "init", "ipc", "isolation", "labels",
        "label_file", "links", "logging", "log_driver", "log_opt", "mem_limit", "mem_reservation", "memswap_limit",
        "mem_swappiness", "mac_address", "models", "net", "network_mode", "networks", "oom_kill_disable",
        "oom_score_adj", "pid", "pids_limit", "platform", "ports", "privileged", "pull_policy", "read_only", "restart",
        "runtime", "scale", "secrets", "security_opt", "shm_size", "stdin_open", "stop_grace_period", "stop_signal",
        "storage_opt", "sysctls", "tmpfs", "tty", "ulimits", "use_api_socket", "user", "userns_mode", "uts",
        "volume_driver", "volumes", "volumes_from", "working_dir", "post_start", "pre_stop",
    ]

    static let network: Shape = rec([
        "name": fld(.string), "driver": fld(.string), "driver_opts": fld(.mapping),
        "ipam": alw(rec([
            "driver": fld(.string), "options": fld(.mapping),
            "config": fld(.list(rec([
                "subnet": fld(.string), "gateway": fld(.string), "ip_range": fld(.string), "aux_addresses": fld(.mapping),
            ]))),
        ])),
        "external": fld(.bool), "internal": fld(.bool), "attachable": fld(.bool), "labels": fld(.mapping),
        "enable_ipv4": fld(.pointer(.bool)), "enable_ipv6": fld(.pointer(.bool)),
    ])

    static let volume: Shape = rec([
        "name": fld(.string), "driver": fld(.string), "driver_opts": fld(.mapping), "external": fld(.bool), "labels": fld(.mapping),
    ])

    static let fileObject: Shape = rec([
        "name": fld(.string), "file": fld(.string), "environment": fld(.string), "content": fld(.string),
        "external": fld(.bool), "labels": fld(.mapping), "driver": fld(.string), "driver_opts": fld(.mapping),
        "template_driver": fld(.string),
    ])

    static let model: Shape = rec(["model": fld(.string), "context_size": fld(.int), "runtime_flags": fld(strings)])

    static let project: [String: Field] = [
        "name": fld(.string), "services": alw(.dict(service)), "networks": fld(.dict(network)),
        "volumes": fld(.dict(volume)), "secrets": fld(.dict(fileObject)), "configs": fld(.dict(fileObject)),
        // Top-level `models` is loaded and checked but Docker Compose 2.40.3 does not print it.
    ]
}
