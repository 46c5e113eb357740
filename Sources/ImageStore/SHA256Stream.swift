import CCrypto
import Foundation
import OCI

/// Incremental SHA-256 over OpenSSL's libcrypto (which uses the CPU's SHA instructions: the
/// store hashes every byte it downloads and every byte it unpacks, so this is on the pull's
/// critical path). swift-crypto would bring the same code as a 45-second build of BoringSSL.
public final class SHA256Stream {
    private let ctx: OpaquePointer
    public private(set) var count: Int64 = 0

    /// Why libcrypto cannot be used, or nil when it is loaded.
    static let loadError: String? = {
        var buf = [CChar](repeating: 0, count: 512)
        return sw_crypto_load(&buf, buf.count) == 0 ? nil : String(cString: buf)
    }()

    public init() throws {
        if let e = Self.loadError { throw ImageStoreError(e) }
        guard let c = sw_EVP_MD_CTX_new() else { throw ImageStoreError("libcrypto: out of memory") }
        ctx = c
        sw_EVP_DigestInit_ex(ctx, sw_EVP_sha256(), nil)
    }

    deinit { sw_EVP_MD_CTX_free(ctx) }

    public func update(_ bytes: UnsafeRawBufferPointer) {
        guard let base = bytes.baseAddress, bytes.count > 0 else { return }
        sw_EVP_DigestUpdate(ctx, base, bytes.count)
        count += Int64(bytes.count)
    }

    public func update(_ data: Data) {
        data.withUnsafeBytes { update($0) }
    }

    /// The digest of everything so far; the stream is finished after this.
    public func finish() -> Digest {
        var out = [UInt8](repeating: 0, count: 32)
        var len: UInt32 = 0
        sw_EVP_DigestFinal_ex(ctx, &out, &len)
        return Digest.sha256(bytes: out)
    }

    public static func digest(of data: Data) throws -> Digest {
        let h = try SHA256Stream()
        h.update(data)
        return h.finish()
    }
}
