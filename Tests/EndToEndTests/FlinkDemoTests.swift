import ComposeModel
import Foundation
import Testing

/// The Flink SQL demo stack (compose-files/flink-sql-demo), the first file our users point
/// swcompose at: what `swcompose config --format json` makes of it, field by field.
@Suite("The Flink SQL demo as swcompose reads it")
struct FlinkDemoTests {
    static func config(_ extra: [String] = []) throws -> ComposeNode {
        let r = try Binary.run(["config", "--format", "json"] + extra, in: CLITests.demo)
        #expect(r.status == 0, "stderr: \(r.err)")
        return try ComposeJSON.parse(r.out)
    }

    static func service(_ name: String) throws -> ComposeNode {
        try #require(try config()["services"]?[name])
    }

    @Test("nine services, named after the directory's project")
    func services() throws {
        let model = try Self.config()
        #expect(model["name"]?.string == "flink-sql-demo")
        #expect(model["services"]?.object?.keys.sorted() == [
            "datagen", "elasticsearch", "jobmanager", "kafka", "kibana", "mysql", "sql-client", "taskmanager", "zookeeper",
        ])
    }

    @Test("kafka depends on zookeeper; sql-client on kafka, jobmanager and elasticsearch, in the long form")
    func dependencies() throws {
        let started = try ComposeJSON.parse(#"{"condition": "service_started", "required": true}"#)
        #expect(try Self.service("kafka")["depends_on"]?.object?.keys.sorted() == ["zookeeper"])
        #expect(try Self.service("kafka")["depends_on"]?["zookeeper"] == started)
        #expect(try Self.service("sql-client")["depends_on"]?.object?.keys.sorted() == ["elasticsearch", "jobmanager", "kafka"])
    }

    @Test("start order: every service after what it depends on; `config sql-client` is its closure")
    func order() throws {
        let r = try Binary.run(["config", "--services"], in: CLITests.demo)
        let order = r.out.split(separator: "\n").map(String.init)
        #expect(order.count == 9)
        for (before, after) in [("zookeeper", "kafka"), ("kafka", "sql-client"), ("jobmanager", "taskmanager"), ("kafka", "datagen")] {
            #expect(try #require(order.firstIndex(of: before)) < (try #require(order.firstIndex(of: after))))
        }
        let closure = try Self.config(["sql-client"])
        #expect(closure["services"]?.object?.keys.sorted() == ["elasticsearch", "jobmanager", "kafka", "sql-client", "zookeeper"])
    }

    @Test("FLINK_PROPERTIES keeps its lines; KAFKA_CREATE_TOPICS keeps its quotes")
    func environment() throws {
        #expect(try Self.service("taskmanager")["environment"]?["FLINK_PROPERTIES"]?.string
                == "\njobmanager.rpc.address: jobmanager\ntaskmanager.numberOfTaskSlots: 10\n")
        #expect(try Self.service("kafka")["environment"]?["KAFKA_CREATE_TOPICS"]?.string == "\"user_behavior:1:1\"")
        #expect(try Self.service("elasticsearch")["environment"]?["ES_JAVA_OPTS"]?.string == "-Xms512m -Xmx512m")
    }

    @Test("elasticsearch's ulimits, kafka's docker.sock bind mount and ports in the long forms")
    func longForms() throws {
        #expect(try Self.service("elasticsearch")["ulimits"] == (try ComposeJSON.parse(
            #"{"memlock": {"soft": -1, "hard": -1}, "nofile": {"soft": 65536, "hard": 65536}}"#)))
        let kafka = try Self.service("kafka")
        #expect(kafka["volumes"] == (try ComposeJSON.parse(
            #"[{"type": "bind", "source": "/var/run/docker.sock", "target": "/var/run/docker.sock", "bind": {"create_host_path": true}}]"#)))
        #expect(kafka["ports"] == (try ComposeJSON.parse(
            #"[{"mode": "ingress", "target": 9092, "published": "9092", "protocol": "tcp"}, {"mode": "ingress", "target": 9094, "published": "9094", "protocol": "tcp"}]"#)))
    }

    @Test("datagen's command is split into its 11 words")
    func command() throws {
        let words = try #require(try Self.service("datagen")["command"]?.array?.compactMap(\.string))
        #expect(words == ["java", "-classpath", "/opt/datagen/flink-sql-demo.jar", "myflink.SourceGenerator", "--input",
                          "/opt/datagen/user_behavior.log", "--output", "kafka", "kafka:9094", "--speedup", "2000"])
    }
}
