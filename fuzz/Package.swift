// swift-tools-version:6.2
import PackageDescription

// libFuzzer targets for Doorstep's parsers (README.md here). Not part of the main package:
// each target's entry point is LLVMFuzzerTestOneInput and libFuzzer supplies main(), which
// would clash with `swift build --build-tests` there. Build only with scripts/fuzz.sh, which
// passes -sanitize=fuzzer,address and -enable-testing (for @testable access to internal
// decoders) to every module, so the product code is instrumented too.
let fuzzer: [SwiftSetting] = [.unsafeFlags(["-parse-as-library"])]

let package = Package(
    name: "doorstep-fuzz",
    dependencies: [
        .package(name: "doorstep", path: ".."),
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.101.2"),
    ],
    targets: [
        // A request line (arbitrary bytes as the line) through Lexer.parse.
        .executableTarget(name: "FuzzLexer", dependencies: [.product(name: "DoorstepProtocol", package: "doorstep")],
                          swiftSettings: fuzzer),
        // A byte stream, cut into reads, through FrameDecoder on an EmbeddedChannel.
        .executableTarget(name: "FuzzFrame", dependencies: [
            .product(name: "DoorstepCore", package: "doorstep"),
            .product(name: "DoorstepProtocol", package: "doorstep"),
            .product(name: "NIOCore", package: "swift-nio"),
            .product(name: "NIOEmbedded", package: "swift-nio"),
        ], swiftSettings: fuzzer),
        // A CSV body through CSV.parse and the roster importer.
        .executableTarget(name: "FuzzCSV", dependencies: [
            .product(name: "PluginSupport", package: "doorstep"),
            .product(name: "RosterPlugin", package: "doorstep"),
        ], swiftSettings: fuzzer),
        // A config file through ConfigLoader.parse (TOMLReader and the section checks).
        .executableTarget(name: "FuzzConfig", dependencies: [.product(name: "DoorstepCore", package: "doorstep")],
                          swiftSettings: fuzzer),
        // Journal segment bytes through JournalRecord.parse and JournalScanner.
        .executableTarget(name: "FuzzJournal", dependencies: [
            .product(name: "DoorstepCore", package: "doorstep"),
            .product(name: "PluginAPI", package: "doorstep"),
        ], swiftSettings: fuzzer),
    ]
)
