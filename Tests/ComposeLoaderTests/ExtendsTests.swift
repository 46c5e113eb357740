@testable import ComposeLoader
import ComposeModel
import Foundation
import Testing

@Suite("Extends")
struct ExtendsTests {
    @Test("same-file chain: the local service merges over its base, which merges over its own")
    func chain() throws {
        let dir = try ScratchDir()
        try dir.write("compose.yml", """
        services:
          root: {image: root, environment: {A: "1"}, ports: ["80:80"]}
          mid: {extends: root, environment: [B=2], command: [a]}
          leaf: {extends: {service: mid}, command: b, ports: ["81:81"]}
        """)
        let out = try dir.extends("compose.yml")
        let leaf = try #require(out["services"]?["leaf"])
        #expect(leaf["extends"] == nil)
        #expect(leaf["image"]?.string == "root")
        #expect(leaf["command"]?.string == "b")
        #expect(leaf["environment"] == (try parse("[A=1, B=2]")))
        #expect(leaf["ports"] == (try parse("['80:80', '81:81']")))
        #expect(out["services"]?["root"]?["extends"] == nil)
    }

    @Test("another file: relative paths of the base are resolved against its directory, nested extends too")
    func otherFile() throws {
        let dir = try ScratchDir()
        try dir.write("compose.yml", """
        services:
          web:
            extends: {file: sub/base.yml, service: app}
            environment: [B=2]
        """)
        try dir.write("sub/base.yml", """
        services:
          app:
            extends: {file: deeper/root.yml, service: root}
            build: ./ctx
            env_file: app.env
            volumes: ["./data:/data", "named:/n", "/abs:/abs"]
            image: ${IMAGE:-fallback}
        """)
        try dir.write("sub/deeper/root.yml", """
        services:
          root:
            volumes: [{type: bind, source: ./r, target: /r}]
            labels: {root: "1"}
        """)
        let web = try #require(try dir.extends("compose.yml", environment: ["IMAGE": "img"])["services"]?["web"])
        // After a full load every form is the long one Docker Compose prints.
        #expect(web["build"]?["context"]?.string == dir.path + "/sub/ctx")
        #expect(web["env_file"]?.array?.first?["path"]?.string == dir.path + "/sub/app.env")
        #expect(web["image"]?.string == "img")
        let volumes = try #require(web["volumes"]?.array)
        #expect(volumes.count == 4)
        #expect(volumes[0]["source"]?.string == dir.path + "/sub/deeper/r")
        #expect(volumes[1]["type"]?.string == "bind")
        #expect(volumes[1]["source"]?.string == dir.path + "/sub/data")
        #expect(volumes[1]["target"]?.string == "/data")
        #expect(volumes[2]["type"]?.string == "volume")
        #expect(volumes[2]["source"]?.string == "named")
        #expect(volumes[3]["source"]?.string == "/abs")
        #expect(volumes[3]["target"]?.string == "/abs")
        #expect(web["labels"]?["root"]?.string == "1")
    }

    @Test("extends.file of a main file is relative to the project directory, as in Docker Compose")
    func mainFileRelativeToProject() throws {
        let dir = try ScratchDir()
        try dir.write("sub/o.yml", "services:\n  b:\n    extends: {file: x.yml, service: x}\n")
        try dir.write("x.yml", "services:\n  x: {image: from-root}\n")
        try dir.write("sub/x.yml", "services:\n  x: {image: from-sub}\n")
        let out = try dir.extends("sub/o.yml")
        #expect(out["services"]?["b"]?["image"]?.string == "from-root")
    }

    @Test("!reset and !override in the local service act on the base")
    func tags() throws {
        let dir = try ScratchDir()
        try dir.write("compose.yml", """
        services:
          base: {image: b, ports: ["80:80"], labels: {a: "1"}, dns: [1.1.1.1]}
          s:
            extends: base
            ports: !reset []
            dns: !override [8.8.8.8]
        """)
        let extended = try dir.extends("compose.yml")
        // The tags stay on the extended service: they act again on the files merged before.
        let earlier = try parse("services: {s: {image: old, ports: ['90:90'], dns: [9.9.9.9]}}")
        let result = try #require(try Merge.merge(earlier, extended)["services"]?["s"])
        #expect(result["ports"] == nil)
        #expect(result["dns"] == (try parse("[8.8.8.8]")))
        #expect(result["labels"]?["a"]?.string == "1")
        #expect(result["image"]?.string == "b")
    }

    static let errors: [(String, [String: String], String)] = [
        ("cycle", ["compose.yml": "services:\n  a: {extends: b, image: x}\n  b: {extends: c}\n  c: {extends: a}\n"],
         "Circular reference:\n  a in {dir}/compose.yml\n  extends b in {dir}/compose.yml\n  extends c in {dir}/compose.yml\n  extends a in {dir}/compose.yml"),
        ("self", ["compose.yml": "services:\n  a: {extends: a, image: x}\n"],
         "Circular reference:\n  a in {dir}/compose.yml\n  extends a in {dir}/compose.yml"),
        ("unknown service", ["compose.yml": "services:\n  a: {extends: nope, image: x}\n"],
         "cannot extend service \"a\" in {dir}/compose.yml: service \"nope\" not found"),
        ("unknown service in other file", ["compose.yml": "services:\n  a: {extends: {file: x.yml, service: nope}}\n",
                                           "x.yml": "services:\n  x: {image: x}\n"],
         "cannot extend service \"a\" in {dir}/compose.yml: service \"nope\" not found in x.yml"),
        ("missing file", ["compose.yml": "services:\n  a: {extends: {file: sub/missing.yml, service: x}}\n"],
         "open {dir}/sub/missing.yml: no such file or directory"),
        ("service required", ["compose.yml": "services:\n  a: {extends: {file: x.yml}}\n"],
         "extends.a.service is required"),
    ]

    @Test("errors say what is wrong, where", arguments: errors)
    func error(_ c: (String, [String: String], String)) throws {
        let dir = try ScratchDir()
        for (name, text) in c.1 { try dir.write(name, text) }
        let expected = c.2.replacingOccurrences(of: "{dir}", with: dir.path)
        #expect {
            try dir.extends("compose.yml")
        } throws: { e in
            guard let e = e as? ComposeError else { return false }
            return e.message == expected && e.mark?.file == dir.path + "/compose.yml"
        }
    }

    @Test("a cross-file cycle is found")
    func crossFileCycle() throws {
        let dir = try ScratchDir()
        try dir.write("compose.yml", "services:\n  a: {extends: {file: sub/x.yml, service: x}}\n")
        try dir.write("sub/x.yml", "services:\n  x: {extends: {file: ../compose.yml, service: a}}\n")
        #expect {
            try dir.extends("compose.yml")
        } throws: { e in
            (e as? ComposeError)?.message.hasPrefix("Circular reference:") == true
        }
    }

    @Test("1,000 services extending one base resolve fast")
    func performance() throws {
        let dir = try ScratchDir()
        var text = "services:\n  base: {image: b, environment: {A: '1'}}\n"
        for i in 0..<1000 { text += "  s\(i): {extends: base, ports: ['\(i):80']}\n" }
        try dir.write("compose.yml", text)
        let start = Date()
        let out = try dir.extends("compose.yml")
        #expect(Date().timeIntervalSince(start) < 1.0)
        #expect(out["services"]?["s999"]?["image"]?.string == "b")
    }
}
