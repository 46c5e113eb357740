import ComposeModel
import Foundation
import Testing

@Suite("The swcompose command line")
struct CLITests {
    static let demo = Binary.packageRoot + "/compose-files/flink-sql-demo"

    @Test("version prints the version; --version too")
    func version() throws {
        let r = try Binary.run(["version"], in: "/")
        #expect(r.status == 0)
        #expect(r.out.hasPrefix("swcompose version "))
        let short = try Binary.run(["version", "--short"], in: "/")
        #expect(!short.out.contains(" "))
        let json = try Binary.run(["version", "--format", "json"], in: "/")
        #expect(try ComposeJSON.parse(json.out)["version"]?.string == short.out.trimmingCharacters(in: .whitespacesAndNewlines))
    }

    @Test("every command has --help", arguments: [[], ["config"], ["version"]])
    func help(command: [String]) throws {
        let r = try Binary.run(command + ["--help"], in: "/")
        #expect(r.status == 0)
        #expect(r.out.contains("USAGE:"))
    }

    @Test("shell completions are generated", arguments: ["bash", "zsh", "fish"])
    func completions(shell: String) throws {
        let r = try Binary.run(["--generate-completion-script", shell], in: "/")
        #expect(r.status == 0)
        #expect(r.out.contains("config"))
    }

    @Test("global flags work before and after the command, in = and separate forms", arguments: [
        ["-f", "docker-compose.yml", "-p", "demo", "config", "--format", "json"],
        ["config", "-f", "docker-compose.yml", "-p", "demo", "--format", "json"],
        ["--file=docker-compose.yml", "--project-name=demo", "config", "--format=json"],
    ])
    func globalFlags(args: [String]) throws {
        let r = try Binary.run(args, in: Self.demo)
        #expect(r.status == 0, "\(r.err)")
        #expect(try ComposeJSON.parse(r.out)["name"]?.string == "demo")
    }

    @Test("config --services lists every service after its dependencies")
    func services() throws {
        let r = try Binary.run(["config", "--services"], in: Self.demo)
        #expect(r.status == 0, "\(r.err)")
        let names = r.out.split(separator: "\n").map(String.init)
        #expect(Set(names) == ["sql-client", "jobmanager", "taskmanager", "datagen", "mysql", "zookeeper", "kafka", "elasticsearch", "kibana"])
        let at = Dictionary(uniqueKeysWithValues: names.enumerated().map { ($1, $0) })
        #expect(at["zookeeper"]! < at["kafka"]!)
        #expect(at["kafka"]! < at["datagen"]!)
        #expect(at["jobmanager"]! < at["sql-client"]!)
    }

    @Test("config -q prints nothing and succeeds; -o writes the output to a file")
    func quietAndOutput() throws {
        let q = try Binary.run(["config", "-q"], in: Self.demo)
        #expect(q.status == 0)
        #expect(q.out.isEmpty)
        let out = NSTemporaryDirectory() + "swc-cli-\(UUID().uuidString).json"
        defer { try? FileManager.default.removeItem(atPath: out) }
        let r = try Binary.run(["config", "--format", "json", "-o", out], in: Self.demo)
        #expect(r.status == 0)
        #expect(r.out.isEmpty)
        let text = try String(contentsOfFile: out, encoding: .utf8)
        #expect(try ComposeJSON.parse(text)["services"]?["kafka"] != nil)
    }

    @Test("the obsolete version attribute is a warning on stderr, not an error")
    func versionWarning() throws {
        let r = try Binary.run(["config", "-q"], in: Self.demo)
        #expect(r.err.contains("the attribute `version` is obsolete"))
    }

    @Test("bad input exits non-zero with a message that names what is wrong", arguments: [
        (["config", "--format", "toml"], "--format must be yaml or json"),
        (["-f", "missing.yml", "config"], "missing.yml: no such file or directory"),
        (["-p", "Bad Name", "config"], "invalid project name \"Bad Name\""),
        (["--env-file", "nope.env", "config"], "couldn't find env file"),
        (["nosuchcommand"], "nosuchcommand"),
    ])
    func badInput(args: [String], message: String) throws {
        let r = try Binary.run(args, in: Self.demo)
        #expect(r.status != 0)
        #expect(r.err.contains(message), "\(r.err)")
    }

    @Test("YAML output reads back to the same model as the JSON output")
    func yamlOutput() throws {
        let y = try Binary.run(["config"], in: Self.demo)
        #expect(y.status == 0)
        let dir = NSTemporaryDirectory() + "swc-yaml-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try y.out.write(toFile: dir + "/compose.yaml", atomically: true, encoding: .utf8)
        let again = try Binary.run(["config", "--format", "json"], in: dir)
        let direct = try Binary.run(["config", "--format", "json"], in: Self.demo)
        #expect(again.status == 0, "\(again.err)")
        #expect(try ComposeJSON.parse(again.out) == ComposeJSON.parse(direct.out))
    }
}
