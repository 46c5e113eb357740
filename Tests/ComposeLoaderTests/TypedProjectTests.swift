@testable import ComposeLoader
@testable import ComposeModel
import Foundation
import Testing

/// The typed `Project` decoded from the canonical tree: the Flink demo field by field, and every
/// corpus file the loader accepts decodes without a type error, typed lists as long as the tree's.
@Suite("The typed project")
struct TypedProjectTests {
    static func load(_ file: String) throws -> LoadedProject {
        var options = LoadOptions(workingDirectory: (file as NSString).deletingLastPathComponent,
                                  environment: ["PATH": "/usr/bin:/bin", "HOME": "/root"])
        options.files = [file]
        return try Loader.load(options)
    }

    @Test("the Flink SQL demo")
    func flink() throws {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().path
        let p = try Self.load(root + "/compose-files/flink-sql-demo/docker-compose.yml").typed()
        #expect(p.name == "flink-sql-demo")
        #expect(p.services.count == 9)
        let kafka = try #require(p.services["kafka"])
        #expect(kafka.dependsOn["zookeeper"] == Dependency(service: "zookeeper", condition: "service_started", required: true, restart: false))
        #expect(kafka.ports.map(\.target) == [9092, 9094])
        #expect(kafka.ports.first?.published == "9092")
        #expect(kafka.volumes.first.map { ($0.type, $0.source, $0.target, $0.createHostPath) } ?? ("", "", "", false)
                == ("bind", "/var/run/docker.sock", "/var/run/docker.sock", true))
        #expect(kafka.environment["KAFKA_CREATE_TOPICS"] == .some("\"user_behavior:1:1\""))
        let es = try #require(p.services["elasticsearch"])
        #expect(es.ulimits["memlock"] == Ulimit(soft: -1, hard: -1))
        #expect(es.ulimits["nofile"] == Ulimit(soft: 65536, hard: 65536))
        #expect(p.services["datagen"]?.command?.count == 11)
        #expect(p.services["jobmanager"]?.command == ["jobmanager"])
        #expect(p.networks["default"]?.name == "flink-sql-demo_default")
    }

    @Test("every corpus file the loader accepts decodes; typed lists keep every entry")
    func corpus() throws {
        let manifest = try String(contentsOfFile: MergeFixtures.corpus + "/MANIFEST.tsv", encoding: .utf8)
        let files = manifest.split(separator: "\n").dropFirst().compactMap { line -> String? in
            let cols = line.split(separator: "\t", omittingEmptySubsequences: false)
            return cols.count >= 6 && cols[5].contains("features:") ? String(cols[0]) : nil
        }
        var decoded = 0
        for file in files where !file.contains("AliasBomb") {
            guard let project = try? Self.load(MergeFixtures.corpus + "/" + file) else { continue }
            let p: Project
            do { p = try project.typed() } catch {
                Issue.record("\(file): \(error)")
                continue
            }
            decoded += 1
            let tree = try ProjectRenderer.renderThrowing(project.model)
            #expect(p.services.count == tree["services"]?.object?.count ?? 0, "\(file)")
            for (name, s) in p.services {
                #expect(s.ports.count == (tree["services"]?[name]?["ports"]?.array?.count ?? 0), "\(file) \(name) ports")
                #expect(s.volumes.count == (tree["services"]?[name]?["volumes"]?.array?.count ?? 0), "\(file) \(name) volumes")
                #expect(s.dependsOn.count == (tree["services"]?[name]?["depends_on"]?.object?.count ?? 0), "\(file) \(name) depends_on")
            }
        }
        #expect(decoded > 750)
    }
}
