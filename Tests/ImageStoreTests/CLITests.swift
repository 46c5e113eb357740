import Foundation
import Testing
@testable import ImageStore
import OCI

/// The image commands as a user runs them: the `swcompose` binary, pulling from the test
/// registry, with its progress on a terminal (a pseudo-terminal made by Python's `pty`) and
/// on a pipe, and `image save | image load` through a pipe.
@Suite("Image commands of the swcompose binary", .serialized)
struct CLITests {
    let fx: RegistryFixture
    init() throws { fx = try RegistryFixture.get() }

    static let binary = RegistryFixture.repo + "/.build/debug/swcompose"

    /// Runs the binary with standard output and error on a pseudo-terminal; returns the bytes.
    func onTerminal(_ args: [String], scratch: StoreScratch) throws -> String {
        let script = """
        import os, pty, sys
        pid, fd = pty.fork()
        if pid == 0:
            os.execv(sys.argv[1], sys.argv[1:])
        out = b''
        while True:
            try:
                d = os.read(fd, 65536)
            except OSError:
                break
            if not d:
                break
            out += d
        _, status = os.waitpid(pid, 0)
        sys.stdout.buffer.write(out)
        sys.exit(os.waitstatus_to_exitcode(status))
        """
        let log = scratch.path + "/tty-\(UUID().uuidString).log"
        try? RegistryFixture.run("/usr/bin/python3", ["-c", script, Self.binary] + args, log: log)
        return try String(contentsOfFile: log, encoding: .utf8)
    }

    /// Runs the binary with output to a file (no terminal); returns the exit status and output.
    func onPipe(_ args: [String], scratch: StoreScratch, exe: String? = nil) throws -> (Int32, String) {
        let log = scratch.path + "/pipe-\(UUID().uuidString).log"
        let pid = try RegistryFixture.spawn(exe ?? Self.binary, args, log: log)
        var status: Int32 = 0
        while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
        return (status, try String(contentsOfFile: log, encoding: .utf8))
    }

    var image: String { "127.0.0.1:\(fx.port)/swtest/busybox:oci" }

    @Test func aTerminalGetsBarsRedrawnInPlace() throws {
        let s = try StoreScratch()
        let out = try onTerminal(["image", "pull", "--root", s.path, image], scratch: s)
        #expect(out.contains("\u{1b}[2K"), "lines are cleared and redrawn")
        #expect(out.contains("A\r\u{1b}[2K"), "the cursor moves up over the block")
        #expect(out.contains("Pull complete"))
        #expect(out.contains("✔ 127.0.0.1:\(fx.port)/swtest/busybox Pulled"))
        #expect(out.contains("\(image)@sha256:"))
        // Each drawn line fits the terminal (80 columns when it reports none), so none wraps.
        let visible = out.replacingOccurrences(of: "\u{1b}[2K", with: "")
            .split(whereSeparator: { $0 == "\r" || $0 == "\n" })
            .map { $0.replacingOccurrences(of: #"\u{1b}\[\d+A"#, with: "", options: .regularExpression) }
        #expect(visible.allSatisfy { $0.count < 80 }, "\(visible.filter { $0.count >= 80 })")
    }

    @Test func aPipeGetsPlainLinesAndQuietGetsNone() throws {
        let s = try StoreScratch()
        let (status, out) = try onPipe(["image", "pull", "--root", s.path, image], scratch: s)
        #expect(status == 0)
        #expect(!out.contains("\u{1b}"), "no escape sequences on a pipe")
        let name = "127.0.0.1:\(fx.port)/swtest/busybox"
        #expect(out.contains("\(name): pulling\n") && out.contains("\(name): pulled\n"))
        #expect(out.split(separator: "\n").filter { $0.hasPrefix(name + " ") && $0.hasSuffix(": Pull complete") }.count == 5)
        let quiet = try StoreScratch()
        let (qs, qout) = try onPipe(["image", "pull", "--root", quiet.path, "--progress", "quiet", image], scratch: quiet)
        #expect(qs == 0)
        #expect(qout.hasPrefix(image + "@sha256:") && qout.split(separator: "\n").count == 1)
        let (bad, badOut) = try onPipe(["image", "pull", "--root", quiet.path, "--progress", "fancy", image], scratch: quiet)
        #expect(bad != 0 && badOut.contains("--progress must be one of auto, tty, plain, quiet"))
    }

    @Test func saveThroughAPipeIntoLoad() throws {
        let a = try StoreScratch(), b = try StoreScratch()
        #expect(try onPipe(["image", "pull", "--root", a.path, "-q", image], scratch: a).0 == 0)
        let log = b.path + "/pipe.log"
        try RegistryFixture.run("/bin/sh", ["-c", "'\(Self.binary)' image save --root '\(a.path)' \(image) | '\(Self.binary)' image load --root '\(b.path)'"], log: log)
        #expect(try String(contentsOfFile: log, encoding: .utf8) == "Loaded image: \(image)\n")
        let loaded = try ImageStore(root: b.path + "/images").image(try Reference(parsing: image))
        let original = try ImageStore(root: a.path + "/images").image(try Reference(parsing: image))
        #expect(loaded?.manifestDigest == original?.manifestDigest && loaded != nil)
        // An archive is never written to a terminal.
        let tty = try onTerminal(["image", "save", "--root", a.path, image], scratch: a)
        #expect(tty.contains("refusing to write an archive to a terminal"))
    }

    @Test func pullFollowsEachServicesPullPolicy() throws {
        let s = try StoreScratch()
        let compose = s.path + "/compose.yml"
        try """
        services:
          cached:
            image: 127.0.0.1:\(fx.port)/swtest/busybox:schema2
            pull_policy: missing
          fresh:
            image: 127.0.0.1:\(fx.port)/swtest/busybox:oci
          local:
            image: 127.0.0.1:\(fx.port)/swtest/busybox:multi
            pull_policy: never
        """.write(toFile: compose, atomically: true, encoding: .utf8)
        let args = ["pull", "-f", compose, "--root", s.path, "--progress", "plain"]
        let (first, out1) = try onPipe(args, scratch: s)
        #expect(first == 0, "\(out1)")
        #expect(out1.contains("cached: pulled\n") && out1.contains("fresh: pulled\n") && !out1.contains("local:"))
        let (second, out2) = try onPipe(args, scratch: s)
        #expect(second == 0)
        #expect(out2.contains("cached: skipped - image is already present locally\n"))
        #expect(out2.contains("fresh: pulled\n") && !out2.contains("local:"))
        let names = try ImageStore(root: s.path + "/images").list().compactMap { $0.reference?.tag }
        #expect(names.sorted() == ["oci", "schema2"], "never-pulled stays absent")
    }

    @Test func aBrokenDaemonConfigIsNamed() throws {
        let s = try StoreScratch()
        let config = s.path + "/daemon.json"
        try "{ not json".write(toFile: config, atomically: true, encoding: .utf8)
        let (status, out) = try onPipe(["SWCOMPOSE_DAEMON_CONFIG=" + config, Self.binary, "image", "pull", "--root", s.path, image],
                                       scratch: s, exe: "/usr/bin/env")
        #expect(status != 0 && out.contains("\(config): not a JSON object"))
    }
}
