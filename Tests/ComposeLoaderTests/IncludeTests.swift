@testable import ComposeLoader
import ComposeModel
import Foundation
import Testing

@Suite("Include")
struct IncludeTests {
    func load(_ dir: ScratchDir, _ files: [String] = [], environment: [String: String] = [:]) throws -> ComposeNode {
        var options = LoadOptions(workingDirectory: dir.path, environment: environment)
        options.files = files
        return try Loader.load(options).model
    }

    @Test("included services join the model; nested includes start at the included project's directory")
    func nested() throws {
        let dir = try ScratchDir()
        try dir.write("compose.yml", "include:\n  - sub/o.yml\nservices:\n  a: {image: a}\n")
        try dir.write("sub/o.yml", "include:\n  - inc/c.yml\nservices:\n  b: {image: b}\n")
        try dir.write("sub/inc/c.yml", "services:\n  c: {image: \"c-${V:-unset}\"}\nnetworks:\n  n: {}\n")
        try dir.write("sub/inc/.env", "V=fromenv\n")
        let model = try load(dir)
        #expect(model["services"]?["a"]?["image"]?.string == "a")
        #expect(model["services"]?["b"]?["image"]?.string == "b")
        #expect(model["services"]?["c"]?["image"]?.string == "c-fromenv")
        #expect(model["networks"]?["n"] != nil)
        #expect(model["include"] == nil)
    }

    @Test("long form: several paths merged, env_file relative to the project directory")
    func longForm() throws {
        let dir = try ScratchDir()
        try dir.write("compose.yml", """
        include:
          - path: [inc.yml, inc2.yml]
            env_file: e1.env
        services:
          a: {image: a}
        """)
        try dir.write("inc.yml", "services:\n  b: {image: b}\n")
        try dir.write("inc2.yml", "services:\n  b: {environment: [X=$X]}\n")
        try dir.write("e1.env", "X=fromE1\n")
        let b = try #require(try load(dir)["services"]?["b"])
        #expect(b["image"]?.string == "b")
        #expect(b["environment"] == (try parse("{X: fromE1}")))
    }

    @Test("the same resource defined alike in both is fine; differently, an error")
    func conflicts() throws {
        let dir = try ScratchDir()
        try dir.write("inc.yml", "services:\n  b: {image: b}\n")
        try dir.write("same.yml", "include: [inc.yml]\nservices:\n  b: {image: b}\n")
        try dir.write("other.yml", "include: [inc.yml]\nservices:\n  b: {image: other}\n")
        #expect(try load(dir, ["same.yml"])["services"]?["b"]?["image"]?.string == "b")
        #expect {
            try load(dir, ["other.yml"])
        } throws: { e in
            guard let e = e as? ComposeError else { return false }
            return e.message.hasPrefix("services.b conflicts with imported resource") && e.mark?.line == 3
        }
    }

    static let errors: [(String, String)] = [
        ("include: inc.yml\n", "`include` must be a list, got inc.yml"),
        ("include: [missing.yml]\n", "open {dir}/missing.yml: no such file or directory"),
        ("include: [compose.yml]\nservices: {a: {image: a}}\n", "include cycle detected:\n{dir}/compose.yml\n include {dir}/compose.yml"),
        ("include:\n  - path: inc.yml\n    env_file: nope.env\n", "stat {dir}/nope.env: no such file or directory"),
        ("include:\n  - paths: inc.yml\n", "additional property paths is not allowed (did you mean \"path\"?)"),
    ]

    @Test("errors", arguments: errors)
    func error(_ c: (String, String)) throws {
        let dir = try ScratchDir()
        try dir.write("compose.yml", c.0)
        try dir.write("inc.yml", "services:\n  b: {image: b}\n")
        let expected = c.1.replacingOccurrences(of: "{dir}", with: dir.path)
        #expect {
            try load(dir)
        } throws: { e in
            (e as? ComposeError)?.message == expected
        }
    }

    @Test("a service can extend an included one")
    func extendIncluded() throws {
        let dir = try ScratchDir()
        try dir.write("compose.yml", "include: [inc.yml]\nservices:\n  a: {extends: b, command: run}\n")
        try dir.write("inc.yml", "services:\n  b: {image: b}\n")
        let a = try #require(try load(dir)["services"]?["a"])
        #expect(a["image"]?.string == "b")
        #expect(a["command"] == (try parse("[run]")))
    }
}
