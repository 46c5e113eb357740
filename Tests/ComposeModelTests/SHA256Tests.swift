import ComposeModel
import Testing

@Suite("SHA-256 and the config hash")
struct SHA256Tests {
    static func hex(_ bytes: [UInt8]) -> String {
        bytes.map { ($0 < 16 ? "0" : "") + String($0, radix: 16) }.joined()
    }

    @Test("FIPS 180-4 test vectors", arguments: [
        ("", "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"),
        ("abc", "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"),
        ("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq",
         "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1"),
        ("abcdefghbcdefghicdefghijdefghijkefghijklfghijklmghijklmnhijklmnoijklmnopjklmnopqklmnopqrlmnopqrsmnopqrstnopqrstu",
         "cf5b16a778af8380036ce59e7b0492370b249b11e8f07a51afac45037afee9d1"),
    ])
    func vectors(message: String, digest: String) {
        #expect(SHA256.hex(message) == digest)
    }

    @Test("a million 'a', fed in uneven pieces")
    func millionA() {
        var h = SHA256()
        let chunk = [UInt8](repeating: UInt8(ascii: "a"), count: 999)
        var left = 1_000_000
        while left > 0 {
            let n = min(left, chunk.count)
            h.update(chunk[0..<n])
            left -= n
        }
        #expect(Self.hex(h.finalize()) == "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0")
    }

    @Test("lengths around the 55/56/64-byte padding edges agree with one-shot hashing")
    func paddingEdges() {
        for n in [54, 55, 56, 57, 63, 64, 65, 119, 120, 128] {
            let text = String(repeating: "x", count: n)
            var h = SHA256()
            for b in text.utf8 { h.update([b]) }
            #expect(Self.hex(h.finalize()) == SHA256.hex(text), "length \(n)")
        }
        // Two values from Python's hashlib.
        #expect(SHA256.hex(String(repeating: "x", count: 55)) == "d5e285683cd4efc02d021a5c62014694958901005d6f71e89e0989fac77e4072")
        #expect(SHA256.hex(String(repeating: "x", count: 64)) == "7ce100971f64e7001e8fe5a51973ecdfe1ced42befe7ee8d5fd6219506b5393c")
    }

    @Test("the hash clears what ServiceHash clears and keeps the object's key order")
    func marshal() {
        var deploy = ComposeObject()
        deploy["mode"] = .string("replicated")
        deploy["replicas"] = .int(3)
        var svc = ComposeObject()
        for k in ["profiles", "build", "command"] { svc[k] = k == "command" ? .null : .array([.string("x")]) }
        svc["depends_on"] = .object(ComposeObject([("db", .object(ComposeObject()))]))
        svc["deploy"] = .object(deploy)
        svc["entrypoint"] = .null
        svc["image"] = .string("a<b>&c")
        svc["pull_policy"] = .string("always")
        svc["scale"] = .int(2)
        #expect(ConfigHash.marshal(service: .object(svc))
            == #"{"command":null,"deploy":{"mode":"replicated"},"entrypoint":null,"image":"a\u003cb\u003e\u0026c"}"#)
    }

    @Test("an image-only service hashes as Docker Compose 2.40.3 hashes it")
    func imageOnly() {
        var svc = ComposeObject()
        svc["command"] = .null
        svc["entrypoint"] = .null
        svc["image"] = .string("alpine")
        svc["networks"] = .object(ComposeObject([("default", .null)]))
        #expect(ConfigHash.of(service: .object(svc)) == "1401a92039735b8870d9d445faadb5d72e9aa67ac7e0da35dfd665f96546bc41")
    }
}
