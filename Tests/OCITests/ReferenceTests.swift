import Testing
@testable import OCI

/// Image references as Docker normalises them (distribution/reference `ParseNormalizedNamed`
/// + `TagNameOnly`; cases from its normalize_test.go and from the Compose corpus).
@Suite("Image references")
struct ReferenceTests {
    static let hex = String(repeating: "a1", count: 32)

    @Test(arguments: [
        ("kafka", "docker.io/library/kafka:latest", "kafka"),
        ("ubuntu:22.04", "docker.io/library/ubuntu:22.04", "ubuntu"),
        ("docker.io/ubuntu", "docker.io/library/ubuntu:latest", "ubuntu"),
        ("index.docker.io/ubuntu", "docker.io/library/ubuntu:latest", "ubuntu"),
        ("library/ubuntu", "docker.io/library/ubuntu:latest", "ubuntu"),
        ("wurstmeister/kafka:2.12-2.2.1", "docker.io/wurstmeister/kafka:2.12-2.2.1", "wurstmeister/kafka"),
        ("docker.elastic.co/elasticsearch/elasticsearch:7.6.0", "docker.elastic.co/elasticsearch/elasticsearch:7.6.0", "docker.elastic.co/elasticsearch/elasticsearch"),
        ("localhost:5000/x", "localhost:5000/x:latest", "localhost:5000/x"),
        ("localhost/x", "localhost/x:latest", "localhost/x"),
        ("127.0.0.1:5000/team/app:1.0", "127.0.0.1:5000/team/app:1.0", "127.0.0.1:5000/team/app"),
        ("[::1]:5000/x:y", "[::1]:5000/x:y", "[::1]:5000/x"),
        ("Foo/bar", "Foo/bar:latest", "Foo/bar"),  // an uppercase first part is a host
        ("a_b/c__d/e--f.g:T_1.x-y", "docker.io/a_b/c__d/e--f.g:T_1.x-y", "a_b/c__d/e--f.g"),
        ("ubuntu@sha256:\(hex)", "docker.io/library/ubuntu@sha256:\(hex)", "ubuntu"),
        ("host:5000/a/b:tag@sha256:\(hex)", "host:5000/a/b:tag@sha256:\(hex)", "host:5000/a/b"),
    ])
    func normalises(input: String, full: String, familiar: String) throws {
        let r = try Reference(parsing: input)
        #expect(r.description == full)
        #expect(r.familiarName == familiar)
    }

    @Test func digestPinsWithoutDefaultTag() throws {
        let r = try Reference(parsing: "ubuntu@sha256:\(Self.hex)")
        #expect(r.tag == nil)
        #expect(r.manifestReference == "sha256:\(Self.hex)")
        #expect(try Reference(parsing: "ubuntu:22.04").manifestReference == "22.04")
    }

    @Test(arguments: [
        ("", "at least one component"),
        ("Foo", "repository name (library/Foo) must be lowercase"),
        ("foo/Bar", "repository name (foo/Bar) must be lowercase"),
        ("x:", "invalid tag"),
        ("x:-y", "invalid tag"),
        ("x:" + String(repeating: "t", count: 129), "invalid tag"),
        ("x@sha256:abc", "want 64 lowercase hex digits"),
        ("x@sha256:" + String(repeating: "A", count: 64), "want 64 lowercase hex digits"),
        ("a//b", "invalid reference format"),
        ("-x", "invalid reference format"),
        ("x___y", "invalid reference format"),
        ("x.-y", "invalid reference format"),
        ("x/", "invalid reference format"),
        ("my host/x", "invalid reference format"),
        (String(repeating: "a", count: 256), "must not be more than 255 characters"),
    ])
    func refuses(input: String, message: String) {
        #expect {
            _ = try Reference(parsing: input)
        } throws: { error in
            "\(error)".contains(message)
        }
    }
}

@Suite("Digests and platforms")
struct DigestPlatformTests {
    @Test func digestRoundTrip() throws {
        let d = try Digest(parsing: "sha256:" + String(repeating: "0f", count: 32))
        #expect(d.algorithm == "sha256")
        #expect(d.description.count == 71)
        #expect(Digest.sha256(bytes: [UInt8](repeating: 0xab, count: 32)).encoded == String(repeating: "ab", count: 32))
        #expect(throws: OCIError.self) { try Digest(parsing: "sha256") }
        #expect(throws: OCIError.self) { try Digest(parsing: "SHA256:" + String(repeating: "0", count: 64)) }
    }

    @Test(arguments: [
        ("linux/amd64", "linux/amd64"), ("linux/x86_64", "linux/amd64"), ("linux/arm64/v8", "linux/arm64"),
        ("linux/aarch64", "linux/arm64"), ("arm64", "linux/arm64"), ("linux/arm", "linux/arm/v7"),
        ("linux/arm/v6", "linux/arm/v6"), ("LINUX/AMD64", "linux/amd64"),
    ])
    func platformParsing(input: String, normal: String) throws {
        #expect(try Platform(parsing: input).description == normal)
    }

    @Test func selectsHostManifestFromIndex() throws {
        func desc(_ p: Platform?, _ n: UInt8) -> Descriptor {
            Descriptor(mediaType: MediaType.ociManifest, digest: Digest.sha256(bytes: [UInt8](repeating: n, count: 32)), size: 1, platform: p)
        }
        let index = Index(manifests: [
            desc(Platform(os: "unknown", architecture: "unknown"), 1),
            desc(Platform(os: "linux", architecture: "arm", variant: "v6"), 2),
            desc(Platform(os: "linux", architecture: "arm", variant: "v7"), 3),
            desc(Platform(os: "linux", architecture: "arm64", variant: "v8"), 4),
            desc(Platform(os: "linux", architecture: "amd64"), 5),
        ])
        #expect(try Platform(parsing: "linux/amd64").select(from: index)?.digest == index.manifests[4].digest)
        #expect(try Platform(parsing: "linux/arm/v7").select(from: index)?.digest == index.manifests[2].digest)
        #expect(try Platform(parsing: "linux/arm64").select(from: index)?.digest == index.manifests[3].digest)
        #expect(try Platform(parsing: "linux/s390x").select(from: index) == nil)
    }
}
