import ComposeLoader
import ComposeModel
import Foundation
import Testing

/// `swcompose config --format json`, then plain `config` (YAML, the default), against Docker
/// Compose v2.40.3 (the oracle, COMPOSE_ORACLE)
/// over every Compose file of the corpus: the same JSON where Docker Compose succeeds, an error
/// where it fails. Files that still differ are listed, with the reason, in
/// KnownDifferences.txt; the test fails for any other difference, and also when a listed file
/// has come to agree (so the list only shrinks).
@Suite("Docker Compose 2.40.3 as the oracle over the corpus")
struct DifferentialTests {
    static var corpus: String {
        if let c = ProcessInfo.processInfo.environment["SWCOMPOSE_CORPUS"], !c.isEmpty { return c }
        return Binary.packageRoot + "/Tests/corpus"
    }

    static var oracle: String? {
        guard let o = ProcessInfo.processInfo.environment["COMPOSE_ORACLE"], FileManager.default.isExecutableFile(atPath: o) else { return nil }
        return o
    }

    /// MANIFEST.tsv rows whose notes list Compose features: the Compose files of the corpus.
    static func files() throws -> [String] {
        let text = try String(contentsOfFile: corpus + "/MANIFEST.tsv", encoding: .utf8)
        return text.split(separator: "\n").dropFirst().compactMap { line in
            let cols = line.split(separator: "\t", omittingEmptySubsequences: false)
            return cols.count >= 6 && cols[5].contains("features:") ? String(cols[0]) : nil
        }
    }

    static func known() throws -> [String: String] {
        let path = Binary.packageRoot + "/Tests/EndToEndTests/KnownDifferences.txt"
        var out: [String: String] = [:]
        for line in try String(contentsOfFile: path, encoding: .utf8).split(separator: "\n") where !line.hasPrefix("#") {
            let parts = line.split(separator: "\t", maxSplits: 1)
            out[String(parts[0])] = parts.count > 1 ? String(parts[1]) : ""
        }
        return out
    }

    /// nil when both agree, else what differs.
    static func compare(_ file: String, oracle: String, runOracle: Bool) -> String? {
        let dir = (corpus + "/" + file as NSString).deletingLastPathComponent
        let args = ["-f", (file as NSString).lastPathComponent, "config", "--format", "json"]
        if !runOracle {
            // Docker Compose needs minutes and gigabytes to refuse this file; swcompose must refuse it.
            let s = try? Binary.run(args, in: dir, timeout: 60)
            return s?.status == 0 ? "swcompose accepts a file Docker Compose refuses" : nil
        }
        // coreutils `timeout` ends the oracle (TERM, then KILL) if it runs away.
        guard let o = try? Binary.run("/usr/bin/timeout", ["-k", "5", "60", oracle] + args, in: dir),
              let s = try? Binary.run(args, in: dir, timeout: 60) else { return "could not run" }
        if o.status == 124 { return "the oracle timed out" }
        switch (o.status == 0, s.status == 0) {
        case (false, false): return nil
        case (false, true): return "the oracle fails, swcompose succeeds: \(o.err.suffix(200))"
        case (true, false): return "swcompose fails: \(s.err.prefix(300))"
        case (true, true):
            guard let a = try? ComposeJSON.parse(s.out) else { return "swcompose printed invalid JSON" }
            guard let b = try? ComposeJSON.parse(o.out) else { return "the oracle printed invalid JSON" }
            guard a == b else { return "the JSON differs" }
            // The default output, YAML, read back as a Compose file is read: the same tree.
            let yamlArgs = Array(args.dropLast(2))
            guard let oy = try? Binary.run("/usr/bin/timeout", ["-k", "5", "60", oracle] + yamlArgs, in: dir),
                  let sy = try? Binary.run(yamlArgs, in: dir, timeout: 60), oy.status == 0, sy.status == 0 else {
                return "could not run `config` (YAML)"
            }
            guard let ya = try? YAMLReader.documents(sy.out, file: "swcompose"), let yb = try? YAMLReader.documents(oy.out, file: "oracle") else {
                return "the YAML output does not parse"
            }
            return ya == yb ? nil : "the YAML differs"
        }
    }

    @Test("every corpus file loads as Docker Compose loads it, except the listed known differences")
    func corpusAgrees() throws {
        let oracle = try #require(Self.oracle, "COMPOSE_ORACLE must name the Docker Compose binary (make test installs it)")
        let files = try Self.files()
        #expect(files.count > 1000)
        let known = try Self.known()
        nonisolated(unsafe) var results = [String?](repeating: nil, count: files.count)
        let lock = NSLock()
        nonisolated(unsafe) var next = 0
        let finished = DispatchSemaphore(value: 0)
        let workers = 4
        for _ in 0..<workers {
            Thread {
                while true {
                    lock.lock(); let i = next; next += 1; lock.unlock()
                    if i >= files.count { break }
                    let r = Self.compare(files[i], oracle: oracle, runOracle: !(known[files[i]] ?? "").hasPrefix("oracle-skip"))
                    lock.lock(); results[i] = r; lock.unlock()
                }
                finished.signal()
            }.start()
        }
        for _ in 0..<workers { finished.wait() }
        var agree = 0
        for (file, result) in zip(files, results) {
            if let result {
                #expect(known[file] != nil, "\(file): \(result)")
            } else if (known[file] ?? "").hasPrefix("oracle-skip") {
                agree += 1
            } else {
                agree += 1
                #expect(known[file] == nil, "\(file) now agrees with Docker Compose: remove it from KnownDifferences.txt")
            }
        }
        print("differential: \(agree) of \(files.count) corpus files agree with Docker Compose 2.40.3; \(known.count) known differences")
    }
}
