/// The dependency graph of a project's services: `services.*.depends_on` of a normalised model
/// (normalisation has already added the implicit dependencies of `network_mode: service:X`,
/// `volumes_from`, `links`, `ipc`/`pid: service:X`).
///
/// Built once in O(services + edges); the constructor rejects dependency cycles and required
/// dependencies on services that do not exist. Every query is linear too: there is no path
/// enumeration anywhere (Docker Compose's recursive walk takes tens of seconds on a few dozen
/// stacked diamonds; this does not care).
///
/// Ties are broken by name (byte order, as Go sorts), so every order is deterministic.
public struct ServiceGraph: Sendable {
    /// Every service, in name order.
    public let names: [String]
    private let index: [String: Int]
    /// For each service (by index), the services it depends on, ascending.
    private let dependencyIndices: [[Int]]
    /// For each service, the services that depend on it, ascending.
    private let dependentIndices: [[Int]]
    /// For each service, its level: 0 without dependencies, else 1 + the highest level among them.
    private let level: [Int]
    /// Start order: by level, then by name.
    private let order: [Int]

    /// The graph of a normalised model's `services.*.depends_on` (the long form
    /// `{name: {condition, required, restart}}`; the short list form is accepted too).
    /// A dependency with `required: false` on a service that is not in the model is ignored, as
    /// Compose ignores it once profiles have disabled that service.
    public init(model: ComposeNode) throws {
        let services = model["services"]?.object ?? ComposeObject()
        var edges: [(String, [(name: String, required: Bool, mark: SourceMark?)])] = []
        edges.reserveCapacity(services.count)
        for name in services.sortedKeys {
            var list: [(name: String, required: Bool, mark: SourceMark?)] = []
            if let deps = services[name]?["depends_on"] {
                if let object = deps.object {
                    for (dep, spec) in object {
                        list.append((dep, spec["required"]?.bool ?? true, object.keyMark(dep) ?? spec.mark))
                    }
                } else if let array = deps.array {
                    for item in array { if let dep = item.string { list.append((dep, true, item.mark)) } }
                }
            }
            edges.append((name, list))
        }
        try self.init(edges: edges)
    }

    /// A graph from plain lists: each service and the services it depends on (all required).
    public init(dependencies: [String: [String]]) throws {
        try self.init(edges: dependencies.map { entry in (entry.key, entry.value.map { (name: $0, required: true, mark: nil) }) })
    }

    private init(edges: [(String, [(name: String, required: Bool, mark: SourceMark?)])]) throws {
        let sorted = edges.sorted { $0.0.utf8.lexicographicallyPrecedes($1.0.utf8) }
        let names = sorted.map(\.0)
        var index: [String: Int] = [:]
        index.reserveCapacity(names.count)
        for (i, n) in names.enumerated() { index[n] = i }

        var deps = [[Int]](repeating: [], count: names.count)
        var dependents = [[Int]](repeating: [], count: names.count)
        for (i, entry) in sorted.enumerated() {
            var seen = Set<Int>()
            for dep in entry.1 {
                guard let j = index[dep.name] else {
                    if !dep.required { continue }
                    var message = "service \"\(entry.0)\" depends on undefined service \"\(dep.name)\""
                    if let near = closestName(to: dep.name, among: names) { message += " (did you mean \"\(near)\"?)" }
                    throw ModelError(message, path: "services.\(entry.0).depends_on.\(dep.name)", mark: dep.mark)
                }
                if seen.insert(j).inserted { deps[i].append(j) }
            }
            deps[i].sort()
            for j in deps[i] { dependents[j].append(i) }
        }
        // dependents were appended in ascending i, so they are sorted already.

        // Kahn's algorithm: a service is ready once all its dependencies are placed.
        var remaining = deps.map(\.count)
        var level = [Int](repeating: 0, count: names.count)
        var queue = (0..<names.count).filter { remaining[$0] == 0 }
        var head = 0
        while head < queue.count {
            let u = queue[head]
            head += 1
            for v in dependents[u] {
                level[v] = max(level[v], level[u] + 1)
                remaining[v] -= 1
                if remaining[v] == 0 { queue.append(v) }
            }
        }
        if queue.count < names.count {
            throw ServiceGraph.cycleError(names: names, deps: deps, unplaced: remaining.map { $0 > 0 })
        }

        // Bucket by level; iterating indices in name order keeps each bucket in name order.
        let levelCount = (level.max() ?? -1) + 1
        var buckets = [[Int]](repeating: [], count: levelCount)
        for i in 0..<names.count { buckets[level[i]].append(i) }

        self.names = names
        self.index = index
        self.dependencyIndices = deps
        self.dependentIndices = dependents
        self.level = level
        self.order = buckets.flatMap { $0 }
    }

