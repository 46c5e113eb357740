@testable import ComposeLoader
import ComposeModel
import Foundation
import Testing

/// Every expected text below is what Docker Compose 2.40.3 printed, after
/// "validating FILE: ", for the same input (`docker compose -f t.yml config --format json`).
@Suite("SchemaValidator")
struct SchemaValidatorTests {
    struct Case: CustomTestStringConvertible, Sendable {
        var name: String
        var yaml: String
        var docker: String
        var line: Int
        var column: Int
        var testDescription: String { name }
    }

    static let rejected: [Case] = [
        Case(name: "unknown service key", yaml: "services:\n  s:\n    image: a\n    restrat: always\n",
             docker: "services.s additional properties 'restrat' not allowed", line: 4, column: 5),
        Case(name: "two unknown keys", yaml: "services:\n  s:\n    image: a\n    restrat: always\n    forx: 1\n",
             docker: "services.s additional properties 'restrat', 'forx' not allowed", line: 4, column: 5),
        Case(name: "unknown top-level key", yaml: "foo: 1\n",
             docker: "additional properties 'foo' not allowed", line: 1, column: 1),
        Case(name: "unknown key in a build mapping (oneOf branch)", yaml: "services:\n  s:\n    image: a\n    build:\n      context: .\n      foo: 1\n",
             docker: "services.s.build additional properties 'foo' not allowed", line: 6, column: 7),
        Case(name: "unknown key in a long-form port", yaml: "services:\n  s:\n    image: a\n    ports:\n      - target: 80\n        foo: 1\n",
             docker: "services.s.ports.0 additional properties 'foo' not allowed", line: 6, column: 9),
        Case(name: "string expected", yaml: "services:\n  s:\n    image: 1\n",
             docker: "services.s.image must be a string", line: 3, column: 12),
        Case(name: "array expected", yaml: "services:\n  s:\n    image: a\n    cap_add: 1\n",
             docker: "services.s.cap_add must be a array", line: 4, column: 14),
        Case(name: "list item of the wrong type", yaml: "services:\n  s:\n    image: a\n    ports:\n      - [1]\n",
             docker: "services.s.ports.0 must be a number", line: 5, column: 9),
        Case(name: "oneOf of two types", yaml: "services:\n  s:\n    image: a\n    cpus: [1]\n",
             docker: "services.s.cpus must be a number or string", line: 4, column: 11),
        Case(name: "oneOf where the first branch's type error wins", yaml: "services:\n  s:\n    image: a\n    cpu_percent: 200\n",
             docker: "services.s.cpu_percent must be a string", line: 4, column: 18),
        Case(name: "list_or_dict", yaml: "services:\n  s:\n    image: a\n    environment: 1\n",
             docker: "services.s.environment must be a mapping", line: 4, column: 18),
        Case(name: "type list", yaml: "services:\n  s:\n    image: a\n    logging:\n      options:\n        a: [1]\n",
             docker: "services.s.logging.options.a must be a null, number or string", line: 6, column: 12),
        Case(name: "enum", yaml: "services:\n  s:\n    image: a\n    cgroup: foo\n",
             docker: "services.s.cgroup value must be one of 'host', 'private'", line: 4, column: 13),
        Case(name: "enum of one value", yaml: "services:\n  s:\n    image: a\n    gpus: foo\n",
             docker: "services.s.gpus value must be 'all'", line: 4, column: 11),
        Case(name: "nested enum", yaml: "services:\n  s:\n    image: a\n    depends_on:\n      b:\n        condition: foo\n  b:\n    image: a\n",
             docker: "services.s.depends_on.b.condition value must be one of 'service_started', 'service_healthy', 'service_completed_successfully'",
             line: 6, column: 20),
        Case(name: "required", yaml: "services:\n  s:\n    image: a\n    depends_on:\n      b:\n        restart: true\n  b:\n    image: a\n",
             docker: "services.s.depends_on.b missing property 'condition'", line: 6, column: 9),
        Case(name: "pattern", yaml: "services:\n  s:\n    image: a\n    pull_policy: sometimes\n",
             docker: "services.s.pull_policy 'sometimes' does not match pattern 'always|never|build|if_not_present|missing|refresh|daily|weekly|every_([0-9]+[wdhms])+'",
             line: 4, column: 18),
        Case(name: "service name outside the name pattern", yaml: "services:\n  s:\n    image: a\n  \"a b\":\n    image: b\n",
             docker: "services additional properties 'a b' not allowed", line: 4, column: 3),
        Case(name: "top-level element", yaml: "networks:\n  n:\n    driver: 1\nservices:\n  s:\n    image: a\n",
             docker: "networks.n.driver must be a string", line: 3, column: 13),
    ]

    static func document(_ yaml: String) throws -> ComposeNode {
        try YAMLReader.documents(yaml, file: "t.yml")[0]
    }

    @Test("rejects what Docker Compose rejects, with its text and the offending position", arguments: rejected)
    func rejects(_ c: Case) throws {
        let error = try #require(throws: ComposeError.self) { try SchemaValidator.validate(try Self.document(c.yaml), file: "t.yml") }
        #expect(error.message.contains(c.docker), "\(error.message)")
        #expect(error.mark?.line == c.line)
        #expect(error.mark?.column == c.column)
        #expect(error.description.hasPrefix("t.yml:\(c.line):\(c.column): "), "\(error.description)")
    }

