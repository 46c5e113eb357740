import ComposeModel

/// compose-go's consistency check of a loaded project (after profiles are applied): every
/// reference from a service to a network, volume, secret, config, model or other service must
/// resolve, and settings that exclude each other must not both be set. The messages are Docker
/// Compose's, with the file position of the offending value added in front.
enum Consistency {
    static let invalid = ": invalid compose project"

    /// `disabled`: the services profiles left out; a `required: false` dependency may name one.
    static func check(_ model: ComposeNode, disabled: ComposeObject = ComposeObject()) throws {
        let services = model["services"]?.object ?? ComposeObject()
        func declared(_ key: String) -> ComposeObject { model[key]?.object ?? ComposeObject() }
        let networks = declared("networks"), volumes = declared("volumes"), secrets = declared("secrets")
        let configs = declared("configs"), models = declared("models")

        var containerNames: [String: String] = [:]
        for name in services.sortedKeys {
            guard let s = services[name], s.object != nil else { continue }
            if let cn = s["container_name"]?.scalarText, !cn.isEmpty {
                if let other = containerNames[cn] {
                    throw ComposeError("services.\(name): container name \"\(cn)\" is already in use by service \"\(other)\"\(invalid)", mark: s["container_name"]?.mark)
                }
                containerNames[cn] = name
            }
            func fail(_ message: String, _ at: ComposeNode?) -> ComposeError {
                ComposeError(message, mark: at?.mark ?? s.mark)
            }
            let image = s["image"]?.scalarText ?? ""
            if s["build"] == nil || s["build"]?.isNull == true, image.isEmpty, s["provider"] == nil {
                throw fail("service \"\(name)\" has neither an image nor a build context specified\(invalid)", s)
            }
            if let build = s["build"]?.object {
                if build["dockerfile"] != nil, build["dockerfile_inline"] != nil {
                    throw fail("service \"\(name)\" declares mutualy exclusive dockerfile and dockerfile_inline\(invalid)", build["dockerfile_inline"])
                }
                for (ctx, value) in build["additional_contexts"]?.object ?? ComposeObject() {
                    guard let text = value.string, text.hasPrefix("service:") else { continue }
                    let target = String(text.dropFirst("service:".count))
                    guard let t = services[target] else {
                        throw fail("service \"\(name)\" declares unknown service \"\(target)\" as additional contexts \(ctx)", value)
                    }
                    if t["build"] == nil { throw fail("service \"\(name)\" declares non-buildable service \"\(target)\" as additional contexts \(ctx)", value) }
                }
                if let platforms = build["platforms"]?.array, !platforms.isEmpty, let platform = s["platform"]?.scalarText, !platform.isEmpty,
                   !platforms.contains(where: { $0.scalarText == platform }) {
                    throw fail("service.build.platforms MUST include service.platform \"\(platform)\"\(invalid)", s["platform"])
                }
                for item in build["secrets"]?.array ?? [] {
                    let source = item["source"]?.scalarText ?? item.scalarText ?? ""
                    if secrets[source] == nil { throw fail("service \"\(name)\" refers to undefined build secret \(source)\(invalid)", item) }
                }
            }
            if let mode = s["network_mode"]?.scalarText, !mode.isEmpty, let nets = s["networks"]?.object, !nets.isEmpty {
                throw fail("service \(name) declares mutually exclusive `network_mode` and `networks`\(invalid)", s["network_mode"])
            }
            if let nets = s["networks"]?.object {
                // compose-go reads an `x-` key of a service's networks as an extension, never as
                // a network: 2.40.3 refuses it ("undefined network #extensions"); we name it.
                for net in nets.sortedKeys where net.hasPrefix("x-") {
                    throw fail("service \"\(name)\" refers to undefined network \(net)\(invalid) (a network whose name starts with \"x-\" is read as an extension; rename it)", nets[net])
                }
                for net in nets.keys where networks[net] == nil {
                    throw fail("service \"\(name)\" refers to undefined network \(net)\(invalid)", nets[net])
                }
            }
            if let test = s["healthcheck"]?["test"]?.array, let first = test.first?.scalarText,
               !["CMD", "CMD-SHELL", "NONE"].contains(first) {
                throw fail("healthcheck.test must start either by \"CMD\", \"CMD-SHELL\" or \"NONE\"", test.first)
            }
            if let deps = s["depends_on"]?.object {
                for dep in deps.sortedKeys where services[dep] == nil {
                    if disabled[dep] != nil, deps[dep]?["required"]?.bool == false { continue }
                    var message = "service \"\(name)\" depends on undefined service \"\(dep)\"\(invalid)"
                    if let off = disabled[dep] {
                        let profiles = (off["profiles"]?.array ?? []).compactMap(\.scalarText).map { "\"\($0)\"" }
                        message += " (it is only enabled by profile \(profiles.joined(separator: " or ")), which is not active)"
                    } else if let near = closestName(to: dep, among: services.keys.filter { $0 != name }) {
                        message += " (did you mean \"\(near)\"?)"
                    }
                    throw ComposeError(message, mark: deps.keyMark(dep) ?? deps[dep]?.mark ?? s.mark)
                }
            }
            if let mode = s["network_mode"]?.scalarText, mode.hasPrefix("service:") {
                let target = String(mode.dropFirst("service:".count))
                if services[target] == nil {
                    throw fail("service \"\(target)\" not found for network_mode 'service:\(target)'", s["network_mode"])
                }
            }
            for v in s["volumes"]?.array ?? [] {
                guard v["type"]?.string == "volume", let source = v["source"]?.scalarText, !source.isEmpty else { continue }
                if volumes[source] == nil { throw fail("service \"\(name)\" refers to undefined volume \(source)\(invalid)", v) }
            }
            for item in s["configs"]?.array ?? [] {
                let source = item["source"]?.scalarText ?? item.scalarText ?? ""
                if configs[source] == nil { throw fail("service \"\(name)\" refers to undefined config \(source)\(invalid)", item) }
            }
            if let m = s["models"]?.object {
                for key in m.keys where models[key] == nil { throw fail("service \"\(name)\" refers to undefined model \(key)\(invalid)", m[key]) }
            } else if let m = s["models"]?.array {
                for item in m {
                    let key = item.scalarText ?? ""
                    if models[key] == nil { throw fail("service \"\(name)\" refers to undefined model \(key)\(invalid)", item) }
                }
            }
            for item in s["secrets"]?.array ?? [] {
                let source = item["source"]?.scalarText ?? item.scalarText ?? ""
                if secrets[source] == nil { throw fail("service \"\(name)\" refers to undefined secret \(source)\(invalid)", item) }
            }
            if let scale = s["scale"]?.int, let replicas = s["deploy"]?["replicas"]?.int, scale != replicas {
                throw fail("services.\(name): can't set distinct values on 'scale' and 'deploy.replicas'\(invalid)", s["scale"])
            }
            let count = s["scale"]?.int ?? s["deploy"]?["replicas"]?.int ?? 1
            if count > 1, let cn = s["container_name"]?.scalarText, !cn.isEmpty {
                let attr = s["scale"] != nil ? "scale" : "deploy.replicas"
                throw fail("services.\(attr): can't set container_name and \(name) as container name must be unique\(invalid)", s["container_name"])
            }
            for w in s["develop"]?["watch"]?.array ?? [] {
                let action = w["action"]?.string ?? ""
                if (w["target"]?.scalarText ?? "").isEmpty, action != "rebuild", action != "restart" {
                    throw fail("services.\(name).develop.watch: target is required for non-rebuild actions\(invalid)", w)
                }
            }
            var mounts: [String: String] = [:]
            for (i, t) in (s["tmpfs"]?.array ?? []).enumerated() {
                let path = String((t.scalarText ?? "").split(separator: ":", maxSplits: 1, omittingEmptySubsequences: false).first ?? "")
                let loc = "services.\(name).tmpfs[\(i)]"
                if let p = mounts[path] { throw fail("\(loc): target \(path) already mounted as \(p)\(invalid)", t) }
                mounts[path] = loc
            }
            for (i, v) in (s["volumes"]?.array ?? []).enumerated() {
                guard let target = v["target"]?.scalarText else { continue }
                let loc = "services.\(name).volumes[\(i)]"
                if let p = mounts[target] { throw fail("\(loc): target \(target) already mounted as \(p)\(invalid)", v) }
                mounts[target] = loc
            }
        }
        for name in secrets.sortedKeys {
            guard let sec = secrets[name], sec.object != nil else { continue }
            if sec["external"]?.bool == true || sec["external"]?.object != nil { continue }
            if (sec["file"]?.scalarText ?? "").isEmpty, (sec["environment"]?.scalarText ?? "").isEmpty {
                throw ComposeError("secret \"\(name)\" must declare either `file` or `environment`\(invalid)", mark: sec.mark)
            }
        }
        // Dependency cycles, named in full.
        do { _ = try ServiceGraph(model: model) } catch let e as ModelError {
            throw ComposeError(e.message, mark: e.mark)
        }
    }
}
