@testable import ComposeLoader
import ComposeModel
import Foundation
import Testing

/// Where compose-go's merge fixtures (base/override/expected triples) were extracted to.
enum MergeFixtures {
    static var corpus: String {
        if let c = ProcessInfo.processInfo.environment["SWCOMPOSE_CORPUS"], !c.isEmpty { return c }
        var url = URL(fileURLWithPath: #filePath)
        for _ in 0..<3 { url.deleteLastPathComponent() }
        return url.deletingLastPathComponent().path + "/shared/compose-corpus"
    }

    static var overrideDir: String { corpus + "/compose-spec__compose-go/_extracted_from_go_tests/override" }

    /// Every fixture directory, by name.
    static var all: [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: overrideDir)) ?? []).sorted()
    }

    static func yaml(_ dir: String, _ name: String) throws -> ComposeNode? {
        let path = overrideDir + "/" + dir + "/" + name + ".yaml"
        guard let data = FileManager.default.contents(atPath: path) else { return nil }
        return try YAMLReader.documents(String(decoding: data, as: UTF8.self), file: name + ".yaml").first ?? .null
    }
}

func parse(_ text: String, file: String = "t.yml") throws -> ComposeNode {
    try YAMLReader.documents(text, file: file)[0]
}

/// First differing path of two trees, for readable failures.
func firstDifference(_ a: ComposeNode, _ b: ComposeNode, path: String = "") -> String? {
    switch (a.value, b.value) {
    case (.object(let x), .object(let y)):
        for k in Set(x.keys).union(y.keys).sorted() {
            guard let xv = x[k] else { return "\(path).\(k): missing in result (expected \(y[k]!))" }
            guard let yv = y[k] else { return "\(path).\(k): unexpected \(xv)" }
            if let d = firstDifference(xv, yv, path: path + "." + k) { return d }
        }
        return nil
    case (.array(let x), .array(let y)):
        if x.count != y.count { return "\(path): \(a) != expected \(b)" }
        for (i, (xv, yv)) in zip(x, y).enumerated() {
            if let d = firstDifference(xv, yv, path: "\(path)[\(i)]") { return d }
        }
        return nil
    default:
        return a == b ? nil : "\(path): \(a) != expected \(b)"
    }
}

@Suite("Merge")
struct MergeTests {
    /// compose-go's `assertMergeYaml` (merge, then unicity) and `assertUnicity` cases, as data.
    @Test("compose-go merge fixtures", arguments: MergeFixtures.all)
    func fixture(name: String) throws {
        let expected = try #require(try MergeFixtures.yaml(name, "expected"))
        let result: ComposeNode
        if let input = try MergeFixtures.yaml(name, "input") {
            result = try Merge.enforceUnicity(input)
        } else {
            let base = try #require(try MergeFixtures.yaml(name, "base"))
            let override = try #require(try MergeFixtures.yaml(name, "override"))
            result = try Merge.enforceUnicity(try Merge.merge(base, override))
        }
        let diff = firstDifference(result, expected)
        if let reason = Self.divergences[name] {
            withKnownIssue(Comment(rawValue: reason)) {
                #expect(diff == nil, "\(name): \(diff ?? "")")
            }
        } else {
            #expect(diff == nil, "\(name): \(diff ?? "")")
        }
    }

    /// Fixtures from a compose-go newer than Docker Compose v2.40.3, where that release behaves
    /// otherwise; the oracle decides.
    static let divergences: [String: String] = [
        "Test_mergeYamlModelsRuntimeFlagsMerge":
            "newer compose-go replaces models.*.runtime_flags; v2.40.3 appends sequences there (generic rule)",
    ]

    @Test("the fixture set is there and complete")
    func fixturesPresent() {
        #expect(MergeFixtures.all.count >= 60)
    }

