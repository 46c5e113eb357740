import Testing
@testable import ComposeLoader
import ComposeModel

@Suite("The model covers the schema")
struct SchemaCoverageTests {
    /// `definitions.NAME.properties` of Docker Compose 2.40.3's schema.
    static func properties(_ definition: String) throws -> Set<String> {
        let schema = try ComposeJSON.parse(ComposeSchemaText.json)
        return Set(try #require(schema["definitions"]?[definition]?["properties"]?.object?.keys))
    }

    static func fields(_ shape: Shape) -> Set<String> {
        if case .record(let r) = shape { return Set(r.fields.keys) }
        return []
    }

    @Test("every service key of the schema has a decoded shape in the model")
    func serviceKeys() throws {
        let missing = try Self.properties("service").subtracting(Self.fields(ProjectShape.service))
        #expect(missing.subtracting(ProjectShape.notInGoModel).isEmpty, "service keys without a shape: \(missing.sorted())")
    }

    @Test("every network, volume, secret and config key of the schema has a shape too",
          arguments: [("network", "network"), ("volume", "volume"), ("secret", "secret"), ("config", "config")])
    func resourceKeys(_ c: (String, String)) throws {
        let shape: Shape = switch c.0 {
        case "network": ProjectShape.network
        case "volume": ProjectShape.volume
        default: ProjectShape.fileObject
        }
        let missing = try Self.properties(c.1).subtracting(Self.fields(shape))
        #expect(missing.isEmpty, "\(c.0) keys without a shape: \(missing.sorted())")
    }
}
