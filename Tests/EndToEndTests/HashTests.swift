import ComposeModel
import Foundation
import Testing

/// `config --hash` without the oracle: hashes recorded from Docker Compose 2.40.3.
@Suite("config --hash")
struct HashTests {
    /// `docker compose config --hash '*'` for compose-files/flink-sql-demo (no path in any hash).
    static let demo = """
        datagen 61bcaf3b995bafd55b1bb44e9540f66c8f1946cbe408e3c0b86f0dd6d5c6050a
        elasticsearch a6fcc4286b42feada15c295df9ed1c5f26d9a9c37dadf87edbfe29611464b6b1
        jobmanager ce2916a68501018230d8ba8da0e88d5f6744d80c232976303ebd9293f06ae152
        kafka 764284818587e5cdffa092ddd63ecbbb7202b2ccac182f77e809aae0690d0288
        kibana dc62a8e71fbfd8a9619749c99a5ae40397198be2306b5d1ea6f00c8c947a0ad5
        mysql 6189fda556bf65d55cd8fd69e32ea106560ad48b1a0c1f6642bef19f9b526d18
        sql-client 907a8f63be6c86b88fb8b27bfc57dc55c61c98d7da734ee53c2efcf2ff329ae3
        taskmanager 09ff9c8c48de65323ca487558be257012f96a8bf2f7d55f256bd2e22911bc009
        zookeeper 7785921944015bd442eb0dc313e7d03bd8edc0bda323d6000946567441ceb429

        """

    @Test("'*' prints every service sorted by name, with Docker Compose's hashes")
    func all() throws {
        let r = try Binary.run(["config", "--hash", "*"], in: CLITests.demo)
        #expect(r.status == 0, "\(r.err)")
        #expect(r.out == Self.demo)
    }

    @Test("a comma list prints its names sorted, a name twice twice")
    func list() throws {
        let r = try Binary.run(["config", "--hash", "zookeeper,kafka,kafka"], in: CLITests.demo)
        #expect(r.status == 0, "\(r.err)")
        let lines = Self.demo.split(separator: "\n")
        let kafka = lines.first { $0.hasPrefix("kafka ") }!, zookeeper = lines.first { $0.hasPrefix("zookeeper ") }!
        #expect(r.out == "\(kafka)\n\(kafka)\n\(zookeeper)\n")
    }

    static let probe = """
        services:
          b:
            image: alpine
            command: echo "a<b>&c $$HOME"
            environment:
              Z: 1
              A: "x"
            depends_on: [a]
          a:
            image: alpine
            build: .
            pull_policy: build
          c:
            image: alpine
            profiles: [x]
            scale: 2
        """

    @Test("build, pull_policy, scale, depends_on and profiles do not count; HTML characters are escaped and $ is not doubled")
    func cleared() throws {
        let r = try Binary.run(["-f", "-", "--profile", "x", "config", "--hash", "*"], in: NSTemporaryDirectory(), stdin: Self.probe)
        #expect(r.status == 0, "\(r.err)")
        #expect(r.out == """
            a 1401a92039735b8870d9d445faadb5d72e9aa67ac7e0da35dfd665f96546bc41
            b ace1c5d72f4bd49f68f908d46d7909a168e63093a74d7cb3288b4e0a881fcb89
            c 1401a92039735b8870d9d445faadb5d72e9aa67ac7e0da35dfd665f96546bc41

            """)
    }

    @Test("an unknown service and one disabled by its profiles are errors, after the lines before them")
    func unknown() throws {
        let r = try Binary.run(["-f", "-", "config", "--hash", "a,c"], in: NSTemporaryDirectory(), stdin: Self.probe)
        #expect(r.status == 1)
        #expect(r.out == "a 1401a92039735b8870d9d445faadb5d72e9aa67ac7e0da35dfd665f96546bc41\n")
        #expect(r.err.contains("no such service: c: disabled"), "\(r.err)")
        let missing = try Binary.run(["-f", "-", "config", "--hash", "nope"], in: NSTemporaryDirectory(), stdin: Self.probe)
        #expect(missing.status == 1)
        #expect(missing.err.contains("no such service: nope: not found"), "\(missing.err)")
    }

    @Test("env_file is hashed as written, not read (a missing file is no error); DOCKER_DEFAULT_PLATFORM applies to built services")
    func envFileAndPlatform() throws {
        let dir = NSTemporaryDirectory() + "swc-hash-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try "X=1\n".write(toFile: dir + "/a.env", atomically: true, encoding: .utf8)
        let yaml = """
            services:
              s:
                image: alpine
                env_file: [a.env, {path: missing.env, required: false, format: raw}]
              t:
                image: x
                build: .
            """
        try yaml.write(toFile: dir + "/compose.yaml", atomically: true, encoding: .utf8)
        let plain = try Binary.run(["config", "--hash", "*"], in: dir)
        #expect(plain.status == 0, "\(plain.err)")
        let lines = plain.out.split(separator: "\n")
        #expect(lines.count == 2)
        // What Go's json.Marshal writes for s (the env_file forms as Docker Compose 2.40.3 hashes them).
        let s = #"{"command":null,"entrypoint":null,"env_file":["\#(dir)/a.env",{"path":"\#(dir)/missing.env","required":false,"format":"raw"}],"image":"alpine","networks":{"default":null}}"#
        #expect(lines.first == "s " + Substring(SHA256.hex(s)))
        #expect(lines.last == "t d5457d0b2799957b606d2ac4ed52d85a1e75799490e56229948300b9a59e8953")
        var env = ["PATH": "/usr/bin:/bin", "HOME": "/root"]
        env["DOCKER_DEFAULT_PLATFORM"] = "linux/arm64"
        let arm = try Binary.run(["config", "--hash", "t"], in: dir, environment: env)
        #expect(arm.out == "t b8209fed222c930421b64352c46fda422daf4a8efcaac973a1063cee2a7751df\n", "\(arm.err)")
    }
}
