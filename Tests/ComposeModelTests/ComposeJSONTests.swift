import ComposeModel
import Testing

@Suite("Canonical JSON")
struct ComposeJSONTests {
    @Test("keys sorted by byte order, integers kept apart from floats, Go's HTML escapes")
    func rendering() throws {
        var o = ComposeObject()
        o["b"] = .int(1)
        o["a"] = ComposeNode(.double(0.5))
        o["B"] = .string("<a & b>")
        o["c"] = .array([.bool(true), .null])
        #expect(ComposeJSON.render(.object(o), pretty: false)
            == #"{"B":"\u003ca \u0026 b\u003e","a":0.5,"b":1,"c":[true,null]}"#)
    }

    @Test("what is rendered parses back to the same tree", arguments: [
        #"{"x":[1,2.5,"s\n\"q\"",{"y":null}],"é":"ü"}"#,
        #"[]"#, #"{}"#, #""\ud83d\ude00""#,
    ])
    func roundTrip(text: String) throws {
        let node = try ComposeJSON.parse(text)
        #expect(try ComposeJSON.parse(ComposeJSON.render(node)) == node)
    }

    @Test("bad JSON names the byte offset", arguments: [#"{"a" 1}"#, "[1,", "tru", #"{"a":1} x"#])
    func badJSON(text: String) {
        #expect(throws: ComposeJSON.ParseError.self) { try ComposeJSON.parse(text) }
    }
}
