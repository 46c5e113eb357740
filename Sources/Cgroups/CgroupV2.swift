import Foundation

/// cgroup v2: one tree with every controller. Controllers are enabled down the path through
/// `cgroup.subtree_control` (only the group itself holds processes: the parents hold none,
/// as v2's no-internal-processes rule wants).
public final class CgroupV2: CgroupManager, @unchecked Sendable {
    public static let controllers = ["cpuset", "cpu", "io", "memory", "pids"]

    public let path: String
    public let root: String
    var dir: String { root + path }

    public init(root: String, path: String) throws {
        self.root = root
        self.path = path
    }

    public func create() throws {
        var current = root
        for part in path.split(separator: "/") {
            // What the parent has is what the child may get.
            let available = Set(((try? ControlFile.read(current + "/cgroup.controllers")) ?? "").split(separator: " ").map(String.init))
            let enabled = Set(((try? ControlFile.read(current + "/cgroup.subtree_control")) ?? "").split(separator: " ").map(String.init))
            let want = Self.controllers.filter { available.contains($0) && !enabled.contains($0) }
            if !want.isEmpty {
                try ControlFile.write(current + "/cgroup.subtree_control", want.map { "+" + $0 }.joined(separator: " "))
            }
            current += "/" + part
            try ControlFile.makeDirectories(current)
        }
    }

    public func apply(_ r: CgroupResources) throws -> [String] {
        var warnings: [String] = []
        if let limit = r.memoryLimit { try ControlFile.write(dir + "/memory.max", limit > 0 ? String(limit) : "max") }
        if let soft = r.memoryReservation { try ControlFile.write(dir + "/memory.low", String(soft)) }
        if let total = r.memorySwap {
            // v2 limits swap alone; Docker's value is memory plus swap.
            let value: String
            if total < 0 { value = "max" } else if let limit = r.memoryLimit, limit > 0 { value = String(max(0, total - limit)) } else {
                value = "max"
                warnings.append("a swap limit without a memory limit means nothing: ignored")
            }
            if ControlFile.exists(dir + "/memory.swap.max") {
                try ControlFile.write(dir + "/memory.swap.max", value)
            } else {
                warnings.append("this kernel does not account swap (no memory.swap.max): the swap limit is ignored")
            }
        }
        if let s = r.cpuShares { try ControlFile.write(dir + "/cpu.weight", String(CgroupResources.weight(fromShares: s))) }
        if r.cpuQuota != nil || r.cpuPeriod != nil {
            let quota = r.cpuQuota.map { $0 > 0 ? String($0) : "max" } ?? "max"
            try ControlFile.write(dir + "/cpu.max", "\(quota) \(r.cpuPeriod ?? 100_000)")
        }
        if let cpus = r.cpusetCpus { try ControlFile.write(dir + "/cpuset.cpus", cpus) }
        if let mems = r.cpusetMems { try ControlFile.write(dir + "/cpuset.mems", mems) }
        if let limit = r.pidsLimit { try ControlFile.write(dir + "/pids.max", limit > 0 ? String(limit) : "max") }
        if !r.devices.isEmpty {
            warnings.append("device rules on cgroup v2 are enforced by the runtime's eBPF program, not by cgroup files")
        }
        return warnings
    }

    public func add(_ pid: pid_t) throws { try ControlFile.write(dir + "/cgroup.procs", String(pid)) }

    public func processes() throws -> [pid_t] { try ControlFile.pids(dir + "/cgroup.procs") }

    public func freeze() throws { try setFrozen(true) }
    public func thaw() throws { try setFrozen(false) }

    private func setFrozen(_ frozen: Bool) throws {
        try ControlFile.write(dir + "/cgroup.freeze", frozen ? "1" : "0")
        for _ in 0..<1000 {
            if ControlFile.keyed(dir + "/cgroup.events")["frozen"] == (frozen ? 1 : 0) { return }
            usleep(1_000)
        }
        throw CgroupError("\(dir): cgroup.events did not report frozen \(frozen ? 1 : 0)")
    }

    public func stats() throws -> CgroupStats {
        var s = CgroupStats()
        s.cpuUsage = (ControlFile.keyed(dir + "/cpu.stat")["usage_usec"] ?? 0) * 1000
        s.memoryUsage = UInt64((try? ControlFile.read(dir + "/memory.current")) ?? "") ?? 0
        s.memoryLimit = UInt64((try? ControlFile.read(dir + "/memory.max")) ?? "max")
        s.pids = UInt64((try? ControlFile.read(dir + "/pids.current")) ?? "") ?? 0
        return s
    }

    public func killAll() throws {
        if ControlFile.exists(dir + "/cgroup.kill") {
            // Linux 5.14+: the kernel kills every task, forks included, in one write.
            try ControlFile.write(dir + "/cgroup.kill", "1")
            for _ in 0..<1000 {
                if try processes().isEmpty { return }
                usleep(1_000)
            }
        }
        try ControlFile.killUntilEmpty(procs: processes, freeze: freeze, thaw: thaw, label: dir)
    }

    public func destroy() throws { try ControlFile.removeGroup(dir) }
}
