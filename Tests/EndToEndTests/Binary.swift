import Foundation

/// Runs the built `swcompose` (SWCOMPOSE_BIN, else .build/debug/swcompose) as a user would.
struct Binary {
    static var path: String {
        if let p = ProcessInfo.processInfo.environment["SWCOMPOSE_BIN"], !p.isEmpty { return p }
        return packageRoot + "/.build/debug/swcompose"
    }

    static var packageRoot: String {
        var url = URL(fileURLWithPath: #filePath)
        for _ in 0..<3 { url.deleteLastPathComponent() }
        return url.path
    }

    struct Result {
        var status: Int32
        var out: String
        var err: String
    }

    /// Runs the built swcompose with `args` in `directory`.
    static func run(_ args: [String], in directory: String,
                    environment: [String: String] = ["PATH": "/usr/bin:/bin", "HOME": "/root"],
                    stdin: String? = nil, timeout: TimeInterval? = nil) throws -> Result {
        try run(path, args, in: directory, environment: environment, stdin: stdin, timeout: timeout)
    }

    /// Runs `executable args` in `directory` with exactly `environment` (no inherited variables).
    static func run(_ executable: String, _ args: [String], in directory: String,
                    environment: [String: String] = ["PATH": "/usr/bin:/bin", "HOME": "/root"],
                    stdin: String? = nil, timeout: TimeInterval? = nil) throws -> Result {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: executable)
        p.arguments = args
        p.currentDirectoryURL = URL(fileURLWithPath: directory)
        p.environment = environment
        let out = Pipe(), err = Pipe(), inp = Pipe()
        p.standardOutput = out
        p.standardError = err
        p.standardInput = inp
        try p.run()
        nonisolated(unsafe) var timedOut = false
        if let timeout {
            // Only the process this call started is ever ended, by its own handle.
            let killer = Thread {
                let end = Date().addingTimeInterval(timeout)
                while p.isRunning, Date() < end { Thread.sleep(forTimeInterval: 0.05) }
                if p.isRunning { timedOut = true; p.terminate() }
            }
            killer.start()
        }
        if let stdin { inp.fileHandleForWriting.write(Data(stdin.utf8)) }
        try inp.fileHandleForWriting.close()
        // Read both pipes concurrently so a full stderr cannot block the child.
        // Read both pipes at once so a full stderr cannot block the child; a plain thread, not
        // the shared dispatch pool, so many parallel runs cannot starve each other.
        nonisolated(unsafe) var errData = Data()
        let done = DispatchSemaphore(value: 0)
        let reader = Thread {
            errData = err.fileHandleForReading.readDataToEndOfFile()
            done.signal()
        }
        reader.start()
        let outData = out.fileHandleForReading.readDataToEndOfFile()
        done.wait()
        p.waitUntilExit()
        return Result(status: timedOut ? 124 : p.terminationStatus, out: String(decoding: outData, as: UTF8.self),
                      err: String(decoding: errData, as: UTF8.self))
    }
}
