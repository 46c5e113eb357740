import ComposeModel

// OWNER: normalise helper. Stub until filled in.
public enum Normalize {
    /// After all files are merged: `SetDefaultValues`, semantic validation, relative paths made
    /// absolute against `workingDirectory`, environment resolution (compose-go `loadYamlModel`).
    public static func finishModel(_ dict: ComposeNode, context: LoadContext, resolvePaths: Bool) throws -> ComposeNode { dict }

    /// compose-go's `Normalize`: default network, implicit depends_on, pull_policy, build
    /// defaults, env_file contents, … for a project named `projectName`.
    public static func project(_ dict: ComposeNode, projectName: String, context: LoadContext) throws -> ComposeNode { dict }
}
