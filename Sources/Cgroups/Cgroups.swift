import CLinux
import Foundation

/// Control groups for containers: one `CgroupManager` interface with a cgroup v1 and a v2
/// implementation, chosen by what the host mounts (detected, never assumed), and rooted at an
/// injectable directory so that the v2 logic is tested on a fake tree in a temporary directory.
///
/// Layout: a container's group is `PARENT/NAME` in every hierarchy (`/swcompose/<id>` by
/// default: a parent of our own at the top, as Docker's cgroupfs driver uses `/docker`).
/// Resources follow the OCI runtime spec's `linux.resources` units: bytes, CPU shares
/// (v1's 2–262144; converted to v2's weight with runc's formula), quota and period in µs.
public enum Cgroups {
    /// How the host mounts cgroups.
    public enum Mode: String, Sendable {
        /// cgroup2 at the root, controllers there (most current distributions).
        case unified
        /// v1 controllers, plus a cgroup2 mount without controllers (`/sys/fs/cgroup/unified`).
        case hybrid
        /// v1 controllers only.
        case legacy
    }

    static let cgroup2Magic: UInt = 0x6367_7270
    static let tmpfsMagic: UInt = 0x0102_1994
    static let cgroup1Magic: UInt = 0x0027_e0eb

    /// What `root` (normally `/sys/fs/cgroup`) is, by the file system magic numbers, as youki
    /// and runc tell them apart.
    public static func detect(root: String = "/sys/fs/cgroup") throws -> Mode {
        func magic(_ path: String) -> UInt? {
            let m = cl_fs_magic(path)
            return m == -1 ? nil : UInt(bitPattern: m)
        }
        guard let m = magic(root) else { throw CgroupError.posix("statfs", root) }
        if m == cgroup2Magic { return .unified }
        let v1 = ((try? FileManager.default.contentsOfDirectory(atPath: root)) ?? []).contains { magic(root + "/" + $0) == cgroup1Magic }
        guard m == tmpfsMagic, v1 else {
            throw CgroupError("\(root) is neither cgroup2 nor a tmpfs holding cgroup v1 hierarchies (file system magic \(String(m, radix: 16)))")
        }
        return magic(root + "/unified") == cgroup2Magic ? .hybrid : .legacy
    }

    /// The manager for the group `parent/name` on this host (nothing is created yet).
    public static func manager(name: String, parent: String = "/swcompose", root: String = "/sys/fs/cgroup") throws -> any CgroupManager {
        switch try detect(root: root) {
        case .unified: return try CgroupV2(root: root, path: join(parent, name))
        case .hybrid, .legacy: return try CgroupV1(mounts: CgroupV1.mounts(), path: join(parent, name))
        }
    }

    static func join(_ parent: String, _ name: String) throws -> String {
        guard !name.isEmpty, !name.contains("/"), name != ".", name != ".." else {
            throw CgroupError("invalid cgroup name \"\(name)\"")
        }
        let p = parent.split(separator: "/").filter { !$0.isEmpty && $0 != "." }
        guard !p.contains("..") else { throw CgroupError("invalid cgroup parent \"\(parent)\"") }
        return "/" + (p.map(String.init) + [name]).joined(separator: "/")
    }
}

/// Limits of one container, in the OCI runtime spec's terms. nil: leave the kernel's default.
public struct CgroupResources: Sendable, Equatable {
    /// `memory.limit_in_bytes` / `memory.max` (Compose `mem_limit`).
    public var memoryLimit: Int64?
    /// The soft limit, `memory.soft_limit_in_bytes` / `memory.low` (`mem_reservation`).
    public var memoryReservation: Int64?
    /// Memory plus swap (`memswap_limit`, Docker's meaning); -1 is unlimited swap.
    public var memorySwap: Int64?
    /// CPU shares, 2–262144 (`cpu_shares`); v2 gets the equivalent weight.
    public var cpuShares: UInt64?
    /// CFS quota and period in µs (`cpus: 1.5` is quota 150000 with period 100000).
    public var cpuQuota: Int64?
    public var cpuPeriod: UInt64?
    public var cpusetCpus: String?
    public var cpusetMems: String?
    /// Processes at most (`pids_limit`); -1 or 0 is unlimited.
    public var pidsLimit: Int64?
    /// Device rules in order (v1 `devices.allow`/`devices.deny`; on v2 device rules need an
    /// eBPF program, which the runtime attaches, not this module).
    public var devices: [DeviceRule] = []

    public init() {}

    /// runc's conversion of v1 shares to a v2 weight (2 → 1, 1024 → 39, 262144 → 10000).
    public static func weight(fromShares s: UInt64) -> UInt64 {
        s == 0 ? 0 : 1 + ((min(max(s, 2), 262_144) - 2) * 9999) / 262_142
    }
}

