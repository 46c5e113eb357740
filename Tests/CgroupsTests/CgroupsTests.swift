import Foundation
import Testing
@testable import Cgroups

/// Spawns `/bin/sh -c script` and returns its pid (stdio to /dev/null).
func spawnShell(_ script: String) throws -> pid_t {
    var actions = posix_spawn_file_actions_t()
    posix_spawn_file_actions_init(&actions)
    defer { posix_spawn_file_actions_destroy(&actions) }
    for fd: Int32 in [0, 1, 2] { posix_spawn_file_actions_addopen(&actions, fd, "/dev/null", fd == 0 ? O_RDONLY : O_WRONLY, 0) }
    let argv: [UnsafeMutablePointer<CChar>?] = [strdup("/bin/sh"), strdup("-c"), strdup(script), nil]
    defer { argv.forEach { free($0) } }
    var pid: pid_t = 0
    let rc = posix_spawn(&pid, "/bin/sh", &actions, nil, argv, environ)
    guard rc == 0 else { throw CgroupError("posix_spawn: \(rc)") }
    return pid
}

func waitStatus(_ pid: pid_t) -> Int32 {
    var status: Int32 = 0
    while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
    return status
}

/// The live tests: cgroup v1 on this machine (as root), in a parent group of their own that
/// is removed afterwards in every hierarchy.
@Suite("cgroup v1 on this host", .serialized)
struct CgroupV1Tests {
    let parent = "/swcompose-test-\(UUID().uuidString.prefix(8))"

    func manager(_ name: String) throws -> CgroupV1 {
        try #require(try Cgroups.manager(name: name, parent: parent) as? CgroupV1, "this host has cgroup v1 controllers")
    }

    func cleanUp(_ m: CgroupV1) {
        try? m.killAll()
        try? m.destroy()
        var seen = Set<String>()
        for c in CgroupV1.controllers {
            if let root = m.mounts[c], seen.insert(root).inserted { rmdir(root + parent) }
        }
    }

    @Test func theModeIsWhatMountinfoSays() throws {
        let info = try String(contentsOfFile: "/proc/self/mountinfo", encoding: .utf8).split(separator: "\n")
        func type(at point: String) -> String? {
            info.first { $0.split(separator: " ").count > 4 && $0.split(separator: " ")[4] == point }?
                .components(separatedBy: " - ").last?.split(separator: " ").first.map(String.init)
        }
        let expected: Cgroups.Mode = type(at: "/sys/fs/cgroup") == "cgroup2" ? .unified : type(at: "/sys/fs/cgroup/unified") == "cgroup2" ? .hybrid : .legacy
        #expect(try Cgroups.detect() == expected)
    }

    @Test func limitsAreWrittenAndAProcessLivesInTheGroup() throws {
        let m = try manager("limits")
        defer { cleanUp(m) }
        try m.create()
        var r = CgroupResources()
        r.memoryLimit = 64 << 20
        r.memoryReservation = 32 << 20
        r.cpuShares = 512
        r.cpuPeriod = 100_000
        r.cpuQuota = 50_000
        r.pidsLimit = 50
        r.devices = [DeviceRule(allow: false), DeviceRule(allow: true, type: "c", major: 1, minor: 3, access: "rwm")]
        try m.apply(r)
        func read(_ c: String, _ f: String) throws -> String { try ControlFile.read(m.mounts[c]! + m.path + "/" + f) }
        #expect(try read("memory", "memory.limit_in_bytes") == String(64 << 20))
        #expect(try read("memory", "memory.soft_limit_in_bytes") == String(32 << 20))
        #expect(try read("cpu", "cpu.shares") == "512")
        #expect(try read("cpu", "cpu.cfs_quota_us") == "50000")
        #expect(try read("pids", "pids.max") == "50")
        #expect(try read("devices", "devices.list") == "c 1:3 rwm")
        // Once in the group, it fills 4 MB of /dev/shm (tmpfs pages are charged to the group;
        // not from /dev/zero: the device rules allow only /dev/null).
        let shm = "/dev/shm/swcompose-test-\(UUID().uuidString)"
        defer { unlink(shm) }
        let pid = try spawnShell("while ! grep -q 'memory:\(m.path)$' /proc/self/cgroup; do :; done; yes swcompose | head -c 4194304 > \(shm); exec sleep 30")
        try m.add(pid)
        var st = stat()
        for _ in 0..<200 {
            if stat(shm, &st) == 0 && st.st_size == 4_194_304 { break }
            usleep(10_000)
        }
        #expect(try m.processes() == [pid])
        let membership = try String(contentsOfFile: "/proc/\(pid)/cgroup", encoding: .utf8)
        #expect(membership.contains("memory:\(m.path)\n") && membership.contains("pids:\(m.path)\n"))
        try m.freeze()
        #expect(try read("freezer", "freezer.state") == "FROZEN")
        try m.thaw()
        #expect(try read("freezer", "freezer.state") == "THAWED")
        let s = try m.stats()
        #expect(s.pids == 1 && s.memoryLimit == UInt64(64 << 20))
        #expect(s.memoryUsage >= 4_194_304, "the shm pages are charged: \(s.memoryUsage)")
        try m.killAll()
        let status = waitStatus(pid)
        #expect(status & 0x7f == SIGKILL)
        #expect(try m.processes().isEmpty)
        try m.destroy()
        #expect(!FileManager.default.fileExists(atPath: m.mounts["memory"]! + m.path))
    }

