import ComposeModel
import Foundation

/// `services.*.extends`, as Docker Compose resolves it (compose-go `loader/extends.go`):
///
/// - `extends: svc` / `extends: {service: svc}` takes `svc` of the same file;
///   `extends: {file: f, service: svc}` takes it from `f`, which is read, interpolated with the
///   project's variables and made canonical on its own, and whose relative paths (build context,
///   env files, bind mounts, its own `extends.file`, …) are resolved against its directory;
/// - `extends.file` of the files given with `-f` is relative to the project directory (that is
///   what Docker Compose does, not the declaring file's directory); in files reached through
///   `extends` it is relative to that file's directory;
/// - chains are followed, a cycle is an error naming the chain, the local service is merged over
///   the base with the service-level merge rules (`!reset`/`!override` apply).
public enum Extends {
    /// Resolves `services.*.extends` of one parsed, interpolated file (`file` is its path).
    public static func apply(_ dict: ComposeNode, file: String, context: LoadContext) throws -> ComposeNode {
        guard var top = dict.object, let servicesNode = top["services"] else { return dict }
        guard let services = servicesNode.object else {
            if servicesNode.isNull { return dict }
            throw ComposeError("services must be a mapping", path: "services", mark: servicesNode.mark)
        }
        guard services.contains(where: { $0.node["extends"] != nil }) else { return dict }
        let resolver = Resolver(context: context)
        let scope = Scope(file: file, directory: context.workingDirectory, services: services)
        for name in services.keys {
            if let resolved = try resolver.resolve(name, in: scope, chain: []) {
                scope.services[name] = resolved
            }
        }
        top["services"] = ComposeNode(.object(scope.services), mark: servicesNode.mark, tag: servicesNode.tag)
        return ComposeNode(.object(top), mark: dict.mark, tag: dict.tag)
    }

    /// The services of one file, resolved in place as extends are followed.
    final class Scope {
        let file: String
        /// Where relative `extends.file` paths of this file start.
        let directory: String
        var services: ComposeObject

        init(file: String, directory: String, services: ComposeObject) {
            self.file = file
            self.directory = directory
            self.services = services
        }
    }

    struct Link: Equatable {
        var service: String
        var file: String
    }

    final class Resolver {
        let context: LoadContext
        /// Files read for `extends.file`, by absolute path.
        var files: [String: Scope] = [:]

        init(context: LoadContext) { self.context = context }

        func resolve(_ name: String, in scope: Scope, chain: [Link]) throws -> ComposeNode? {
            guard let service = scope.services[name] else { return nil }
            if service.isNull { return nil }
            guard let s = service.object else {
                throw ComposeError("services.\(name) must be a mapping", path: "services.\(name)", mark: service.mark)
            }
            guard let ext = s["extends"] else { return service }
            let path = "services.\(name).extends"

            let ref: String
            var fileRef: ComposeNode?
            switch ext.value {
            case .string(let r): ref = r
            case .object(let o):
                guard let r = o["service"]?.string else {
                    throw ComposeError("extends.\(name).service is required", path: path, mark: o["service"]?.mark ?? ext.mark)
                }
                ref = r
                fileRef = o["file"]
                if let f = fileRef, f.string == nil, !f.isNull {
                    throw ComposeError("extends.file must be a string", path: path + ".file", mark: f.mark)
                }
                if fileRef?.isNull == true { fileRef = nil }
            default:
                throw ComposeError("extends must be a service name or a mapping with `service` and `file`, not a \(ext.value.kindName)",
                                   path: path, mark: ext.mark)
            }

            let link = Link(service: name, file: scope.file)
            if chain.contains(link) {
                let lines = ["Circular reference:", "  \(chain[0].service) in \(chain[0].file)"]
                    + (chain.dropFirst() + [link]).map { "  extends \($0.service) in \($0.file)" }
                throw ComposeError(lines.joined(separator: "\n"), path: path, mark: ext.mark)
            }

            let baseScope: Scope
            if let f = fileRef?.string {
                let abs = Loader.absolute(f, relativeTo: scope.directory)
                baseScope = try load(abs, from: scope, mark: fileRef?.mark)
                guard baseScope.services[ref] != nil else {
                    throw ComposeError("cannot extend service \"\(name)\" in \(scope.file): service \"\(ref)\" not found in \(f)",
                                       path: path + ".service", mark: ext["service"]?.mark ?? ext.mark)
                }
            } else {
                baseScope = scope
                guard scope.services[ref] != nil else {
                    var message = "cannot extend service \"\(name)\" in \(scope.file): service \"\(ref)\" not found"
                    if let near = closestName(to: ref, among: scope.services.keys.filter { $0 != name }) {
                        message += " (did you mean \"\(near)\"?)"
                    }
                    throw ComposeError(message, path: path, mark: ext["service"]?.mark ?? ext.mark)
                }
            }

            guard let base = try resolve(ref, in: baseScope, chain: chain + [link]) else {
                // An empty (null) service in another file extends nothing; Docker Compose then
                // keeps `extends` as written, its file made absolute (measured on 2.40.3).
                var plain = s
                if let f = fileRef?.string {
                    plain["extends"] = .object(ComposeObject([("file", .string(Loader.absolute(f, relativeTo: scope.directory))),
                                                              ("service", .string(ref))]), mark: ext.mark)
                } else {
                    plain["extends"] = nil
                }
                return ComposeNode(.object(plain), mark: service.mark, tag: service.tag)
            }
            if baseScope !== scope { baseScope.services[ref] = base }
            var local = s
            local["extends"] = nil
            let merged = try Merge.extendService(Merge.stripTags(base),
                                                 ComposeNode(.object(local), mark: service.mark))
            scope.services[name] = merged
            return merged
        }

        /// Reads a file named by `extends.file`: every document interpolated, merged and made
        /// canonical, then its services' relative paths resolved against its directory.
        func load(_ path: String, from scope: Scope, mark: SourceMark?) throws -> Scope {
            if let cached = files[path] { return cached }
            let text: String
            do {
                text = try Loader.readFile(path)
            } catch let e as ComposeError {
                throw ComposeError(e.message, path: "", mark: mark)
            }
            var dict = ComposeNode.object(ComposeObject())
            for doc in try YAMLReader.documents(text, file: path) {
                if doc.isNull { continue }
                guard doc.object != nil else {
                    throw ComposeError("top-level object must be a mapping", mark: doc.mark, file: path)
                }
                var cfg = doc
                if context.options.interpolate {
                    let ctx = context
                    cfg = try Interpolation.interpolate(cfg, lookup: ctx.lookup, unset: { name in
                        ctx.warn("The \"\(name)\" variable is not set. Defaulting to a blank string.")
                    })
                }
                dict = try Merge.enforceUnicity(try Merge.merge(dict, cfg))
                dict = try Merge.enforceUnicity(try Canonical.apply(dict))
            }
            guard let servicesNode = dict["services"] else {
                throw ComposeError("cannot extend service in \(path): no services section", mark: mark, file: path)
            }
            guard var services = servicesNode.object else {
                throw ComposeError("cannot extend service in \(path): services must be a mapping", mark: servicesNode.mark, file: path)
            }
            let dir = (path as NSString).deletingLastPathComponent
            services.mapValues { _, svc in RelativePaths.resolveService(svc, directory: dir) }
            let loaded = Scope(file: path, directory: dir, services: services)
            files[path] = loaded
            return loaded
        }
    }
}
