import ComposeLoader
import ComposeModel
import Foundation
import Testing

@Suite("Finding the files, the environment and the project name")
struct LoaderDiscoveryTests {
    let simple = "services:\n  web:\n    image: nginx\n"

    @Test("compose.yaml is found in a parent directory, with its override beside it")
    func parentDiscovery() throws {
        let t = try ScratchDir()
        try t.write("proj/compose.yaml", simple)
        try t.write("proj/compose.override.yml", "services:\n  web:\n    image: httpd\n")
        try FileManager.default.createDirectory(atPath: t.root + "/proj/sub/deeper", withIntermediateDirectories: true)
        let p = try Loader.load(t.options(in: "proj/sub/deeper"))
        #expect(p.files == [t.root + "/proj/compose.yaml", t.root + "/proj/compose.override.yml"])
        #expect(p.workingDirectory == t.root + "/proj")
        #expect(p.name == "proj")
        #expect(p.model["services"]?["web"]?["image"]?.string == "httpd")
    }

    @Test("compose.yaml wins over docker-compose.yml in the same directory, with a warning naming both")
    func preference() throws {
        let t = try ScratchDir()
        try t.write("compose.yaml", simple)
        try t.write("docker-compose.yml", "services:\n  other:\n    image: x\n")
        let p = try Loader.load(t.options())
        #expect(p.files == [t.root + "/compose.yaml"])
        #expect(p.warnings.contains { $0.contains("Found multiple config files") && $0.contains("docker-compose.yml") })
    }

    @Test("no Compose file anywhere up the tree is a clear error")
    func notFound() throws {
        let t = try ScratchDir()
        // The temp root's parents must not hold a compose file for this test to mean anything.
        #expect(!Loader.defaultFileNames.contains { FileManager.default.fileExists(atPath: NSTemporaryDirectory() + "/" + $0) })
        #expect { try Loader.load(t.options()) } throws: { e in
            "\(e)".contains("no configuration file provided: not found")
        }
    }

    @Test("COMPOSE_FILE lists files with COMPOSE_PATH_SEPARATOR, and may come from .env")
    func composeFileVariable() throws {
        let t = try ScratchDir()
        try t.write("a.yml", simple)
        try t.write("b.yml", "services:\n  web:\n    image: b\n")
        var p = try Loader.load(t.options(env: ["COMPOSE_FILE": "a.yml;b.yml", "COMPOSE_PATH_SEPARATOR": ";"]))
        #expect(p.files == [t.root + "/a.yml", t.root + "/b.yml"])
        #expect(p.model["services"]?["web"]?["image"]?.string == "b")
        try t.write(".env", "COMPOSE_FILE=b.yml\n")
        p = try Loader.load(t.options())
        #expect(p.files == [t.root + "/b.yml"])
    }

    @Test("-f files resolve against the working directory; the project directory is the first file's")
    func explicitFiles() throws {
        let t = try ScratchDir()
        try t.write("stacks/kafka/compose.yml", simple)
        var o = t.options()
        o.files = ["stacks/kafka/compose.yml"]
        let p = try Loader.load(o)
        #expect(p.workingDirectory == t.root + "/stacks/kafka")
        #expect(p.name == "kafka")
        o.files = ["stacks/missing.yml"]
        #expect { try Loader.load(o) } throws: { e in "\(e)".contains("stacks/missing.yml: no such file or directory") }
    }

    @Test("-f - reads standard input, and the project directory is the working directory")
    func stdin() throws {
        let t = try ScratchDir()
        var o = t.options()
        o.files = ["-"]
        let text = simple
        o.stdin = { text }
        let p = try Loader.load(o)
        #expect(p.workingDirectory == t.root)
        #expect(p.model["services"]?["web"] != nil)
    }

    @Test("project name: -p, then COMPOSE_PROJECT_NAME (also from .env), then name:, then the directory")
    func projectName() throws {
        let t = try ScratchDir()
        try t.write("My_Dir.v2/compose.yml", "name: from-file\n" + simple)
        var o = t.options(in: "My_Dir.v2")
        #expect(try Loader.load(o).name == "from-file")
        o.environment["COMPOSE_PROJECT_NAME"] = "from-env"
        #expect(try Loader.load(o).name == "from-env")
        o.projectName = "from-flag"
        #expect(try Loader.load(o).name == "from-flag")
        try t.write("My_Dir.v2/compose.yml", simple)
        try t.write("My_Dir.v2/.env", "COMPOSE_PROJECT_NAME=dotenv-name\n")
        #expect(try Loader.load(t.options(in: "My_Dir.v2")).name == "dotenv-name")
        try FileManager.default.removeItem(atPath: t.root + "/My_Dir.v2/.env")
        // The directory name is normalised: lowercase, only [a-z0-9_-].
        #expect(try Loader.load(t.options(in: "My_Dir.v2")).name == "my_dirv2")
    }

    @Test("an invalid -p is an error that says what a name may hold", arguments: ["Upper", "_lead", "a b", "-x"])
    func invalidName(name: String) throws {
        let t = try ScratchDir()
        try t.write("compose.yml", simple)
        var o = t.options()
        o.projectName = name
        #expect { try Loader.load(o) } throws: { e in
            "\(e)".contains("invalid project name \"\(name)\"") && "\(e)".contains("lowercase alphanumeric")
        }
    }

    @Test("a name: that normalises to nothing falls back to the directory")
    func normalisation() {
        #expect(Loader.normalizeProjectName("Hello World!") == "helloworld")
        #expect(Loader.normalizeProjectName("__x-Y") == "x-y")
        #expect(Loader.normalizeProjectName("---") == "")
    }

    @Test("--env-file that does not exist is an error naming the path; a missing .env is fine")
    func envFiles() throws {
        let t = try ScratchDir()
        try t.write("compose.yml", simple)
        _ = try Loader.load(t.options())
        var o = t.options()
        o.envFiles = ["nope.env"]
        #expect { try Loader.load(o) } throws: { e in "\(e)".contains("couldn't find env file: \(t.root)/nope.env") }
    }

    @Test("an empty file and a non-mapping file are errors naming the file")
    func emptyFiles() throws {
        let t = try ScratchDir()
        try t.write("compose.yml", "# nothing\n")
        #expect { try Loader.load(t.options()) } throws: { e in "\(e)".contains("empty compose file") }
        try t.write("compose.yml", "- a\n- b\n")
        #expect { try Loader.load(t.options()) } throws: { e in
            "\(e)".contains("top-level object must be a mapping") && "\(e)".contains("compose.yml")
        }
    }
}
