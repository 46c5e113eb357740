@testable import ComposeLoader
import ComposeModel
import Foundation

/// A scratch directory of files for one test, removed when the test ends (every loader suite uses it).
final class ScratchDir {
    let path: String

    init() throws {
        path = NSTemporaryDirectory() + "swcompose-test-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    }

    deinit { try? FileManager.default.removeItem(atPath: path) }

    var root: String { path }

    /// Load options for a working directory inside this one.
    func options(in dir: String = "", env: [String: String] = [:]) -> LoadOptions {
        LoadOptions(workingDirectory: dir.isEmpty ? path : path + "/" + dir, environment: env)
    }

    @discardableResult
    func write(_ name: String, _ text: String) throws -> String {
        let full = path + "/" + name
        try FileManager.default.createDirectory(atPath: (full as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        try text.write(toFile: full, atomically: true, encoding: .utf8)
        return full
    }

    func context(environment: [String: String] = [:]) -> LoadContext {
        LoadContext(workingDirectory: path, environment: environment,
                    options: LoadOptions(workingDirectory: path, environment: environment))
    }

    /// Runs the extends stage over one file of this directory.
    func extends(_ name: String, environment: [String: String] = [:]) throws -> ComposeNode {
        let file = path + "/" + name
        let doc = try YAMLReader.documents(try String(contentsOfFile: file, encoding: .utf8), file: file)[0]
        return try Extends.apply(doc, file: file, context: context(environment: environment))
    }
}

