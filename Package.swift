// swift-tools-version:6.2
import PackageDescription

/// Settings every target shares: strict Swift 6 with explicit existentials.
let strict: [SwiftSetting] = [
    .enableUpcomingFeature("ExistentialAny"),
]

let package = Package(
    name: "doorstep",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "doorstepd", targets: ["doorstepd"]),
        .executable(name: "doorstepctl", targets: ["doorstepctl"]),
        .library(name: "PluginAPI", targets: ["PluginAPI"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.101.2"),
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.16.2"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle.git", from: "2.13.0"),
        .package(url: "https://github.com/LebJe/TOMLKit.git", from: "0.6.0"),
    ],
    targets: [
        // libsystemd (Debian: libsystemd-dev): sd_notify, sd_listen_fds, sd_journal_sendv.
        .systemLibrary(
            name: "CSystemd",
            path: "Sources/CSystemd",
            pkgConfig: "libsystemd",
            providers: [.apt(["libsystemd-dev"])]
        ),
        // The wire protocol: lexer, reply codes, JSON and text rendering. No Foundation, no NIO,
        // so the thin client can link it.
        .target(name: "DoorstepProtocol", swiftSettings: strict),
        // The only library a plugin may import.
        .target(
            name: "PluginAPI",
            dependencies: [
                "DoorstepProtocol",
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: strict
        ),
        // The daemon's internals: config, access control, control server, systemd, plugin host.
        .target(
            name: "DoorstepCore",
            dependencies: [
                "PluginAPI",
                "DoorstepProtocol",
                "CSystemd",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "TOMLKit", package: "TOMLKit"),
            ],
            swiftSettings: strict
        ),
        .executableTarget(
            name: "doorstepd",
            dependencies: [
                "DoorstepCore",
                "PluginAPI",
                "ProbePlugin",
                "RosterPlugin",
                "VisitsPlugin",
                "SuppliesPlugin",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            swiftSettings: strict
        ),
        // The load generator and report of bench/: a real protocol client (poll(2), pipelined, many connections).
        .executableTarget(name: "doorstep-bench", dependencies: [
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
        ], swiftSettings: strict),
        // The thin client: Glibc sockets only, no Foundation.
        .executableTarget(name: "doorstepctl", dependencies: ["DoorstepProtocol"], swiftSettings: strict),

        // Plugins: one target each under plugins/NAME, depending only on PluginAPI.
        .target(name: "ProbePlugin", dependencies: ["PluginAPI"], path: "plugins/probe",
                exclude: ["README.md", "Tests"], swiftSettings: strict),
        .target(name: "RosterPlugin", dependencies: ["PluginAPI"], path: "plugins/roster",
                exclude: ["README.md", "Tests"], swiftSettings: strict),
        .target(name: "VisitsPlugin", dependencies: ["PluginAPI"], path: "plugins/visits",
                exclude: ["README.md", "Tests"], swiftSettings: strict),
        .target(name: "SuppliesPlugin", dependencies: ["PluginAPI"], path: "plugins/supplies",
                exclude: ["README.md", "Tests"], swiftSettings: strict),

        // Runs plugins in process (temporary journal, manual clock) for the plugins' own tests.
        .target(name: "PluginTesting", dependencies: ["DoorstepCore", "PluginAPI"], swiftSettings: strict),
        // Each plugin's own in-process tests, next to its code.
        .testTarget(name: "ProbePluginTests", dependencies: ["ProbePlugin", "PluginTesting", "PluginAPI"],
                    path: "plugins/probe/Tests", swiftSettings: strict),
        .testTarget(name: "RosterPluginTests", dependencies: ["RosterPlugin", "PluginTesting", "PluginAPI"],
                    path: "plugins/roster/Tests", swiftSettings: strict),
        .testTarget(name: "VisitsPluginTests", dependencies: ["VisitsPlugin", "RosterPlugin", "PluginTesting", "PluginAPI"],
                    path: "plugins/visits/Tests", swiftSettings: strict),
        .testTarget(name: "SuppliesPluginTests",
                    dependencies: ["SuppliesPlugin", "VisitsPlugin", "RosterPlugin", "PluginTesting", "PluginAPI"],
                    path: "plugins/supplies/Tests", swiftSettings: strict),
        .testTarget(name: "DoorstepProtocolTests", dependencies: ["DoorstepProtocol"], swiftSettings: strict),
        .testTarget(name: "PluginAPITests", dependencies: ["PluginAPI"], swiftSettings: strict),
        .testTarget(
            name: "DoorstepCoreTests",
            dependencies: ["DoorstepCore", "PluginAPI", "DoorstepProtocol", "ProbePlugin", "RosterPlugin",
                           .product(name: "NIOCore", package: "swift-nio"),
                           .product(name: "NIOEmbedded", package: "swift-nio")],
            swiftSettings: strict
        ),
        .testTarget(name: "IntegrationTests", dependencies: ["DoorstepProtocol"], swiftSettings: strict),
    ]
)
