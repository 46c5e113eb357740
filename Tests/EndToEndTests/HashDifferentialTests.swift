import Foundation
import Testing

/// `swcompose config --hash` against Docker Compose v2.40.3 (COMPOSE_ORACLE): the same "NAME HASH"
/// lines, byte for byte, for a varied set of corpus files whose `config --format json` already
/// agrees, and the same output and failure for a name list with an unknown service. Skipped,
/// with a message saying so, when COMPOSE_ORACLE is not set.
@Suite("config --hash against Docker Compose 2.40.3", .enabled(
    if: DifferentialTests.oracle != nil,
    "COMPOSE_ORACLE is not set: set it to the Docker Compose 2.40.3 binary to compare config --hash"))
struct HashDifferentialTests {
    /// Corpus files (Tests/corpus) chosen to cover many features: env_file in every form,
    /// profiles, extends, deploy, healthchecks, volumes, networks, hooks, develop.watch, ...
    static let files = [
        "fhueske__flink-sql-demo/docker-compose.yml",
        "wuchong__flink-sql-demo/docker-compose.yml",
        "compose-spec__compose-go/_extracted_from_go_tests/loader/tests/env_file/TestEnvFileList.yaml",
        "compose-spec__compose-go/_extracted_from_go_tests/loader/tests/env_file/TestEnvFileLongSyntax.yaml",
        "compose-spec__compose-go/_extracted_from_go_tests/loader/tests/env_file/TestEnvFileString.yaml",
        "compose-spec__compose-go/cli/testdata/env-file/compose-with-env-files.yaml",
        "containers__podman-compose/tests/integration/env_file_tests/project/container-compose.env-file-obj-optional-exists.yaml",
        "containers__podman-compose/tests/integration/env_file_tests/project/container-compose.env-file-obj-optional-missing.yaml",
        "docker__compose@v5.5.0/pkg/e2e/fixtures/config_hash/compose.yaml",
        "getsentry__self-hosted/docker-compose.yml",
        "nextcloud__all-in-one/php/tests/compose.yaml",
        "compose-spec__compose-go/_extracted_from_go_tests/loader/tests/cpu/TestCPUFields.yaml",
        "temporalio__docker-compose/docker-compose-multirole.yaml",
        "compose-spec__compose-go/_extracted_from_go_tests/override/Test_PortsLongtUnicity/input.yaml",
        "docker__compose@v5.5.0/pkg/e2e/fixtures/bridge/compose.yaml",
        "compose-spec__compose-go/_extracted_from_go_tests/loader/tests/build/TestBuildConfig.yaml",
        "compose-spec__compose-go/_extracted_from_go_tests/override/Test_PortsShortUnicity/input.yaml",
        "containers__podman-compose/tests/integration/nets_test_ip/docker-compose.yml",
        "compose-spec__compose-go/_extracted_from_go_tests/loader/tests/deploy/TestDeployModeReplicas.yaml",
        "compose-spec__compose-go/loader/testdata/extends/depends_on.yaml",
        "containers__podman-compose/tests/integration/build_secrets/docker-compose.yaml",
        "compose-spec__compose-go/_extracted_from_go_tests/loader/loader/TestLoadExtensions.yaml",
        "compose-spec__compose-go/_extracted_from_go_tests/loader/tests/cpu/TestMemoryFields.yaml",
        "compose-spec__compose-go/_extracted_from_go_tests/override/Test_mergeYamlDNSMixed/base.yaml",
        "docker__compose@v5.5.0/pkg/e2e/fixtures/hooks/compose.yaml",
        "docker__compose@v5.5.0/pkg/e2e/fixtures/config/compose.yaml",
        "docker__compose@v5.5.0/pkg/e2e/fixtures/configs/compose.yaml",
        "decodableco__examples/kafka-iceberg/decodable/docker-compose.yml",
        "compose-spec__compose-go/_extracted_from_go_tests/loader/tests/networks/TestServiceNetworks.yaml",
        "docker__awesome-compose/wireguard/compose.yaml",
        "docker__compose@v5.5.0/pkg/e2e/fixtures/watch/exec.yaml",
        "compose-spec__compose-go/loader/testdata/extends/reset.yaml",
        "compose-spec__compose-go/loader/testdata/extends/nested.yaml",
        "containers__podman-compose/examples/busybox/docker-compose.yaml",
        "docker__compose@v5.5.0/pkg/e2e/fixtures/port-range/compose.yaml",
        "apache__airflow/airflow-core/docs/howto/docker-compose/docker-compose.yaml",
        "docker__compose@v5.5.0/pkg/e2e/fixtures/dependencies/deps-not-required.yaml",
        "docker__compose@v5.5.0/pkg/e2e/fixtures/network-interface-name/compose.yaml",
        "compose-spec__compose-go/_extracted_from_go_tests/loader/tests/ipc_uts_pid/TestIpcUtsPid.yaml",
        "compose-spec__compose-go/_extracted_from_go_tests/loader/tests/volumes/TestTopLevelVolumes.yaml",
        "compose-spec__compose-go/_extracted_from_go_tests/loader/tests/networks/TestTopLevelNetworks.yaml",
        "compose-spec__compose-go/_extracted_from_go_tests/loader/tests/privileged/TestPrivilegedReadOnly.yaml",
        "containers__podman-compose/tests/integration/env_file_tests/project/container-compose.env-file-obj.yaml",
        "compose-spec__compose-go/_extracted_from_go_tests/loader/tests/deploy/TestDeployUpdateRollbackConfig.yaml",
        "compose-spec__compose-go/_extracted_from_go_tests/override/Test_mergeYamlModelsCompleteScenario/expected.yaml",
    ]

    static func run(_ file: String, _ args: [String]) throws -> (oracle: Binary.Result, swcompose: Binary.Result) {
        let path = DifferentialTests.corpus + "/" + file
        let dir = (path as NSString).deletingLastPathComponent
        let all = ["-f", (path as NSString).lastPathComponent, "config"] + args
        let o = try Binary.run("/usr/bin/timeout", ["-k", "5", "60", DifferentialTests.oracle!] + all, in: dir)
        let s = try Binary.run(all, in: dir, timeout: 60)
        return (o, s)
    }

    @Test("the same hash for every service", arguments: files)
    func sameHashes(file: String) throws {
        let (o, s) = try Self.run(file, ["--hash", "*"])
        try #require(o.status == 0, "the oracle fails on \(file): \(o.err)")
        #expect(s.status == 0, "\(s.err)")
        #expect(!o.out.isEmpty)
        #expect(s.out == o.out)
    }

    @Test("a comma list prints sorted, as far as the first unknown name, then fails as Docker Compose does")
    func unknownName() throws {
        let file = "fhueske__flink-sql-demo/docker-compose.yml"
        let (o, s) = try Self.run(file, ["--hash", "zookeeper,nope,kafka"])
        #expect(o.status != 0)
        #expect(s.status != 0)
        #expect(s.out == o.out)
        #expect(s.out.split(separator: "\n").map { $0.split(separator: " ")[0] } == ["kafka"])
        let oracleMessage = o.err.split(separator: "\n").last.map(String.init) ?? ""
        #expect(oracleMessage == "no such service: nope: not found")
        #expect(s.err.hasSuffix(oracleMessage + "\n"), "\(s.err)")
    }
}
