import ComposeModel
import Testing
@testable import ComposeLoader

/// Each expectation below was read from Docker Compose 2.40.3 `config` on the same input.
@Suite("Interpolation as Docker Compose does it")
struct InterpolationTests {
    let env = ["A": "1", "E": ""]
    func sub(_ s: String) throws -> String { try Interpolation.substitute(s, lookup: { env[$0] }) }

    @Test("defaults, alternatives and required forms", arguments: [
        ("${A:-x}", "1"), ("${E:-y}", "y"), ("${E-z}", ""), ("${U-w}", "w"),
        ("${U:+p}", ""), ("${A:+q}", "q"), ("${E+r}", "r"), ("${E:+r}", ""), ("${U+s}", ""),
        ("${U:-${A}${U:-n}}", "1n"), ("${U:-${A:-${U}}}x", "1x"), ("${A:?}", "1"), ("${E?}", ""),
        ("$A_b ${A}_b", " 1_b"), ("$$A $${A}", "$A ${A}"), ("$1 $- $ x a$", "$1 $- $ x a$"),
        ("${A:-a}b}", "1b}"), ("${U:-{}}", "{}"), ("${U:-a}}}", "a}}"), ("${U-x?y}", "x?y"),
        ("${U:-a:-b}", "a:-b"), ("$${U:-${A}}", "${U:-1}"), ("${a}", ""),
    ])
    func forms(_ input: String, _ expected: String) throws {
        #expect(try sub(input) == expected)
    }

    @Test("malformed ${ forms are errors that quote the whole value", arguments: ["${A", "${A:}", "${A:x}", "${A[@]}", "${ U}", "${}", "x ${A"])
    func invalid(_ input: String) {
        do {
            _ = try Interpolation.interpolate(.object(ComposeObject([("v", .string(input))])), lookup: { env[$0] })
            Issue.record("\(input) was accepted")
        } catch let e as ComposeError {
            #expect(e.message == "invalid interpolation format for v.\nYou may need to escape any $ with another $.\n\(input)")
        } catch { Issue.record("\(error)") }
    }

    @Test("a missing required variable is an error with its message, itself interpolated")
    func required() throws {
        let cases = [("${E:?oops $A}", "required variable E is missing a value: oops 1"),
                     ("${U?gone}", "required variable U is missing a value: gone"),
                     ("${E:?}", "required variable E is missing a value"),
                     ("${U?x-y}", "required variable U is missing a value: x-y")]
        for (input, message) in cases {
            let doc = ComposeNode.object(ComposeObject([("services", .object(ComposeObject([("s", .object(ComposeObject([("image", .string(input))])))])))]))
            #expect(throws: ComposeError("error while interpolating services.s.image: " + message)) {
                try Interpolation.interpolate(doc, lookup: { env[$0] })
            }
        }
    }

    @Test("every unset variable is reported, also inside defaults that are not used")
    func unsetReported() throws {
        var unset: [String] = []
        _ = try Interpolation.substituteRaw("$X ${Y} ${A:-${Z}} ${A}", lookup: { env[$0] }, unset: { unset.append($0) })
        #expect(unset == ["X", "Y", "Z"])
    }

    @Test("values are typed after interpolation where the schema wants numbers or booleans; keys are left alone")
    func casts() throws {
        let yaml = """
        services:
          s:
            image: x
            cpus: "${A}.1"
            privileged: "yes"
            read_only: "False"
            ports: [{target: "8${A}", published: "${A}2"}]
            ulimits: {nofile: "${A}024", nproc: {soft: "1", hard: "2"}}
            environment: {"$A": "${A}"}
        networks: {n: {external: "true"}}
        """
        var warnings: [String] = []
        let doc = try YAMLReader.documents(yaml, file: "c.yaml")[0]
        let out = try Interpolation.interpolate(doc, lookup: { env[$0] }, warn: { warnings.append($0) })
        let s = out["services"]!["s"]!
        #expect(s["cpus"]!.value == .double(1.1))
        #expect(s["privileged"]!.value == .bool(true))
        #expect(s["read_only"]!.value == .bool(false))
        #expect(s["ports"]!.array![0]["target"]!.value == .int(81))
        #expect(s["ports"]!.array![0]["published"]!.value == .string("12"))
        #expect(s["ulimits"]!["nofile"]!.value == .int(1024))
        #expect(s["ulimits"]!["nproc"]!["hard"]!.value == .int(2))
        #expect(s["environment"]!["$A"]!.value == .string("1"))
        #expect(out["networks"]!["n"]!["external"]!.value == .bool(true))
        #expect(warnings == ["\"yes\" for boolean is not supported by YAML 1.2, please use `true`"])
    }

    @Test("a value that cannot take its type names the path and Go's parse error", arguments: [
        ("cpus: \"x${A}\"", "error while interpolating services.s.cpus: failed to cast to expected type: strconv.ParseFloat: parsing \"x1\": invalid syntax"),
        ("ports: [{target: x}]", "error while interpolating services.s.ports.[].target: failed to cast to expected type: strconv.Atoi: parsing \"x\": invalid syntax"),
        ("pids_limit: \"1.5\"", "error while interpolating services.s.pids_limit: failed to cast to expected type: strconv.ParseInt: parsing \"1.5\": invalid syntax"),
        ("tty: maybe", "error while interpolating services.s.tty: failed to cast to expected type: invalid boolean: maybe"),
    ])
    func castErrors(_ line: String, _ message: String) throws {
        let doc = try YAMLReader.documents("services:\n  s:\n    image: x\n    \(line)\n", file: "c.yaml")[0]
        do {
            _ = try Interpolation.interpolate(doc, lookup: { env[$0] })
            Issue.record("accepted")
        } catch let e as ComposeError {
            #expect(e.message == message)
            #expect(e.mark?.line == 4)
        }
    }
}

