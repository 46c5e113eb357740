import ComposeModel

/// Service profiles and service selection, as Docker Compose v2.40.3 applies them (measured).
///
/// Profiles: a service without `profiles` is always enabled; one with profiles only when one of
/// them is active (`--profile`, repeatable, else `COMPOSE_PROFILES`, comma-separated; `*`
/// activates every profile). Disabled services leave the model but are kept aside: the
/// consistency check accepts a `required: false` dependency on one, and naming one on the
/// command line brings it back. Dependencies are not touched here: `config` prints a
/// `required: false` dependency on a disabled service as written.
///
/// Selection (`config SERVICE…`, `up SERVICE…`): every name must be a service, enabled or not;
/// the result is the named services and, transitively, their dependencies among the enabled and
/// the named ones. A dependency left outside that set (only a `required: false` one can be) is
/// dropped from the service that declares it.
public enum Profiles {
    public static func apply(_ dict: ComposeNode, profiles: [String]) -> (model: ComposeNode, disabled: ComposeObject) {
        guard let services = dict["services"]?.object else { return (dict, ComposeObject()) }
        let all = profiles.contains("*")
        let active = Set(profiles)
        var kept = ComposeObject(), disabled = ComposeObject()
        for (name, svc) in services {
            let own = (svc["profiles"]?.array ?? []).compactMap(\.scalarText)
            if own.isEmpty || all || own.contains(where: active.contains) {
                kept.set(name, svc, keyMark: services.keyMark(name))
            } else {
                disabled.set(name, svc, keyMark: services.keyMark(name))
            }
        }
        var out = dict
        out["services"] = ComposeNode(.object(kept), mark: dict["services"]?.mark)
        return (out, disabled)
    }

    /// The project restricted to `selected` and their dependencies (see above). An empty
    /// selection is the whole project.
    public static func select(_ project: LoadedProject, _ selected: [String]) throws -> ComposeNode {
        guard !selected.isEmpty else { return project.model }
        let enabled = project.model["services"]?.object ?? ComposeObject()
        let disabled = project.disabledServices
        func service(_ name: String) -> ComposeNode? { enabled[name] ?? disabled[name] }
        for name in selected where service(name) == nil {
            var message = "no such service: \(name)"
            if let near = closestName(to: name, among: Array(enabled.keys) + Array(disabled.keys)) { message += " (did you mean \"\(near)\"?)" }
            throw ComposeError(message)
        }
        let allowed = Set(enabled.keys).union(selected)
        var chosen = Set<String>(), stack = selected
        while let name = stack.popLast() {
            guard chosen.insert(name).inserted, let svc = service(name) else { continue }
            for dep in svc["depends_on"]?.object?.keys ?? [] where allowed.contains(dep) && !chosen.contains(dep) {
                stack.append(dep)
            }
        }
        var out = ComposeObject()
        // Keep the file's order: enabled services first as they came, then brought-back ones.
        for (name, svc) in Array(enabled) + Array(disabled) where chosen.contains(name) {
            var s = svc
            if let deps = svc["depends_on"]?.object {
                var filtered = ComposeObject()
                for (dep, spec) in deps where chosen.contains(dep) { filtered.set(dep, spec, keyMark: deps.keyMark(dep)) }
                s["depends_on"] = .object(filtered, mark: svc["depends_on"]?.mark)
            }
            out.set(name, s, keyMark: enabled.keyMark(name) ?? disabled.keyMark(name))
        }
        var model = project.model
        model["services"] = ComposeNode(.object(out), mark: model["services"]?.mark)
        return model
    }
}
