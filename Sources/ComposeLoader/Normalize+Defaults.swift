import ComposeModel

extension Normalize {
    /// compose-go `transform.SetDefaultValues`: build context `.`, secret mount targets, port
    /// protocol and mode, device request count `all`. (`create_host_path: true` belongs to the short bind form only: Canonical sets it.)
    static func setDefaults(_ dict: ComposeNode) -> ComposeNode {
        var model = dict
        guard var services = model["services"]?.object else { return model }
        services.mapValues { _, svc in
            guard svc.object != nil else { return svc }
            var s = svc
            if var build = s["build"], build.object != nil {
                if build["context"] == nil { build["context"] = .string(".") }
                s["build"] = build
            }
            if var secrets = s["secrets"]?.array {
                for i in secrets.indices where secrets[i].object != nil && secrets[i]["target"] == nil {
                    if let source = secrets[i]["source"]?.scalarText {
                        secrets[i]["target"] = .string("/run/secrets/\(source)")
                    }
                }
                s["secrets"] = .array(secrets, mark: svc["secrets"]?.mark)
            }
            if var ports = s["ports"]?.array {
                for i in ports.indices where ports[i].object != nil {
                    if ports[i]["protocol"] == nil { ports[i]["protocol"] = .string("tcp") }
                    if ports[i]["mode"] == nil { ports[i]["mode"] = .string("ingress") }
                }
                s["ports"] = .array(ports, mark: svc["ports"]?.mark)
            }
            if var gpus = s["gpus"]?.array {
                for i in gpus.indices { gpus[i] = deviceDefaults(gpus[i]) }
                s["gpus"] = .array(gpus, mark: svc["gpus"]?.mark)
            }
            if var devices = s["deploy"]?["resources"]?["reservations"]?["devices"]?.array {
                for i in devices.indices { devices[i] = deviceDefaults(devices[i]) }
                var deploy = s["deploy"] ?? .null
                var resources = deploy["resources"] ?? .null
                var reservations = resources["reservations"] ?? .null
                reservations["devices"] = .array(devices)
                resources["reservations"] = reservations
                deploy["resources"] = resources
                s["deploy"] = deploy
            }
            return s
        }
        model["services"] = .object(services)
        return model
    }

    static func deviceDefaults(_ node: ComposeNode) -> ComposeNode {
        guard node.object != nil, node["count"] == nil, node["device_ids"] == nil else { return node }
        var d = node
        d["count"] = .string("all")
        return d
    }

    // MARK: - Semantic validation (compose-go `validation.Validate`)

    static func validate(_ model: ComposeNode) throws {
        // Measured on 2.40.3: only volumes refuse attributes beside `external`; an external
        // network, config or secret with a driver, labels or a file loads.
        for (key, node) in model["volumes"]?.object ?? ComposeObject() {
            try checkExternal(node, path: KeyPath("volumes", key))
        }
        for (kind, attributes) in [("configs", ["file", "environment", "content"]), ("secrets", ["file", "environment"])] {
            for (key, node) in model[kind]?.object ?? ComposeObject() {
                guard let o = node.object else { continue }
                let path = KeyPath(kind, key)
                let present = attributes.filter { o[$0] != nil }
                if present.count > 1 {
                    throw ComposeError("\(path): \(attributes.joined(separator: "|")) attributes are mutually exclusive", path: path.description, mark: node.mark)
                }
                if present.isEmpty, o["external"] == nil, o["driver"] == nil {
                    throw ComposeError("\(path): one of \(attributes.joined(separator: "|")) must be set", path: path.description, mark: node.mark)
                }
            }
        }
        for (name, svc) in model["services"]?.object ?? ComposeObject() {
            let base = KeyPath("services", name)
            for (i, port) in (svc["ports"]?.array ?? []).enumerated() {
                if let ip = port["host_ip"]?.string, !ip.isEmpty, !Canonical.isIPAddress(ip) {
                    let p = base + "ports" + i
                    throw ComposeError("\(p): invalid ip address: \(ip)", path: p.description, mark: port["host_ip"]?.mark)
                }
            }
            var requests: [(ComposeNode, KeyPath)] = (svc["gpus"]?.array ?? []).enumerated().map { ($1, base + "gpus" + $0) }
            requests += (svc["deploy"]?["resources"]?["reservations"]?["devices"]?.array ?? []).enumerated().map {
                ($1, base + "deploy" + "resources" + "reservations" + "devices" + $0)
            }
            for (req, p) in requests where req["count"] != nil && req["device_ids"] != nil {
                throw ComposeError("\(p): count and device_ids attributes are mutually exclusive", path: p.description, mark: req.mark)
            }
        }
    }

    /// An external volume carries nothing but its name (and extensions).
    static func checkExternal(_ node: ComposeNode, path: KeyPath) throws {
        guard let o = node.object, o["external"]?.bool == true else { return }
        for key in o.keys where !["name", "external"].contains(key) && !key.hasPrefix("x-") {
            throw ComposeError("\(path): conflicting parameters \"external\" and \"\(key)\" specified", path: path.description, mark: o.keyMark(key) ?? node.mark)
        }
    }
}