@Suite(".env files as Docker Compose reads them")
struct DotEnvTests {
    func parse(_ text: String, env: [String: String] = [:]) throws -> [String: String] {
        var out: [String: String] = [:]
        for (k, v) in try DotEnv.parse(text, file: "/p/.env", lookup: { env[$0] }) { out[k] = v }
        return out
    }

    @Test("quotes, escapes, comments, export and expansion")
    func forms() throws {
        let text = """
        export A=1 # c
        B='x \\n ${A} \\' y'
        C="x\\n\\t \\${A} \\" \\\\ q" # z
        D = spaced  
        E: yaml
        F="multi
        line"
        G=a#b
        H=a #b
        I=${UNSET:-def}
        J=$A$A
        K='a'
        L="\\$A \\\\\\$A"
        M=
        N=${A:+alt}
          # indented comment

        R.x=1
        S-y=2
        1A=dropped
        """
        let got = try parse(text)
        let want = ["A": "1", "B": "x \\n ${A} ' y", "C": "x\n\t ${A} \" \\ q", "D": "spaced", "E": "yaml",
                    "F": "multi\nline", "G": "a#b", "H": "a", "I": "def", "J": "11", "K": "a", "L": "$A \\$A",
                    "M": "", "N": "alt", "R.x": "1", "S-y": "2"]
        #expect(got == want)
    }

    @Test("escapes in double quotes: Go's single-letter ones, \\0 octal, the rest kept", arguments: [
        ("\\0", "\\"), ("\\01", "\\1"), ("\\012x", "\\12x"), ("\\0123", "S"), ("\\a", "\u{07}"), ("\\b", "\u{08}"),
        ("\\c", "\\c"), ("\\f", "\u{0C}"), ("\\v", "\u{0B}"), ("\\r", "\r"), ("\\$", "$"), ("\\'", "\\'"),
        ("\\q", "\\q"), ("\\x41", "\\x41"), ("\\u0041", "\\u0041"), ("\\101", "\\101"),
    ])
    func escapes(_ escape: String, _ value: String) throws {
        #expect(try parse("A=\"<\(escape)>\"\n")["A"] == "<\(value)>")
    }

    @Test("the process environment wins, also for later references; bare keys inherit")
    func environmentWins() throws {
        let got = try parse("A=1\nB=file\nC=${B}\nD\nQ\nBARE", env: ["B": "shell", "D": "d", "BARE": "b"])
        #expect(got == ["A": "1", "B": "shell", "C": "shell", "D": "d", "BARE": "b"])
    }

    @Test("CRLF line ends and a byte-order mark are read")
    func crlf() throws {
        #expect(try parse("\u{FEFF}A=1\r\nC=2\r\n") == ["A": "1", "C": "2"])
    }

    @Test("bad lines are errors naming the file and line", arguments: [
        ("K='a''b'", "failed to read /p/.env: line 1: unexpected character \"'\" in variable name \"'b'\""),
        ("A=1\nB='a\\tb\\'", "failed to read /p/.env: line 2: unterminated quoted value 'a\\tb\\'"),
        ("A=\"unterminated\nC=2", "failed to read /p/.env: line 2: unterminated quoted value \"unterminated"),
        ("A B=1", "failed to read /p/.env: line 1: key cannot contain a space"),
        ("A=x${", "failed to read /p/.env: Invalid template: \"x${\""),
        ("D=${Q?need}", "failed to read /p/.env: required variable Q is missing a value: need"),
    ])
    func errors(_ text: String, _ message: String) {
        do {
            _ = try parse(text)
            Issue.record("accepted")
        } catch let e as ComposeError {
            #expect(e.message == message)
        } catch { Issue.record("\(error)") }
    }
}