    /// Names one cycle among the services Kahn's algorithm could not place: each of those has a
    /// dependency that is also unplaced, so following such dependencies must come back on itself.
    private static func cycleError(names: [String], deps: [[Int]], unplaced: [Bool]) -> ModelError {
        guard let start = unplaced.firstIndex(of: true) else { return ModelError("dependency cycle detected") }
        var position: [Int: Int] = [:]
        var path: [Int] = []
        var u = start
        while position[u] == nil {
            position[u] = path.count
            path.append(u)
            guard let next = deps[u].first(where: { unplaced[$0] }) else { break }
            u = next
        }
        var cycle = Array(path[(position[u] ?? 0)...])
        // Start the cycle at its first member in name order, so the message does not depend on
        // where the walk began.
        if let m = cycle.indices.min(by: { cycle[$0] < cycle[$1] }) {
            cycle = Array(cycle[m...] + cycle[..<m])
        }
        let text = (cycle + [cycle[0]]).map { names[$0] }.joined(separator: " -> ")
        return ModelError("dependency cycle detected: \(text)", path: "services.\(names[cycle[0]]).depends_on")
    }

    /// Every service after the services it depends on: services without dependencies first,
    /// then level by level, each level in name order.
    public func startOrder() -> [String] { order.map { names[$0] } }

    /// The reverse of the start order: every service before the services it depends on.
    public func stopOrder() -> [String] { order.reversed().map { names[$0] } }

    /// Groups of services that may start together: group k holds the services whose longest
    /// chain of dependencies has length k, so each one depends only on services of earlier groups.
    public func parallelGroups() -> [[String]] {
        var groups: [[String]] = []
        for i in order {
            if level[i] == groups.count { groups.append([]) }
            groups[level[i]].append(names[i])
        }
        return groups
    }

    /// The named services and everything they depend on, directly or not, in start order
    /// (`up kafka` starts zookeeper, then kafka).
    public func closure(of selected: [String]) throws -> [String] {
        var marked = [Bool](repeating: false, count: names.count)
        var stack: [Int] = []
        for name in selected {
            guard let i = index[name] else { throw unknown(name) }
            if !marked[i] { marked[i] = true; stack.append(i) }
        }
        while let u = stack.popLast() {
            for v in dependencyIndices[u] where !marked[v] {
                marked[v] = true
                stack.append(v)
            }
        }
        return order.filter { marked[$0] }.map { names[$0] }
    }

    /// The services `name` depends on directly, in name order.
    public func dependencies(of name: String) throws -> [String] {
        guard let i = index[name] else { throw unknown(name) }
        return dependencyIndices[i].map { names[$0] }
    }

    /// The services that depend on `name` directly, in name order.
    public func dependents(of name: String) throws -> [String] {
        guard let i = index[name] else { throw unknown(name) }
        return dependentIndices[i].map { names[$0] }
    }

    public func contains(_ name: String) -> Bool { index[name] != nil }

    private func unknown(_ name: String) -> ModelError {
        var message = "no such service: \(name)"
        if let near = closestName(to: name, among: names) { message += " (did you mean \"\(near)\"?)" }
        return ModelError(message)
    }
}