public struct DeviceRule: Sendable, Equatable {
    public var allow: Bool
    /// `a` (all), `c` or `b`.
    public var type: Character
    public var major: Int64?
    public var minor: Int64?
    public var access: String
    public init(allow: Bool, type: Character = "a", major: Int64? = nil, minor: Int64? = nil, access: String = "rwm") {
        self.allow = allow; self.type = type; self.major = major; self.minor = minor; self.access = access
    }
    /// v1's `devices.allow` line: `c 1:3 rwm`, `a *:* rwm`.
    public var line: String {
        "\(type) \(major.map(String.init) ?? "*"):\(minor.map(String.init) ?? "*") \(access)"
    }
}

/// What `stats` reports (for a future `swcompose stats`).
public struct CgroupStats: Sendable, Equatable {
    /// CPU time used, in nanoseconds.
    public var cpuUsage: UInt64 = 0
    public var memoryUsage: UInt64 = 0
    /// nil when unlimited.
    public var memoryLimit: UInt64?
    public var pids: UInt64 = 0
    public init() {}
}

/// One container's group in every hierarchy.
public protocol CgroupManager: Sendable {
    /// The group's path inside each hierarchy, e.g. `/swcompose/abc`.
    var path: String { get }
    /// Creates the group (and its parents); idempotent.
    func create() throws
    /// Writes the limits. Returns warnings for what this host cannot do (no swap accounting).
    @discardableResult func apply(_ r: CgroupResources) throws -> [String]
    /// Moves a process (all its threads) into the group.
    func add(_ pid: pid_t) throws
    /// The processes in the group.
    func processes() throws -> [pid_t]
    func freeze() throws
    func thaw() throws
    func stats() throws -> CgroupStats
    /// Kills every process of the group (also those forking meanwhile) and waits until it is empty.
    func killAll() throws
    /// Removes the group; it must be empty (`killAll` first).
    func destroy() throws
}

public struct CgroupError: Error, Sendable, CustomStringConvertible, Equatable {
    public var message: String
    public var errno: Int32?
    public init(_ message: String, errno: Int32? = nil) { self.message = message; self.errno = errno }
    public var description: String { message }

    static func posix(_ call: String, _ path: String, _ err: Int32 = Glibc.errno) -> CgroupError {
        CgroupError("\(call) \(path): \(String(cString: strerror(err))) (errno \(err))", errno: err)
    }
}

/// Reading and writing control files, with errors that name the file and the value.
enum ControlFile {
    static func write(_ path: String, _ value: String) throws {
        let fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw CgroupError.posix("open", path) }
        defer { close(fd) }
        let bytes = Array(value.utf8)
        let n = bytes.withUnsafeBytes { Glibc.write(fd, $0.baseAddress, $0.count) }
        guard n == bytes.count else {
            let e = Glibc.errno
            throw CgroupError("write \"\(value)\" to \(path): \(String(cString: strerror(e))) (errno \(e))", errno: e)
        }
    }

    static func read(_ path: String) throws -> String {
        guard let d = FileManager.default.contents(atPath: path) else { throw CgroupError.posix("read", path) }
        return String(decoding: d, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
    }

    static func exists(_ path: String) -> Bool { access(path, F_OK) == 0 }

    static func makeDirectories(_ path: String) throws {
        if exists(path) { return }
        try makeDirectories((path as NSString).deletingLastPathComponent)
        guard mkdir(path, 0o755) == 0 || Glibc.errno == EEXIST else { throw CgroupError.posix("mkdir", path) }
    }

    /// `cgroup.procs`: one pid per line.
    static func pids(_ path: String) throws -> [pid_t] {
        guard exists(path) else { return [] }
        return try read(path).split(whereSeparator: \.isNewline).compactMap { pid_t($0) }
    }

    /// `key value` lines (memory.stat, cpu.stat, cgroup.events).
    static func keyed(_ path: String) -> [String: UInt64] {
        var out: [String: UInt64] = [:]
        for line in ((try? read(path)) ?? "").split(whereSeparator: \.isNewline) {
            let parts = line.split(separator: " ")
            if parts.count == 2, let v = UInt64(parts[1]) { out[String(parts[0])] = v }
        }
        return out
    }

    /// Removes a group directory, retrying while the kernel still counts an exiting task.
    static func removeGroup(_ path: String) throws {
        for attempt in 0..<100 {
            if rmdir(path) == 0 || Glibc.errno == ENOENT { return }
            guard Glibc.errno == EBUSY, attempt < 99 else { throw CgroupError.posix("rmdir", path) }
            usleep(2_000)
        }
    }

    /// Kills every pid until none is left (procs forked meanwhile included), frozen in between
    /// when a freezer is given so that nothing forks past us.
    static func killUntilEmpty(procs: () throws -> [pid_t], freeze: (() throws -> Void)?, thaw: (() throws -> Void)?, label: String) throws {
        for _ in 0..<500 {
            try freeze?()
            let pids = try procs()
            for p in pids { kill(p, SIGKILL) }
            try thaw?()
            if pids.isEmpty { return }
            usleep(2_000)
        }
        throw CgroupError("\(label): processes are still running after SIGKILL: \(try procs())")
    }
}
