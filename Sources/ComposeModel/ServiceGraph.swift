// OWNER: graph helper. Stub until filled in: start order is name order.
public struct ServiceGraph: Sendable {
    public let names: [String]

    /// The graph of `services.*.depends_on` (and the implicit dependencies normalisation added)
    /// of a normalised model.
    public init(model: ComposeNode) throws {
        names = model["services"]?.object?.sortedKeys ?? []
    }

    /// Every service after the services it depends on.
    public func startOrder() throws -> [String] { names }
}