    @Test("a misspelt key gets the closest known one as a hint", arguments: [
        ("services:\n  s:\n    image: a\n    restrat: always\n",
         "services.s additional properties 'restrat' not allowed", "did you mean \"restart\"?"),
        ("services:\n  s:\n    image: a\n    enviroment: {A: b}\n",
         "services.s additional properties 'enviroment' not allowed", "did you mean \"environment\"?"),
        ("servics:\n  s:\n    image: a\n", "additional properties 'servics' not allowed", "did you mean \"services\"?"),
        ("services:\n  s:\n    image: a\n    healthcheck:\n      intervall: 5s\n",
         "services.s.healthcheck additional properties 'intervall' not allowed", "did you mean \"interval\"?"),
    ])
    func nearMiss(_ yaml: String, _ docker: String, _ hint: String) throws {
        let error = try #require(throws: ComposeError.self) { try SchemaValidator.validate(try Self.document(yaml), file: "t.yml") }
        #expect(error.message.contains(docker), "\(error.message)")
        #expect(error.message.contains(hint), "\(error.message)")
    }

    @Test("no hint when nothing known is close")
    func noHint() throws {
        let yaml = "services:\n  s:\n    image: a\n    zzzzzzzz: 1\n"
        let error = try #require(throws: ComposeError.self) { try SchemaValidator.validate(try Self.document(yaml), file: "t.yml") }
        #expect(error.message.contains("services.s additional properties 'zzzzzzzz' not allowed"))
        #expect(!error.message.contains("did you mean"))
    }

    @Test("an enum miss names what was found", arguments: [
        ("services:\n  s:\n    image: a\n    cgroup: hots\n", "found 'hots'"),
    ])
    func enumFound(_ yaml: String, _ note: String) throws {
        let error = try #require(throws: ComposeError.self) { try SchemaValidator.validate(try Self.document(yaml), file: "t.yml") }
        #expect(error.message.contains(note), "\(error.message)")
        #expect(error.message.contains("did you mean \"host\"?"), "\(error.message)")
    }

    // Docker Compose 2.40.3 accepts each of these.
    @Test("accepts what Docker Compose accepts", arguments: [
        "services:\n  s:\n    image: a\n    x-foo: 1\nx-bar: {any: [thing]}\n",
        "services:\n  s:\n    image: a\n    ports: [80, \"8080:80\", {target: 81, published: \"81\"}]\n",
        "services:\n  s:\n    image: a\n    cpus: 0.5\n    environment: [A=b]\n    build: .\n",
        "services:\n  s:\n    image: a\n    deploy:\n      resources:\n        limits:\n          cpus: \"1\"\n    healthcheck:\n      interval: 5s\n",
        "services:\n  s:\n    image: a\n    pull_policy: every_12h\n    depends_on: [b]\n  b:\n    image: a\n",
        "version: \"3\"\nname: p\nservices:\n  s:\n    image: a\nnetworks:\n  n: {}\nvolumes:\n  v: ~\n",
    ])
    func accepts(_ yaml: String) throws {
        #expect(try SchemaValidator.check(try Self.document(yaml)) == nil)
    }

    /// Corpus files Docker Compose 2.40.3 loads without error (its cached outputs have exit 0).
    static let corpusFiles = [
        "apache__airflow/airflow-core/docs/howto/docker-compose/docker-compose.yaml",
        "compose-spec__compose-go/_extracted_from_go_tests/loader/tests/deploy/TestDeployResources.yaml",
        "compose-spec__compose-go/_extracted_from_go_tests/loader/tests/deploy/TestDeployUpdateRollbackConfig.yaml",
        "compose-spec__compose-go/_extracted_from_go_tests/loader/tests/devices/TestDeviceReservation.yaml",
        "compose-spec__compose-go/_extracted_from_go_tests/loader/loader/TestServiceDeviceRequestCountStringType.yaml",
    ]

    @Test("corpus files Docker Compose accepts pass", arguments: corpusFiles)
    func corpus(_ relative: String) throws {
        let root = URL(fileURLWithPath: MergeFixtures.corpus)
        let path = root.appendingPathComponent(relative).path
        guard FileManager.default.fileExists(atPath: path) else {
            Issue.record("corpus file missing: \(path)")
            return
        }
        for doc in try YAMLReader.documents(try String(contentsOfFile: path, encoding: .utf8), file: path) where !doc.isNull {
            let interpolated = try Interpolation.interpolate(doc, lookup: { _ in nil })
            let failure = try SchemaValidator.check(interpolated)
            #expect(failure == nil, "\(failure.map(String.init(describing:)) ?? "")")
        }
    }

    @Test("a 1,000-service file validates quickly")
    func large() throws {
        var yaml = "services:\n"
        for i in 0..<1000 {
            yaml += "  s\(i):\n    image: nginx\n    ports: [\"80:80\"]\n    environment: {A: b}\n    healthcheck: {test: [CMD, x], interval: 5s}\n"
        }
        let doc = try Self.document(yaml)
        let start = ContinuousClock.now
        #expect(try SchemaValidator.check(doc) == nil)
        #expect(ContinuousClock.now - start < .seconds(2))
    }
}
