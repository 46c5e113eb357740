// swift-tools-version: 6.0
import PackageDescription

// Exact versions only: the local package mirror has its own commit ids, so
// Package.resolved is not committed (see .gitignore) and CI resolves afresh.
let package = Package(
    name: "swcompose",
    platforms: [.macOS(.v13)],
    products: [
        .executable(name: "swcompose", targets: ["swcompose"]),
    ],
    dependencies: [
        .package(url: "https://github.com/jpsim/Yams", exact: "6.2.2"),
        .package(url: "https://github.com/apple/swift-argument-parser", exact: "1.8.2"),
    ],
    targets: [
        .target(name: "ComposeModel"),
        .target(name: "CLinux"),
        // libarchive and OpenSSL are loaded with dlopen on first use (headers from
        // libarchive-dev and libssl-dev at build time; libarchive13 and libssl3 at run time).
        .target(name: "CArchive", linkerSettings: [.linkedLibrary("dl")]),
        .target(name: "CCrypto", linkerSettings: [.linkedLibrary("dl")]),
        .target(name: "OCI"),
        .target(name: "ImageStore", dependencies: ["OCI", "CLinux", "CArchive", "CCrypto"]),
        .target(name: "Cgroups", dependencies: ["CLinux"]),
        .target(name: "ComposeLoader", dependencies: [
            "ComposeModel",
            .product(name: "Yams", package: "Yams"),
        ]),
        .executableTarget(name: "swcompose", dependencies: [
            "ComposeModel", "ComposeLoader", "OCI", "ImageStore",
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
        ]),
        .testTarget(name: "ComposeModelTests", dependencies: ["ComposeModel"]),
        .testTarget(name: "CgroupsTests", dependencies: ["Cgroups"]),
        .testTarget(name: "ComposeLoaderTests", dependencies: ["ComposeLoader", "ComposeModel"]),
        .testTarget(name: "EndToEndTests", dependencies: ["ComposeModel", "ComposeLoader"]),
        .testTarget(name: "OCITests", dependencies: ["OCI"]),
        .testTarget(name: "ImageStoreTests", dependencies: ["ImageStore", "OCI", "CLinux"]),
    ],
    swiftLanguageModes: [.v6]
)