    static let cases: [(String, String, String, String)] = [
        ("mappings merge, scalars replace, sequences append",
         "services: {s: {image: a, cap_add: [X], deploy: {replicas: 1, mode: replicated}}}",
         "services: {s: {image: b, cap_add: [Y], deploy: {replicas: 2}}}",
         "services: {s: {image: b, cap_add: [X, Y], deploy: {replicas: 2, mode: replicated}}}"),
        ("null keeps the base value",
         "services: {s: {image: a}}",
         "services: {s: {image: null}}",
         "services: {s: {image: a}}"),
        ("command, entrypoint, healthcheck.test are replaced",
         "services: {s: {command: [a, b], entrypoint: x, healthcheck: {test: [CMD, a], interval: 5s}}}",
         "services: {s: {command: c, entrypoint: [y], healthcheck: {test: [CMD, b]}}}",
         "services: {s: {command: c, entrypoint: [y], healthcheck: {test: [CMD, b], interval: 5s}}}"),
        ("environment map over list: sequences, last key wins",
         "services: {s: {environment: {A: '1', B: '2'}}}",
         "services: {s: {environment: [B=3, C]}}",
         "services: {s: {environment: [A=1, B=3, C]}}"),
        ("build string and mapping",
         "services: {s: {build: ./ctx}}",
         "services: {s: {build: {dockerfile: D, args: {A: '1'}}}}",
         "services: {s: {build: {context: ./ctx, dockerfile: D, args: {A: '1'}}}}"),
        ("depends_on list becomes mapping with defaults",
         "services: {s: {depends_on: {db: {condition: service_healthy, required: true}}}}",
         "services: {s: {depends_on: [cache]}}",
         "services: {s: {depends_on: {db: {condition: service_healthy, required: true}, cache: {condition: service_started, required: true}}}}"),
        ("networks list and mapping",
         "services: {s: {networks: [a]}}",
         "services: {s: {networks: {b: {aliases: [x]}}}}",
         "services: {s: {networks: {a: null, b: {aliases: [x]}}}}"),
        ("logging: a new driver drops the old options",
         "services: {s: {logging: {driver: json-file, options: {max-size: 1m}}}}",
         "services: {s: {logging: {driver: syslog}}}",
         "services: {s: {logging: {driver: syslog}}}"),
        ("logging: the same driver keeps them",
         "services: {s: {logging: {driver: json-file, options: {max-size: 1m}}}}",
         "services: {s: {logging: {options: {max-file: '3'}}}}",
         "services: {s: {logging: {driver: json-file, options: {max-size: 1m, max-file: '3'}}}}"),
        ("!reset removes, !override replaces",
         "services: {s: {image: a, ports: ['80:80'], environment: {A: '1'}, dns: [1.1.1.1]}, t: {image: t}}",
         "services: {s: {ports: !reset [], environment: !override {B: '2'}, dns: !override [8.8.8.8], cap_add: [!reset X, Y]}, t: !reset null}",
         "services: {s: {image: a, environment: {B: '2'}, dns: [8.8.8.8], cap_add: [Y]}}"),
        ("!reset in a key the base lacks leaves nothing behind",
         "services: {s: {image: a}}",
         "services: {s: {labels: !reset {a: b}, x: {y: !reset 1, z: 2}}}",
         "services: {s: {image: a, x: {z: 2}}}"),
        ("extension keys merge like any mapping",
         "x-a: {a: 1, b: 2}",
         "x-a: {c: 3}",
         "x-a: {a: 1, b: 2, c: 3}"),
        ("same port, canonical base and short override: one entry after unicity",
         "services: {s: {ports: [{target: 80, published: '80', protocol: tcp, mode: ingress}]}}",
         "services: {s: {ports: [{target: 80, published: '80'}]}}",
         "services: {s: {ports: [{target: 80, published: '80'}]}}"),
        ("volumes by target, secrets by target",
         "services: {s: {volumes: [{type: bind, source: ./a, target: /a}], secrets: [{source: foo}]}}",
         "services: {s: {volumes: ['./b:/a:ro', 'vol:/b'], secrets: [{source: bar, target: /run/secrets/foo}]}}",
         "services: {s: {volumes: ['./b:/a:ro', 'vol:/b'], secrets: [{source: bar, target: /run/secrets/foo}]}}"),
    ]

    @Test("merge rules", arguments: cases)
    func rule(_ c: (String, String, String, String)) throws {
        let result = try Merge.enforceUnicity(try Merge.merge(try parse(c.1), try parse(c.2)))
        let expected = try parse(c.3)
        let diff = firstDifference(result, expected)
        #expect(diff == nil, "\(c.0): \(diff ?? "")")
    }

    @Test("no merge tag survives in the result")
    func tagsCleared() throws {
        let result = try Merge.merge(try parse("services: {s: {image: a}}"),
                                     try parse("services: {s: {dns: !override [x], labels: {a: !override b}}, t: !override {image: t}}"))
        func tags(_ n: ComposeNode) -> Int {
            (n.tag == nil ? 0 : 1) + (n.object.map { $0.reduce(0) { $0 + tags($1.node) } } ?? 0)
                + (n.array?.reduce(0) { $0 + tags($1) } ?? 0)
        }
        #expect(tags(result) == 0)
        #expect(result["services"]?["t"]?["image"]?.string == "t")
    }

    @Test("a mapping cannot be overridden by a scalar: error names the path and the position")
    func cannotOverride() throws {
        let base = try parse("services: {s: {deploy: {replicas: 1}}}")
        let over = try parse("services:\n  s:\n    deploy: fast\n", file: "b.yml")
        #expect {
            try Merge.merge(base, over)
        } throws: { e in
            guard let e = e as? ComposeError else { return false }
            return e.path == "services.s.deploy" && e.mark?.file == "b.yml" && e.mark?.line == 3
        }
    }

    @Test("unicity: a bad volume spec is an error at its position")
    func badVolume() throws {
        let dict = try parse("services:\n  s:\n    volumes: ['data::/b', 'c:/c']\n")
        #expect(throws: ComposeError.self) { try Merge.enforceUnicity(dict) }
    }

    @Test("a 1,000-service merge is fast")
    func performance() throws {
        var a = "services:\n", b = "services:\n"
        for i in 0..<1000 {
            a += "  s\(i): {image: a, ports: ['\(i):80'], environment: {A: '1'}, volumes: ['./x:/x\(i)']}\n"
            b += "  s\(i): {ports: ['\(i):80'], environment: [B=2], labels: [a=b]}\n"
        }
        let base = try parse(a), over = try parse(b)
        let start = Date()
        let merged = try Merge.enforceUnicity(try Merge.merge(base, over))
        #expect(Date().timeIntervalSince(start) < 1.0)
        #expect(merged["services"]?["s999"]?["ports"]?.array?.count == 1)
    }
}