    @Test func thePidsLimitStopsAForkBomb() throws {
        let m = try manager("pids")
        defer { cleanUp(m) }
        try m.create()
        var r = CgroupResources()
        r.pidsLimit = 5
        try m.apply(r)
        // The shell waits until it is in the group, then tries to start 20 sleepers.
        let pid = try spawnShell("while ! grep -q 'pids:\(m.path)$' /proc/self/cgroup; do :; done; i=0; while [ $i -lt 20 ]; do sleep 30 & i=$((i+1)); done; sleep 30")
        try m.add(pid)
        usleep(500_000)
        let count = try m.processes().count
        #expect(count <= 5, "the group holds \(count) processes")
        #expect((Int(try ControlFile.read(m.mounts["pids"]! + m.path + "/pids.current")) ?? 99) <= 5)
        try m.killAll()
        _ = waitStatus(pid)
        #expect(try m.processes().isEmpty)
    }

    @Test func theMemoryLimitKillsAProcessThatGoesPastIt() throws {
        let m = try manager("oom")
        defer { cleanUp(m) }
        try m.create()
        var r = CgroupResources()
        r.memoryLimit = 32 << 20
        r.memorySwap = 32 << 20  // no swap either
        try m.apply(r)
        let pid = try spawnShell("while ! grep -q 'memory:\(m.path)$' /proc/self/cgroup; do :; done; exec python3 -c 'x = bytearray(256 << 20); print(len(x))'")
        try m.add(pid)
        let status = waitStatus(pid)
        #expect(status & 0x7f == SIGKILL, "killed by the OOM killer (status \(status))")
        let oom = try ControlFile.read(m.mounts["memory"]! + m.path + "/memory.oom_control")
        #expect(oom.contains("oom_kill 1"), "the kernel counts the kill: \(oom)")
    }

    @Test func badNamesAreRefused() {
        #expect { try Cgroups.manager(name: "../x") } throws: { "\($0)".contains("invalid cgroup name") }
        #expect { try Cgroups.manager(name: "x", parent: "/a/../../b") } throws: { "\($0)".contains("invalid cgroup parent") }
    }
}

/// cgroup v2, on a fake tree in a temporary directory (this host has no v2 controllers): the
/// files the manager writes, as the kernel would read them.
@Suite("cgroup v2 on a fake tree")
final class CgroupV2Tests {
    let root: String
    deinit { try? FileManager.default.removeItem(atPath: root) }
    init() throws {
        root = NSTemporaryDirectory() + "swcompose-fake-cgroup2-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: root + "/swcompose", withIntermediateDirectories: true)
        try "cpuset cpu io memory hugetlb pids rdma misc\n".write(toFile: root + "/cgroup.controllers", atomically: true, encoding: .utf8)
        try "\n".write(toFile: root + "/cgroup.subtree_control", atomically: true, encoding: .utf8)
        // What the kernel shows in /swcompose once the root enabled its controllers.
        try "cpuset cpu io memory pids\n".write(toFile: root + "/swcompose/cgroup.controllers", atomically: true, encoding: .utf8)
        try "memory\n".write(toFile: root + "/swcompose/cgroup.subtree_control", atomically: true, encoding: .utf8)
    }

