@testable import ComposeLoader
import ComposeModel
import Foundation
import Testing

/// Profiles and service selection. Every expected row was read from Docker Compose 2.40.3
/// (`docker compose [--profile P] config --format json [SERVICE…]`) on the same file.
@Suite("Profiles and selection")
struct ProfilesTests {
    static let optional = """
    services:
      foo:
        image: bash
        depends_on:
          bar: {condition: service_started, required: false}
      bar:
        image: nginx
        profiles: [p]
        depends_on:
          q: {condition: service_started, required: false}
      q:
        image: q
        profiles: [p2]
      baz:
        image: b
        depends_on: [foo]
    """

    /// The services printed, each with the dependencies it keeps.
    func shown(_ text: String, profiles: [String] = [], selected: [String] = [], env: [String: String] = [:]) throws -> [String: [String]] {
        let dir = try ScratchDir()
        try dir.write("compose.yml", text)
        var options = dir.options(env: env)
        options.profiles = profiles
        options.selectedServices = selected
        let services = try Loader.load(options).model["services"]?.object ?? ComposeObject()
        var out: [String: [String]] = [:]
        for (name, svc) in services { out[name] = (svc["depends_on"]?.object?.keys).map(Array.init)?.sorted() ?? [] }
        return out
    }

    static let rows: [([String], [String], [String: [String]])] = [
        // profiles, selected services, what is shown
        ([], [], ["baz": ["foo"], "foo": ["bar"]]),  // a required: false dependency on a disabled service is printed
        ([], ["foo"], ["foo": []]),                  // … but dropped once a selection leaves it out
        ([], ["baz"], ["baz": ["foo"], "foo": []]),
        ([], ["bar"], ["bar": []]),                  // naming a disabled service brings it back, alone
        ([], ["q"], ["q": []]),
        ([], ["bar", "q"], ["bar": ["q"], "q": []]),
        (["p"], [], ["bar": ["q"], "baz": ["foo"], "foo": ["bar"]]),
        (["p"], ["bar"], ["bar": []]),
        (["p"], ["foo"], ["bar": [], "foo": ["bar"]]),
        (["p"], ["baz"], ["bar": [], "baz": ["foo"], "foo": ["bar"]]),
        (["p2"], [], ["baz": ["foo"], "foo": ["bar"], "q": []]),
        (["*"], [], ["bar": ["q"], "baz": ["foo"], "foo": ["bar"], "q": []]),
    ]

    @Test("--profile and service names", arguments: rows)
    func selection(_ row: ([String], [String], [String: [String]])) throws {
        #expect(try shown(Self.optional, profiles: row.0, selected: row.1) == row.2)
    }

    @Test("COMPOSE_PROFILES is a comma list, spaces trimmed; --profile wins over it")
    func environment() throws {
        #expect(try shown(Self.optional, env: ["COMPOSE_PROFILES": " p2, p"]).keys.sorted() == ["bar", "baz", "foo", "q"])
        #expect(try shown(Self.optional, profiles: ["p"], env: ["COMPOSE_PROFILES": "p2"]).keys.sorted() == ["bar", "baz", "foo"])
    }

    @Test("an unknown service name is an error with the near miss")
    func unknown() throws {
        #expect {
            try shown(Self.optional, selected: ["bazz"])
        } throws: { e in
            (e as? ComposeError)?.message == "no such service: bazz (did you mean \"baz\"?)"
        }
    }

    @Test("a required dependency on a disabled service is an error, whatever is selected")
    func requiredOnDisabled() throws {
        let text = Self.optional.replacingOccurrences(of: "bar: {condition: service_started, required: false}", with: "bar: {condition: service_started}")
        for selected in [[], ["foo"], ["bar"]] {
            #expect {
                try shown(text, selected: selected)
            } throws: { e in
                (e as? ComposeError)?.message == "service \"foo\" depends on undefined service \"bar\": invalid compose project (it is only enabled by profile \"p\", which is not active)"
            }
        }
    }

    @Test("a required: false dependency on a service that does not exist at all is an error")
    func optionalOnUndefined() throws {
        #expect {
            try shown("services:\n  foo:\n    image: a\n    depends_on:\n      nope: {condition: service_started, required: false}\n")
        } throws: { e in
            (e as? ComposeError)?.message.hasPrefix("service \"foo\" depends on undefined service \"nope\": invalid compose project") == true
        }
    }
}
