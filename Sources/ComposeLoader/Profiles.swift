import ComposeModel

/// Service profiles, as Docker Compose v2.40.3 applies them.
///
/// A service without `profiles` is always enabled; one with profiles only when one of them is
/// active (`--profile`, repeatable, else `COMPOSE_PROFILES`, comma-separated; `*` activates
/// every profile). Services named in `selected` are enabled as well (what `up SERVICE` and
/// `run SERVICE` do; `config` ignores its service arguments, as Docker Compose's does).
/// Disabled services leave the model; a dependency with `required: false` on a disabled service
/// is dropped, a required one is left for the consistency check to report.
public enum Profiles {
    public static func apply(_ dict: ComposeNode, profiles: [String], selected: [String]) throws -> ComposeNode {
        guard let services = dict["services"]?.object else { return dict }
        let all = profiles.contains("*")
        let active = Set(profiles)
        var enabled = Set<String>()
        for (name, svc) in services {
            let own = (svc["profiles"]?.array ?? []).compactMap(\.scalarText)
            if own.isEmpty || all || own.contains(where: active.contains) || selected.contains(name) {
                enabled.insert(name)
            }
        }
        var kept = ComposeObject()
        for (name, svc) in services where enabled.contains(name) {
            var s = svc
            if let deps = svc["depends_on"]?.object {
                var filtered = ComposeObject()
                for (dep, spec) in deps {
                    let required = spec["required"]?.bool ?? true
                    if !required, services[dep] != nil, !enabled.contains(dep) { continue }
                    filtered.set(dep, spec, keyMark: deps.keyMark(dep))
                }
                s["depends_on"] = .object(filtered)
            }
            kept.set(name, s, keyMark: services.keyMark(name))
        }
        var out = dict
        out["services"] = ComposeNode(.object(kept), mark: dict["services"]?.mark)
        return out
    }
}
