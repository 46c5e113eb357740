/// Docker Compose's `ServiceHash` (pkg/compose/hash.go, v2.40.3): the hash that decides whether a
/// service's container must be recreated, and what `config --hash` prints.
///
/// Compose clears `build`, `pull_policy`, `scale`, `deploy.replicas`, `depends_on` and `profiles`
/// (they change how a container is made or how many, not what it is), `json.Marshal`s the rest
/// of compose-go's `ServiceConfig` and takes the SHA-256 of that text in hex.
public enum ConfigHash {
    /// The attributes `ServiceHash` clears before marshalling.
    public static let ignored = ["build", "pull_policy", "scale", "depends_on", "profiles"]

    /// The hash of `service`: one service as `ProjectRenderer` renders it for `config` (Go
    /// values, with its keys in Go's struct field order and map keys sorted), loaded without the
    /// service environment resolved (`env_file` kept, as `config --hash` loads it).
    public static func of(service: ComposeNode) -> String {
        SHA256.hex(marshal(service: service))
    }

    /// The compact JSON Go's `json.Marshal` writes for `service` after the clearing.
    public static func marshal(service: ComposeNode) -> String {
        var s = service
        if var o = s.object {
            for k in ignored { o[k] = nil }
            if var deploy = o["deploy"], deploy.object != nil {
                deploy["replicas"] = nil
                o["deploy"] = deploy
            }
            s = .object(o, mark: s.mark)
        }
        return ComposeJSON.render(s, pretty: false, sortKeys: false)
    }
}
