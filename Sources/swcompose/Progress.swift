import Foundation
import ImageStore
import OCI

/// How progress is shown (`--progress`, as Docker Compose's): `auto` is `tty` when standard
/// error is a terminal (and TERM is not "dumb"), else `plain`; `quiet` shows nothing.
enum ProgressMode: String, CaseIterable {
    case auto, tty, plain, quiet

    func resolved() -> ProgressMode {
        guard self == .auto else { return self }
        let term = ProcessInfo.processInfo.environment["TERM"] ?? ""
        return isatty(2) != 0 && term != "dumb" ? .tty : .plain
    }
}

/// Lines of progress on standard error. On a terminal the block is redrawn in place (cursor
/// up, clear line), at most ten times a second, each line cut to the terminal's width so that
/// nothing wraps; otherwise each change worth telling is printed once, as a plain line.
final class ProgressBoard: @unchecked Sendable {
    let mode: ProgressMode
    private let lock = NSLock()
    private var keys: [String] = []
    private var lines: [String: String] = [:]
    private var drawn = 0
    private var lastDraw = 0.0
    private var pending = false

    init(mode: ProgressMode) { self.mode = mode.resolved() }

    /// Sets a line: `plain` is printed in plain mode (when `important`), `tty` drawn on a
    /// terminal (at once when `important`, else at the next tick).
    func set(_ key: String, plain: String, tty: String, important: Bool = true) {
        lock.withLock {
            if lines[key] == nil { keys.append(key) }
            let text = mode == .tty ? tty : plain
            guard lines[key] != text else { return }
            lines[key] = text
            switch mode {
            case .plain: if important { Console.err(text + "\n") }
            case .tty: drawLocked(force: important)
            default: break
            }
        }
    }

    /// Draws the final state (a terminal's block stays on screen).
    func finish() {
        lock.withLock { if mode == .tty && pending { drawLocked(force: true) } }
    }

    private func drawLocked(force: Bool) {
        let now = Date().timeIntervalSince1970
        if !force && now - lastDraw < 0.1 { pending = true; return }
        lastDraw = now
        pending = false
        let width = Self.terminalWidth()
        var out = drawn > 0 ? "\u{1b}[\(drawn)A" : ""
        for k in keys {
            let text = lines[k] ?? ""
            out += "\r\u{1b}[2K" + (text.count > width - 1 ? String(text.prefix(width - 1)) : text) + "\n"
        }
        drawn = keys.count
        Console.err(out)
    }

    static func terminalWidth() -> Int {
        var ws = winsize()
        return ioctl(2, UInt(TIOCGWINSZ), &ws) == 0 && ws.ws_col > 10 ? Int(ws.ws_col) : 80
    }
}

/// Turns a pull's events into progress lines: one for the image, one per layer
/// (`Waiting`, `Downloading [====>   ] 1.2MB/3.4MB`, `Verifying`, `Extracting`,
/// `Pull complete`, `Already exists`), as Docker shows them.
final class PullPrinter: @unchecked Sendable {
    let board: ProgressBoard
    let name: String
    private let lock = NSLock()
    private var lastQuarter: [Digest: Int] = [:]

    init(name: String, board: ProgressBoard) { self.name = name; self.board = board }

    func start() { board.set(name, plain: "\(name): pulling", tty: " ⠿ \(name) Pulling") }

    func event(_ e: ImageStore.PullEvent) {
        guard let layer = e.layer else {
            if case .done = e.kind { board.set(name, plain: "\(name): pulled", tty: " ✔ \(name) Pulled") }
            return
        }
        let key = name + "/" + layer.encoded, short = layer.encoded.prefix(12)
        func put(_ state: String, important: Bool = true) {
            board.set(key, plain: "\(name) \(short): \(state)", tty: "   \(short) \(state)", important: important)
        }
        switch e.kind {
        case .layerCached: put("Already exists")
        case .downloading(let got):
            if board.mode == .tty {
                put("Downloading " + Self.bar(got, e.size) + " " + Self.bytes(got) + "/" + Self.bytes(e.size), important: false)
            } else {
                // A line per quarter: enough to see that it moves.
                let pct = e.size > 0 ? Int(got * 100 / e.size) : 100
                let show = lock.withLock { () -> Bool in
                    let last = lastQuarter[layer] ?? -1
                    guard pct / 25 > last / 25 || last < 0 else { return false }
                    lastQuarter[layer] = pct
                    return true
                }
                if show { put("Downloading \(got)/\(e.size) bytes") }
            }
        case .downloaded: put("Verified, extracting")
        case .unpacked: put("Pull complete")
        default: break
        }
    }

    func failed() { board.set(name, plain: "\(name): error", tty: " ✘ \(name) Error") }

    static func bar(_ got: Int64, _ total: Int64, width: Int = 30) -> String {
        let filled = total > 0 ? Int(min(got, total) * Int64(width) / total) : width
        let arrow = filled > 0 && filled < width ? ">" : ""
        return "[" + String(repeating: "=", count: max(0, filled - arrow.count)) + arrow + String(repeating: " ", count: width - filled) + "]"
    }

    static func bytes(_ n: Int64) -> String { ImageListCommand.human(n) }
}
