// swift-tools-version:6.0
// The libFuzzer targets (issue 12). A package of its own, so the main build never pays for the sanitizer builds:
// scripts/fuzz.sh builds it with `-sanitize=fuzzer,address` and runs one target on its corpus in Corpus/TARGET/.
import PackageDescription

let package = Package(
    name: "FastChatFuzz",
    platforms: [.macOS(.v14)],
    dependencies: [
        // Named, so the products resolve whatever the clone's folder is called.
        .package(name: "FastChat", path: ".."),
        .package(url: "https://github.com/apple/swift-nio", from: "2.81.0"),
        .package(url: "https://github.com/apple/swift-protobuf", from: "1.28.0"),
        .package(url: "https://github.com/apple/swift-log", from: "1.6.0"),
    ],
    targets: [
        .target(
            name: "FuzzSupport",
            dependencies: [
                .product(name: "FastChatProtocol", package: "FastChat"),
                .product(name: "SwiftProtobuf", package: "swift-protobuf"),
            ]
        ),
        .executableTarget(
            name: "FuzzFrameDecoder",
            dependencies: [
                "FuzzSupport",
                .product(name: "FastChatProtocol", package: "FastChat"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOEmbedded", package: "swift-nio"),
            ]
        ),
        .executableTarget(
            name: "FuzzNode",
            dependencies: [
                "FuzzSupport",
                .product(name: "FastChatServer", package: "FastChat"),
                .product(name: "FastChatClient", package: "FastChat"),
                .product(name: "FastChatStore", package: "FastChat"),
                .product(name: "FastChatProtocol", package: "FastChat"),
                .product(name: "FastChatCrypto", package: "FastChat"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        .executableTarget(
            name: "FuzzClientPushes",
            dependencies: [
                "FuzzSupport",
                .product(name: "FastChatClient", package: "FastChat"),
                .product(name: "FastChatProtocol", package: "FastChat"),
                .product(name: "FastChatCrypto", package: "FastChat"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
    ],
    // The harnesses bridge libFuzzer's synchronous callback to async code; Swift 5 mode keeps that glue short.
    swiftLanguageModes: [.v5]
)
