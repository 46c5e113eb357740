import ComposeModel
import Testing

/// A normalised model with the given `depends_on` maps (all required unless listed optional).
private func model(_ deps: [String: [String]], optional: Set<String> = []) throws -> ComposeNode {
    var services = ComposeObject()
    for (name, list) in deps {
        var dependsOn = ComposeObject()
        for d in list {
            dependsOn[d] = try ComposeJSON.parse(#"{"condition":"service_started","required":\#(optional.contains("\(name)->\(d)") ? "false" : "true")}"#)
        }
        var service = ComposeObject()
        service["image"] = .string("busybox")
        if !list.isEmpty { service["depends_on"] = .object(dependsOn) }
        services[name] = .object(service)
    }
    var root = ComposeObject()
    root["services"] = .object(services)
    return .object(root)
}

/// Every dependency comes before its dependent in `order`, and `order` is a permutation of the keys.
private func respectsEdges(_ order: [String], _ deps: [String: [String]]) -> Bool {
    var position: [String: Int] = [:]
    for (i, n) in order.enumerated() { position[n] = i }
    guard position.count == deps.count, order.count == deps.count else { return false }
    for (name, list) in deps {
        for d in list {
            guard let a = position[d], let b = position[name], a < b else { return false }
        }
    }
    return true
}

/// `count` diamonds stacked on each other: top_k depends on left_k and right_k, which depend on
/// bottom_k, which depends on top_(k-1).
private func stackedDiamonds(_ count: Int) -> [String: [String]] {
    var deps: [String: [String]] = [:]
    for k in 0..<count {
        let s = String(k)
        deps["top\(s)"] = ["left\(s)", "right\(s)"]
        deps["left\(s)"] = ["bottom\(s)"]
        deps["right\(s)"] = ["bottom\(s)"]
        deps["bottom\(s)"] = k == 0 ? [] : ["top\(k - 1)"]
    }
    return deps
}

@Suite("ServiceGraph")
struct ServiceGraphTests {
    @Test("start order puts dependencies first, ties in name order; stop order is its reverse")
    func order() throws {
        let deps = ["web": ["db", "cache"], "db": [], "cache": [], "worker": ["db"], "admin": []]
        let g = try ServiceGraph(model: model(deps))
        #expect(g.startOrder() == ["admin", "cache", "db", "web", "worker"])
        #expect(g.stopOrder() == ["worker", "web", "db", "cache", "admin"])
        #expect(g.parallelGroups() == [["admin", "cache", "db"], ["web", "worker"]])
    }

    @Test("closure: `up kafka` brings zookeeper first", arguments: [
        (["kafka"], ["zookeeper", "kafka"]),
        (["zookeeper"], ["zookeeper"]),
        (["connect", "zookeeper"], ["zookeeper", "kafka", "connect"]),
        ([String](), [String]()),
    ])
    func closure(selected: [String], expected: [String]) throws {
        let g = try ServiceGraph(model: model(["kafka": ["zookeeper"], "zookeeper": [], "connect": ["kafka"], "ui": ["connect"]]))
        #expect(try g.closure(of: selected) == expected)
    }

    @Test("closure of an unknown service names it and the near miss")
    func unknownInClosure() throws {
        let g = try ServiceGraph(model: model(["kafka": ["zookeeper"], "zookeeper": []]))
        let error = #expect(throws: ModelError.self) { try g.closure(of: ["zookeper"]) }
        #expect(error?.message == #"no such service: zookeper (did you mean "zookeeper"?)"#)
        let far = #expect(throws: ModelError.self) { try g.closure(of: ["postgres"]) }
        #expect(far?.message == "no such service: postgres")
    }

    @Test("a cycle is named whole, from its first member in name order", arguments: [
        (["a": ["b"], "b": ["c"], "c": ["a"]], "a -> b -> c -> a"),
        (["c": ["a"], "a": ["b"], "b": ["c"], "d": ["c"]], "a -> b -> c -> a"),
        (["a": ["b"], "b": ["c"], "c": ["b"]], "b -> c -> b"),
        (["x": ["x"]], "x -> x"),
        (["b": ["a"], "a": ["b"], "z": []], "a -> b -> a"),
    ])
    func cycle(deps: [String: [String]], expected: String) throws {
        let error = #expect(throws: ModelError.self) { try ServiceGraph(model: model(deps)) }
        #expect(error?.message == "dependency cycle detected: \(expected)")
    }

    @Test("a required dependency on a missing service is an error naming both and the near miss")
    func unknownDependency() throws {
        let error = #expect(throws: ModelError.self) { try ServiceGraph(model: model(["kafka": ["zookeper"], "zookeeper": []])) }
        #expect(error?.message == #"service "kafka" depends on undefined service "zookeper" (did you mean "zookeeper"?)"#)
        #expect(error?.path == "services.kafka.depends_on.zookeper")
    }

    @Test("a `required: false` dependency on a service that is not there is dropped")
    func optionalMissing() throws {
        let g = try ServiceGraph(model: model(["web": ["db", "tools"], "db": []], optional: ["web->tools"]))
        #expect(g.startOrder() == ["db", "web"])
        #expect(try g.dependencies(of: "web") == ["db"])
        #expect(try g.dependents(of: "db") == ["web"])
    }

    @Test("the short list form of depends_on is read too")
    func listForm() throws {
        let m = try ComposeJSON.parse(#"{"services":{"a":{"depends_on":["b"]},"b":{}}}"#)
        #expect(try ServiceGraph(model: m).startOrder() == ["b", "a"])
    }

    @Test("1,000 services in 250 stacked diamonds")
    func diamonds() throws {
        let deps = stackedDiamonds(250)
        let g = try ServiceGraph(model: model(deps))
        let order = g.startOrder()
        #expect(respectsEdges(order, deps))
        #expect(order.first == "bottom0")
        #expect(order.last == "top249")
        #expect(try g.closure(of: ["top249"]).count == 1000)
        #expect(try g.closure(of: ["top0"]).count == 4)
        #expect(try g.closure(of: ["left100"]).count == 402)
        let groups = g.parallelGroups()
        #expect(groups.count == 750)
        #expect(groups[1] == ["left0", "right0"])
        #expect(respectsEdges(Array(g.stopOrder().reversed()), deps))
        // A dependency cycle closed across the whole stack is still found and named whole.
        var cyclic = deps
        cyclic["bottom0"] = ["top249"]
        let error = #expect(throws: ModelError.self) { try ServiceGraph(model: model(cyclic)) }
        #expect(error?.message.hasPrefix("dependency cycle detected: bottom0 -> top249 -> left249 -> bottom249 -> top248") == true)
        #expect(error?.message.hasSuffix("-> top0 -> left0 -> bottom0") == true)
    }

    @Test("1,000 services in one chain, named against the order")
    func chain() throws {
        // s0000 depends on s0001, which depends on s0002, ...: start order is reverse name order.
        var deps: [String: [String]] = [:]
        let names = (0..<1000).map { i in "s" + String(repeating: "0", count: 4 - String(i).count) + String(i) }
        for (i, n) in names.enumerated() { deps[n] = i + 1 < names.count ? [names[i + 1]] : [] }
        let g = try ServiceGraph(model: model(deps))
        #expect(g.startOrder() == names.reversed())
        #expect(g.stopOrder() == names)
        #expect(g.parallelGroups().count == 1000)
        #expect(try g.closure(of: ["s0000"]).count == 1000)
        #expect(try g.closure(of: ["s0990"]) == Array(names[990...].reversed()))
    }
}
