import Foundation

/// cgroup v1: one hierarchy per controller (or per group of controllers, `cpu,cpuacct`), each
/// mounted on its own directory. The group is `path` in each of those we use.
public final class CgroupV1: CgroupManager, @unchecked Sendable {
    /// The controllers a container's group is made in, in the order they are written.
    public static let controllers = ["cpuset", "cpu", "cpuacct", "memory", "pids", "devices", "freezer", "blkio"]

    public let path: String
    /// Controller → the directory its hierarchy is mounted on.
    public let mounts: [String: String]

    public init(mounts: [String: String], path: String) throws {
        self.mounts = mounts
        self.path = path
        for needed in ["memory", "pids", "freezer"] where mounts[needed] == nil {
            throw CgroupError("cgroup v1: the \(needed) controller is not mounted")
        }
    }

    /// The v1 hierarchies of this host from `/proc/self/mountinfo` (controllers from each
    /// `cgroup` mount's super options).
    public static func mounts(mountinfo: String = "/proc/self/mountinfo") throws -> [String: String] {
        let text = try ControlFile.read(mountinfo)
        var out: [String: String] = [:]
        for line in text.split(whereSeparator: \.isNewline) {
            let halves = line.components(separatedBy: " - ")
            guard halves.count == 2 else { continue }
            let left = halves[0].split(separator: " "), right = halves[1].split(separator: " ")
            guard left.count >= 5, right.count >= 3, right[0] == "cgroup" else { continue }
            let point = String(left[4])
            for opt in right[2].split(separator: ",") where controllers.contains(String(opt)) {
                out[String(opt), default: point] = out[String(opt)] ?? point
            }
        }
        return out
    }

    func dir(_ controller: String) -> String? { mounts[controller].map { $0 + path } }

    /// Each hierarchy once (a combined mount serves several controllers).
    var directories: [String] {
        var seen = Set<String>()
        return Self.controllers.compactMap { dir($0) }.filter { seen.insert($0).inserted }
    }

    public func create() throws {
        for d in directories { try ControlFile.makeDirectories(d) }
        // cpuset: a group without cpus and mems takes no task; copy them down from the parent.
        if let root = mounts["cpuset"] {
            var current = root
            for part in path.split(separator: "/") {
                let child = current + "/" + part
                for f in ["cpuset.cpus", "cpuset.mems"] where ((try? ControlFile.read(child + "/" + f)) ?? "").isEmpty {
                    try ControlFile.write(child + "/" + f, try ControlFile.read(current + "/" + f))
                }
                current = child
            }
        }
    }

    public func apply(_ r: CgroupResources) throws -> [String] {
        var warnings: [String] = []
        if let m = dir("memory") {
            if let limit = r.memoryLimit {
                let memsw = m + "/memory.memsw.limit_in_bytes"
                let swap = r.memorySwap ?? (limit > 0 ? limit * 2 : -1)  // Docker: swap defaults to twice the limit
                if ControlFile.exists(memsw) {
                    // memsw must stay ≥ the limit at every step: raise it first when growing.
                    do {
                        try ControlFile.write(m + "/memory.limit_in_bytes", String(limit))
                        try ControlFile.write(memsw, String(swap))
                    } catch let e as CgroupError where e.errno == EINVAL {
                        try ControlFile.write(memsw, String(swap))
                        try ControlFile.write(m + "/memory.limit_in_bytes", String(limit))
                    }
                } else {
                    try ControlFile.write(m + "/memory.limit_in_bytes", String(limit))
                    if r.memorySwap != nil { warnings.append("this kernel does not account swap (no memory.memsw.*): the swap limit is ignored") }
                }
            }
            if let soft = r.memoryReservation { try ControlFile.write(m + "/memory.soft_limit_in_bytes", String(soft)) }
        }
        if let c = dir("cpu") {
            if let s = r.cpuShares { try ControlFile.write(c + "/cpu.shares", String(s)) }
            if let p = r.cpuPeriod { try ControlFile.write(c + "/cpu.cfs_period_us", String(p)) }
            if let q = r.cpuQuota { try ControlFile.write(c + "/cpu.cfs_quota_us", String(q)) }
        }
        if let c = dir("cpuset") {
            if let cpus = r.cpusetCpus { try ControlFile.write(c + "/cpuset.cpus", cpus) }
            if let mems = r.cpusetMems { try ControlFile.write(c + "/cpuset.mems", mems) }
        }
        if let p = dir("pids"), let limit = r.pidsLimit {
            try ControlFile.write(p + "/pids.max", limit > 0 ? String(limit) : "max")
        }
        if let d = dir("devices") {
            for rule in r.devices {
                try ControlFile.write(d + (rule.allow ? "/devices.allow" : "/devices.deny"), rule.line)
            }
        }
        return warnings
    }

    public func add(_ pid: pid_t) throws {
        for d in directories { try ControlFile.write(d + "/cgroup.procs", String(pid)) }
    }

    public func processes() throws -> [pid_t] {
        try ControlFile.pids(dir("memory")! + "/cgroup.procs")
    }

    public func freeze() throws { try setFreezer("FROZEN") }
    public func thaw() throws { try setFreezer("THAWED") }

    private func setFreezer(_ state: String) throws {
        let f = dir("freezer")! + "/freezer.state"
        for _ in 0..<1000 {
            try ControlFile.write(f, state)
            if try ControlFile.read(f) == state { return }
            usleep(1_000)  // FREEZING: some task has not stopped yet
        }
        throw CgroupError("\(f): did not become \(state)")
    }

    public func stats() throws -> CgroupStats {
        var s = CgroupStats()
        if let c = dir("cpuacct") { s.cpuUsage = UInt64((try? ControlFile.read(c + "/cpuacct.usage")) ?? "") ?? 0 }
        if let m = dir("memory") {
            s.memoryUsage = UInt64(try ControlFile.read(m + "/memory.usage_in_bytes")) ?? 0
            let limit = UInt64(try ControlFile.read(m + "/memory.limit_in_bytes")) ?? .max
            s.memoryLimit = limit >= UInt64(Int64.max) / 4096 * 4096 ? nil : limit
        }
        if let p = dir("pids") { s.pids = UInt64((try? ControlFile.read(p + "/pids.current")) ?? "") ?? 0 }
        return s
    }

    public func killAll() throws {
        try ControlFile.killUntilEmpty(procs: processes, freeze: freeze, thaw: thaw, label: path)
    }

    public func destroy() throws {
        for d in directories { try ControlFile.removeGroup(d) }
    }
}
