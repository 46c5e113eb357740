#if canImport(Glibc)
import Glibc
#endif

/// An OCI platform (`os`/`architecture`/`variant`), spelt as Go's GOOS/GOARCH as images do.
public struct Platform: Codable, Sendable, Hashable, CustomStringConvertible {
    public var os: String
    public var architecture: String
    public var variant: String?
    public var osVersion: String?
    public var osFeatures: [String]?

    enum CodingKeys: String, CodingKey {
        case os, architecture, variant
        case osVersion = "os.version"
        case osFeatures = "os.features"
    }

    public init(os: String, architecture: String, variant: String? = nil) {
        self.os = os
        self.architecture = architecture
        self.variant = variant
    }

    /// `linux/amd64`, `linux/arm64/v8`, `arm64` (os linux): as `--platform` and `platform:`
    /// take it. Architecture aliases are normalised (`x86_64` → amd64, `aarch64` → arm64).
    public init(parsing text: String) throws {
        let parts = text.lowercased().split(separator: "/", omittingEmptySubsequences: false).map(String.init)
        guard (1...3).contains(parts.count), !parts.contains(where: \.isEmpty) else {
            throw OCIError("invalid platform \"\(text)\": want os/arch[/variant]")
        }
        if parts.count == 1 {
            self = Platform.normalized(os: "linux", architecture: parts[0], variant: nil)
        } else {
            self = Platform.normalized(os: parts[0], architecture: parts[1], variant: parts.count == 3 ? parts[2] : nil)
        }
    }

    public var description: String {
        [os, architecture, variant].compactMap { $0 }.filter { !$0.isEmpty }.joined(separator: "/")
    }

    /// containerd's normalisation: aliases to Go names, arm64's default variant v8 dropped.
    public static func normalized(os: String, architecture: String, variant: String?) -> Platform {
        var arch = architecture.lowercased(), v = variant?.lowercased()
        switch arch {
        case "x86_64", "x86-64", "amd64": arch = "amd64"; if v == "v1" { v = nil }
        case "aarch64", "arm64": arch = "arm64"; if v == "v8" { v = nil }
        case "armhf", "armel", "arm": if arch == "armhf" { v = "v7" } else if arch == "armel" { v = "v6" }; arch = "arm"; if v == nil { v = "v7" }
        case "i386", "i686", "386": arch = "386"
        default: break
        }
        return Platform(os: os.lowercased(), architecture: arch, variant: v?.isEmpty == true ? nil : v)
    }

    /// The machine this process runs on.
    public static var host: Platform {
        var u = utsname()
        uname(&u)
        let machine = withUnsafeBytes(of: &u.machine) { raw in
            String(decoding: raw.prefix { $0 != 0 }, as: UTF8.self)
        }
        switch machine {
        case "armv7l": return Platform(os: "linux", architecture: "arm", variant: "v7")
        case "armv6l": return Platform(os: "linux", architecture: "arm", variant: "v6")
        case "ppc64le", "s390x", "riscv64", "mips64", "loong64": return Platform(os: "linux", architecture: machine)
        default: return normalized(os: "linux", architecture: machine, variant: nil)
        }
    }

    /// Whether an index entry's platform can run here as `self` asks (containerd's matcher):
    /// os and architecture equal after normalisation, and the variant equal when both say one.
    public func matches(_ other: Platform) -> Bool {
        let a = Platform.normalized(os: os, architecture: architecture, variant: variant)
        let b = Platform.normalized(os: other.os, architecture: other.architecture, variant: other.variant)
        guard a.os == b.os, a.architecture == b.architecture else { return false }
        if let va = a.variant, let vb = b.variant { return va == vb }
        return true
    }

    /// The manifest of `index` for this platform: an exact variant match first, then one
    /// without a variant. Attestation manifests (`unknown/unknown`) never match.
    public func select(from index: Index) -> Descriptor? {
        let candidates = index.manifests.filter { d in
            guard let p = d.platform else { return false }
            return matches(p)
        }
        let me = Platform.normalized(os: os, architecture: architecture, variant: variant)
        return candidates.first { d in
            d.platform.map { Platform.normalized(os: $0.os, architecture: $0.architecture, variant: $0.variant).variant == me.variant } ?? false
        } ?? candidates.first
    }
}
