import Foundation
import Testing

/// compose-go's fixtures that must fail (extracted from its Go tests into the corpus, with the
/// expected message in INDEX.tsv): swcompose fails on each, and its message carries compose-go's
/// words (ours add file, line and hints around them).
@Suite("compose-go's failing fixtures fail with the expected message")
struct FixtureErrorTests {
    static let corpus = Binary.packageRoot + "/../shared/compose-corpus"
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

    @Test("the index lists the failing fixtures")
    func indexRead() {
        #expect(Self.fixtures.count >= 25)
    }

    @Test("fails with compose-go's message", arguments: fixtures)
    func fails(fixture: Fixture) throws {
        let file = Self.base + "/" + fixture.path
        let r = try Binary.run(["-f", (file as NSString).lastPathComponent, "config", "--format", "json"],
                               in: (file as NSString).deletingLastPathComponent)
        #expect(r.status != 0, "swcompose accepted \(fixture.path)")
        #expect(fixture.alternatives.contains { r.err.contains($0) }, "stderr: \(r.err)\nexpected one of: \(fixture.alternatives)")
    }
}