    func file(_ p: String) -> String? { try? ControlFile.read(root + p) }

    @Test func createEnablesControllersDownThePath() throws {
        let m = try CgroupV2(root: root, path: "/swcompose/c1")
        try m.create()
        #expect(file("/cgroup.subtree_control") == "+cpuset +cpu +io +memory +pids")
        #expect(file("/swcompose/cgroup.subtree_control") == "+cpuset +cpu +io +pids", "memory was enabled already")
        #expect(FileManager.default.fileExists(atPath: root + "/swcompose/c1"))
    }

    @Test func limitsInV2Terms() throws {
        let m = try CgroupV2(root: root, path: "/swcompose/c2")
        try m.create()
        // The kernel has memory.swap.max where swap is accounted.
        try "max\n".write(toFile: root + "/swcompose/c2/memory.swap.max", atomically: true, encoding: .utf8)
        var r = CgroupResources()
        r.memoryLimit = 512 << 20
        r.memoryReservation = 256 << 20
        r.memorySwap = 768 << 20
        r.cpuShares = 1024
        r.cpuQuota = 150_000
        r.cpuPeriod = 100_000
        r.cpusetCpus = "0-1"
        r.pidsLimit = -1
        let warnings = try m.apply(r)
        #expect(file("/swcompose/c2/memory.max") == String(512 << 20))
        #expect(file("/swcompose/c2/memory.low") == String(256 << 20))
        #expect(file("/swcompose/c2/memory.swap.max") == String(256 << 20), "v2 limits swap alone: 768M - 512M")
        #expect(file("/swcompose/c2/cpu.weight") == "39", "runc's conversion of 1024 shares")
        #expect(file("/swcompose/c2/cpu.max") == "150000 100000")
        #expect(file("/swcompose/c2/cpuset.cpus") == "0-1")
        #expect(file("/swcompose/c2/pids.max") == "max")
        #expect(warnings.isEmpty)
        var unlimited = CgroupResources()
        unlimited.memoryLimit = 0
        unlimited.memorySwap = -1
        unlimited.cpuQuota = -1
        try m.apply(unlimited)
        #expect(file("/swcompose/c2/memory.max") == "max" && file("/swcompose/c2/memory.swap.max") == "max")
        #expect(file("/swcompose/c2/cpu.max") == "max 100000")
    }

    @Test func freezeKillAndStats() throws {
        let m = try CgroupV2(root: root, path: "/swcompose/c3")
        try m.create()
        try "populated 1\nfrozen 1\n".write(toFile: root + "/swcompose/c3/cgroup.events", atomically: true, encoding: .utf8)
        try m.freeze()
        #expect(file("/swcompose/c3/cgroup.freeze") == "1")
        try "usage_usec 2500\nuser_usec 2000\n".write(toFile: root + "/swcompose/c3/cpu.stat", atomically: true, encoding: .utf8)
        try "1048576\n".write(toFile: root + "/swcompose/c3/memory.current", atomically: true, encoding: .utf8)
        try "max\n".write(toFile: root + "/swcompose/c3/memory.max", atomically: true, encoding: .utf8)
        try "3\n".write(toFile: root + "/swcompose/c3/pids.current", atomically: true, encoding: .utf8)
        let s = try m.stats()
        #expect(s.cpuUsage == 2_500_000 && s.memoryUsage == 1_048_576 && s.memoryLimit == nil && s.pids == 3)
        try "".write(toFile: root + "/swcompose/c3/cgroup.kill", atomically: true, encoding: .utf8)
        try m.killAll()
        #expect(file("/swcompose/c3/cgroup.kill") == "1", "one write to cgroup.kill kills the group")
    }

    @Test func sharesToWeight() {
        #expect(CgroupResources.weight(fromShares: 2) == 1)
        #expect(CgroupResources.weight(fromShares: 262_144) == 10_000)
        #expect(CgroupResources.weight(fromShares: 1024) == 39)
    }

    @Test func aTreeThatIsNoCgroupFileSystemIsNamed() throws {
        #expect { try Cgroups.detect(root: root) } throws: { "\($0)".contains(root) }
    }
}
