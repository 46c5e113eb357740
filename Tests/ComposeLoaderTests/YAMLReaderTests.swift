import ComposeLoader
import ComposeModel
import Testing

@Suite("YAML reading as Docker Compose's go-yaml v3 reads it")
struct YAMLReaderTests {
    private func read(_ yaml: String) throws -> ComposeNode {
        let docs = try YAMLReader.documents(yaml, file: "t.yml")
        return try #require(docs.first)
    }

    @Test("plain scalars resolve by YAML 1.2's core schema", arguments: [
        ("22:22", ComposeValue.string("22:22")),      // YAML 1.1 would read sexagesimal 1342
        ("8080:80", .string("8080:80")),
        ("on", .string("on")), ("yes", .string("yes")), ("no", .string("no")), ("off", .string("off")),
        ("true", .bool(true)), ("False", .bool(false)),
        ("3.10", .double(3.1)), ("1e3", .double(1000)), (".5", .double(0.5)),
        ("42", .int(42)), ("-7", .int(-7)), ("0x1F", .int(31)), ("0o17", .int(15)), ("017", .int(15)),
        ("~", .null), ("null", .null), ("", .null),
        ("1.2.3", .string("1.2.3")), ("0.5cpu", .string("0.5cpu")), ("1_000", .int(1000)), ("12:30", .string("12:30")),
    ])
    func plainScalars(text: String, expected: ComposeValue) throws {
        let doc = try read("v: \(text)\n")
        #expect(doc["v"]?.value == expected)
    }

    @Test("quoted scalars and !!str stay strings", arguments: ["'42'", "\"true\"", "!!str 42", "'22:22'"])
    func quoted(text: String) throws {
        let doc = try read("v: \(text)\n")
        #expect(doc["v"]?.string != nil)
    }

    @Test("merge keys: explicit keys win, the earlier of several merged maps wins")
    func mergeKeys() throws {
        let doc = try read("""
        x-a: &a {image: a, restart: always, user: one}
        x-b: &b {image: b, user: two, tty: true}
        services:
          s:
            <<: [*a, *b]
            image: mine
        """)
        let s = try #require(doc["services"]?["s"]?.object)
        #expect(s["image"]?.string == "mine")
        #expect(s["restart"]?.string == "always")
        #expect(s["user"]?.string == "one")
        #expect(s["tty"]?.bool == true)
        #expect(s["<<"] == nil)
    }

    @Test("!reset and !override tags are kept for the merge step")
    func tags() throws {
        let doc = try read("a: !reset []\nb: !override {x: 1}\nc: !reset null\n")
        #expect(doc["a"]?.tag == .reset)
        #expect(doc["b"]?.tag == .override)
        #expect(doc["c"]?.tag == .reset)
        #expect(doc["c"]?.isNull == true)
    }

    @Test("positions are 1-based line and column of the value, keys have their own")
    func marks() throws {
        let doc = try read("services:\n  web:\n    image: nginx\n")
        let image = try #require(doc["services"]?["web"]?["image"])
        #expect(image.mark == SourceMark(file: "t.yml", line: 3, column: 12))
        #expect(doc["services"]?["web"]?.object?.keyMark("image") == SourceMark(file: "t.yml", line: 3, column: 5))
    }

    @Test("several documents are read in order; quoted number keys are names")
    func documents() throws {
        let docs = try YAMLReader.documents("a: 1\n---\n'1': x\n\"true\": y\n", file: "t.yml")
        #expect(docs.count == 2)
        #expect(docs[1]["1"]?.string == "x")
        #expect(docs[1]["true"]?.string == "y")
    }

    @Test("a plain key that reads as a number or boolean is an error naming where (as Docker's non-string key)",
          arguments: ["labels:\n  1: x\n", "labels:\n  true: x\n", "labels:\n  1.5: x\n"])
    func nonStringKeys(yaml: String) throws {
        do {
            _ = try YAMLReader.documents(yaml, file: "t.yml")
            Issue.record("no error")
        } catch let e as ComposeError {
            #expect(e.description.contains("non-string key in labels"))
            #expect(e.mark?.line == 2)
        }
    }

    @Test("an unquoted date is a timestamp Compose rejects; quoted it is a string")
    func timestamps() throws {
        #expect(throws: ComposeError.self) { try YAMLReader.documents("v: 2012-01-01\n", file: "t.yml") }
        #expect(throws: ComposeError.self) { try YAMLReader.documents("v: 2001-12-14t21:59:43.10-05:00\n", file: "t.yml") }
        #expect(try read("v: '2012-01-01'\n")["v"]?.string == "2012-01-01")
        #expect(try read("v: 2012-01\n")["v"]?.string == "2012-01")
    }

    @Test("broken YAML and duplicate keys are errors naming file and line", arguments: [
        ("a: [1, 2\n", 2), ("a: 1\na: 2\n", 1), ("a:\n  - b\n c: d\n", 3),
    ])
    func errors(yaml: String, line: Int) throws {
        do {
            _ = try YAMLReader.documents(yaml, file: "bad.yml")
            Issue.record("no error for \(yaml)")
        } catch let e as ComposeError {
            #expect(e.mark?.file == "bad.yml")
            #expect(e.mark?.line == line, "\(e)")
        }
    }

    @Test("an undefined alias is an error, not a crash")
    func undefinedAlias() {
        #expect(throws: ComposeError.self) { try YAMLReader.documents("a: *nope\n", file: "t.yml") }
    }
}

@Suite("YAML alias bombs")
struct AliasBombTests {
    /// `levels` anchors, each a list of `width` aliases of the one before.
    static func nested(_ levels: Int, width: Int) -> String {
        let names = Array("abcdefghijklmnop").map(String.init)
        var y = "x-a: &a {k: v}\n"
        for i in 1...levels {
            y += "x-\(names[i]): &\(names[i]) [" + Array(repeating: "*\(names[i - 1])", count: width).joined(separator: ", ") + "]\n"
        }
        return y + "services:\n  svc:\n    image: alpine\n"
    }

    @Test("ten levels of tripled aliases (59,049 maps) load, as Docker Compose 2.40.3 loads compose-go's TestAliasBombPrevented-1")
    func tripled() throws {
        let doc = try #require(try YAMLReader.documents(Self.nested(10, width: 3), file: "ok.yml").first)
        var leaves = 0
        func count(_ n: ComposeNode) { if let a = n.array { a.forEach(count) } else if n["k"] != nil { leaves += 1 } }
        count(doc["x-k"] ?? .null)
        #expect(leaves == 59_049)
    }

    @Test("ten levels of nine (3.4 billion maps) are refused with a clear error, not loaded")
    func bomb() {
        var message = ""
        do { _ = try YAMLReader.documents(Self.nested(10, width: 9), file: "bomb.yml") } catch { message = "\(error)" }
        #expect(message.contains("excessive aliasing"))
    }
}
