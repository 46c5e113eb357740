/// Values spelled the way Docker Compose's Go types parse and print them.
enum GoValues {
    struct Invalid: Error { var message: String }

    // MARK: Durations (Go `time.ParseDuration` / `Duration.String`)

    static let units: [(String, Double)] = [
        ("ns", 1), ("us", 1e3), ("µs", 1e3), ("μs", 1e3), ("ms", 1e6), ("s", 1e9), ("m", 60e9), ("h", 3600e9),
    ]

    static func parseDuration(_ text: String) throws -> Int64 {
        var s = Substring(text)
        var negative = false
        if s.first == "-" || s.first == "+" { negative = s.first == "-"; s = s.dropFirst() }
        if s == "0" { return 0 }
        guard !s.isEmpty else { throw Invalid(message: "time: invalid duration \"\(text)\"") }
        var total = 0.0
        while !s.isEmpty {
            let number = s.prefix { $0.isASCII && ($0.isNumber || $0 == ".") }
            guard !number.isEmpty, number != ".", let value = Double(number.hasPrefix(".") ? "0" + number : String(number)) else {
                throw Invalid(message: "time: invalid duration \"\(text)\"")
            }
            s = s.dropFirst(number.count)
            let unit = s.prefix { !($0.isASCII && ($0.isNumber || $0 == ".")) }
            guard let scale = units.first(where: { $0.0 == unit })?.1 else {
                throw Invalid(message: unit.isEmpty ? "time: missing unit in duration \"\(text)\"" : "time: unknown unit \"\(unit)\" in duration \"\(text)\"")
            }
            s = s.dropFirst(unit.count)
            total += value * scale
        }
        let ns = Int64(total.rounded())
        return negative ? -ns : ns
    }

    static func formatDuration(_ d: Int64) -> String {
        if d == 0 { return "0s" }
        let negative = d < 0
        var u = d.magnitude
        var out: String
        if u < 1_000_000_000 {
            if u < 1000 { out = "\(u)ns" }
            else if u < 1_000_000 { out = fraction(u, 3) + "µs" }
            else { out = fraction(u, 6) + "ms" }
        } else {
            let secs = fraction(u, 9)
            u /= 1_000_000_000
            let wholeSecs = u % 60
            let fracPart = secs.firstIndex(of: ".").map { String(secs[$0...]) } ?? ""
            out = "\(wholeSecs)\(fracPart)s"
            u /= 60
            if u > 0 {
                out = "\(u % 60)m" + out
                u /= 60
                if u > 0 { out = "\(u)h" + out }
            }
        }
        return negative ? "-" + out : out
    }

    /// `v / 10^prec` with the remainder as a decimal fraction without trailing zeros.
    private static func fraction(_ v: UInt64, _ prec: Int) -> String {
        var p: UInt64 = 1
        for _ in 0..<prec { p *= 10 }
        let whole = v / p, rest = v % p
        guard rest != 0 else { return "\(whole)" }
        var digits = String(rest)
        digits = String(repeating: "0", count: prec - digits.count) + digits
        while digits.hasSuffix("0") { digits.removeLast() }
        return "\(whole).\(digits)"
    }

    // MARK: Byte sizes (go-units `RAMInBytes`)

    static func parseBytes(_ text: String) throws -> Int64 {
        let s = Substring(text)
        let number = s.prefix { $0.isASCII && ($0.isNumber || $0 == ".") }
        var rest = s.dropFirst(number.count)
        if rest.first == " " { rest = rest.dropFirst() }
        var scale: Double = 1
        if let c = rest.first, let i = Array("kmgtp").firstIndex(of: Character(c.lowercased())) {
            scale = Double(1 << (10 * (i + 1)))
            rest = rest.dropFirst()
        }
        if rest.first == "i" || rest.first == "I" { rest = rest.dropFirst() }
        if rest.first == "b" || rest.first == "B" { rest = rest.dropFirst() }
        guard rest.isEmpty, !number.isEmpty, number.first != ".", let value = Double(number) else {
            throw Invalid(message: "invalid size: '\(text)'")
        }
        return Int64(value * scale)
    }

    // MARK: Shell words (go-shellwords `Parse`, as compose-go splits a string command)

    static func shellSplit(_ line: String) -> [String] {
        var args: [String] = []
        var buf = ""
        var escaped = false, single = false, double = false, got = false
        loop: for c in line {
            if escaped { buf.append(c); escaped = false; got = true; continue }
            if c == "\\" {
                if single { buf.append(c) } else { escaped = true }
                continue
            }
            if c == " " || c == "\t" || c == "\n" || c == "\r" {
                if single || double { buf.append(c) } else if got { args.append(buf); buf = ""; got = false }
                continue
            }
            switch c {
            case "'":
                if !double { single.toggle(); got = true; continue }
            case "\"":
                if !single { double.toggle(); got = true; continue }
            case ";", "&", "|", "<", ">":
                if !(single || double) { break loop }
            default: break
            }
            got = true
            buf.append(c)
        }
        if got { args.append(buf) }
        return args
    }
}
