import Foundation
import Testing

/// compose-go's fixtures that must fail (extracted from its Go tests into the corpus, with the
/// expected message in INDEX.tsv): swcompose fails on each, and its message carries compose-go's
/// words (ours add file, line and hints around them). Where the Go test ran in a setting the
/// binary does not have, Docker Compose 2.40.3 itself answers otherwise; those fixtures are listed
/// in `oracleDiffers` with what the binary does, and swcompose must do that instead.
@Suite("compose-go's failing fixtures fail with the expected message")
struct FixtureErrorTests {
    static let corpus = DifferentialTests.corpus
    static let base = corpus + "/compose-spec__compose-go/_extracted_from_go_tests"

    struct Fixture: CustomTestStringConvertible, Sendable {
        var path: String
        var alternatives: [String]
        var testDescription: String { path }
    }

    static let fixtures: [Fixture] = {
        guard let text = try? String(contentsOfFile: base + "/INDEX.tsv", encoding: .utf8) else { return [] }
        return text.split(separator: "\n").dropFirst().compactMap { line in
            let cols = line.split(separator: "\t", omittingEmptySubsequences: false).map(String.init)
            guard cols.count >= 5, cols[3] == "error" || cols[3] == "mixed", cols[0].hasSuffix(".yaml") else { return nil }
            return Fixture(path: cols[0], alternatives: cols[4].components(separatedBy: " || "))
        }
    }()

    /// Fixture → (swcompose must succeed?, text its stderr, or on success its output, must
    /// contain), as measured on 2.40.3.
    static let oracleDiffers: [String: (succeeds: Bool, text: String, why: String)] = [
        "loader/loader/TestLoadWithResourcesCycle.yaml":
            (false, "remote:cycle/compose.yaml: no such file or directory", "the Go test installs a fake `remote:` resource loader"),
        "loader/loader/TestLoadEmptyContent_MissingProject.yaml":
            (true, "\"name\": \"loader\"", "the Go test loads without a working directory; the binary names the project after the directory"),
        "loader/reset/TestAliasBombPrevented-1.yaml":
            (true, "\"x-k\": [", "a newer compose-go refuses 3^10 aliases; 2.40.3 loads them (DifferentialTests compares the output)"),
    ]

    @Test("the index lists the failing fixtures")
    func indexRead() {
        #expect(Self.fixtures.count >= 25)
    }

    @Test("fails with compose-go's message", arguments: fixtures)
    func fails(fixture: Fixture) throws {
        let file = Self.base + "/" + fixture.path
        let r = try Binary.run(["-f", (file as NSString).lastPathComponent, "config", "--format", "json"],
                               in: (file as NSString).deletingLastPathComponent)
        if let oracle = Self.oracleDiffers[fixture.path] {
            #expect((r.status == 0) == oracle.succeeds, "\(fixture.path): \(oracle.why); stderr: \(r.err.prefix(500))")
            #expect((oracle.succeeds ? r.out : r.err).contains(oracle.text), "stderr: \(r.err.prefix(500))")
            return
        }
        #expect(r.status != 0, "swcompose accepted \(fixture.path)")
        #expect(fixture.alternatives.contains { r.err.contains($0) }, "stderr: \(r.err.prefix(500))\nexpected one of: \(fixture.alternatives)")
    }
}
