// swift-tools-version:6.2
import PackageDescription

/// Settings every target shares: strict Swift 6 with explicit existentials.
let strict: [SwiftSetting] = [
    .enableUpcomingFeature("ExistentialAny"),
    .enableUpcomingFeature("MemberImportVisibility"),
    .enableUpcomingFeature("InternalImportsByDefault"),
]

let package = Package(
    name: "doorstep",
    // Linux only (Debian 12): the daemon links libsystemd and Glibc; SwiftPM names no Linux
    // platform, so no Apple platform is claimed either.
    products: [
        .executable(name: "doorstepd", targets: ["doorstepd"]),
        .executable(name: "doorstepctl", targets: ["doorstepctl"]),
        // Ships one community's committed events into the district's PostgreSQL (docs/district.md).
        .executable(name: "doorstep-ship", targets: ["doorstep-ship"]),
        .library(name: "PluginAPI", targets: ["PluginAPI"]),
        // For the fuzz targets of fuzz/ (fuzz/Package.swift depends on this package by path).
        .library(name: "DoorstepProtocol", targets: ["DoorstepProtocol"]),
        .library(name: "PluginSupport", targets: ["PluginSupport"]),
        .library(name: "DoorstepCore", targets: ["DoorstepCore"]),
        .library(name: "RosterPlugin", targets: ["RosterPlugin"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.101.2"),
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.16.2"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle.git", from: "2.13.0"),
        // The `metrics` command and textfile: Prometheus exposition format.
        .package(url: "https://github.com/swift-server/swift-prometheus.git", from: "2.4.1"),
        // Runs hooks (plugins/hooks): argv without a shell, pipes, signals, uid/gid.
        .package(url: "https://github.com/swiftlang/swift-subprocess.git", from: "1.0.2"),
        .package(url: "https://github.com/apple/swift-system.git", from: "1.8.1"),
        // doorstep-ship: the district's PostgreSQL (docs/district.md).
        .package(url: "https://github.com/vapor/postgres-nio.git", from: "1.33.2"),
        .package(url: "https://github.com/apple/swift-nio-ssl.git", from: "2.37.6"),
    ],
    targets: [
        // libsystemd (Debian: libsystemd-dev): sd_notify, sd_listen_fds, sd_journal_sendv.
        // The CRC-32C instruction (SSE4.2) for journal and snapshot checksums, chosen at run time.
        .target(name: "CCRC32C", path: "Sources/CCRC32C"),
        .systemLibrary(
            name: "CSystemd",
            path: "Sources/CSystemd",
            pkgConfig: "libsystemd",
            providers: [.apt(["libsystemd-dev"])]
        ),
        // libedit (Debian: libedit-dev), the BSD line editor: doorstepctl's interactive session
        // (prompt, editing, history, Tab completion).
        .systemLibrary(
            name: "CEditLine",
            path: "Sources/CEditLine",
            pkgConfig: "libedit",
            providers: [.apt(["libedit-dev"])]
        ),
        // What a reply carries: Reply, JSON, ControlError and CJK-aligned text tables. No
        // Foundation; the vocabulary plugins and the wire protocol share.
        .target(name: "DoorstepValues", swiftSettings: strict),
        // The wire protocol: lexer, framing, reply encoding. No Foundation, no NIO, so the thin
        // client can link it. Re-exports DoorstepValues.
        .target(name: "DoorstepProtocol", dependencies: ["DoorstepValues"], swiftSettings: strict),
        // Helpers plugins may import: value parsing, CSV, the payload decoder, snapshot coding,
        // the read-write lock of immediate reads.
        .target(name: "PluginSupport", dependencies: ["DoorstepValues"], swiftSettings: strict),
        // The plugin contract (docs/plugins.md): plugin protocol, context, commands, events,
        // state, config, errors, roles. Re-exports DoorstepValues and Logging, nothing else.
        .target(
            name: "PluginAPI",
            dependencies: [
                "DoorstepValues",
                "DoorstepProtocol",
                "PluginSupport",
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: strict
        ),
        // Services one plugin offers others, each in a small interface target of its own.
        .target(name: "RosterInterface", path: "Sources/RosterInterface", swiftSettings: strict),
        .target(name: "VisitsInterface", dependencies: ["DoorstepValues"], swiftSettings: strict),
        // The daemon's internals: config, access control, control server, systemd, plugin host.
        .target(
            name: "DoorstepCore",
            dependencies: [
                "PluginAPI",
                "PluginSupport",
                "DoorstepProtocol",
                "CSystemd",
                "CCRC32C",
                "ShipCore",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Prometheus", package: "swift-prometheus"),
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
                "HooksPlugin",
                "ReadingPromotionPlugin",
                "EmergenciesPlugin",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            swiftSettings: strict
        ),
        // The load generator and report of bench/: a real protocol client (poll(2), pipelined, many connections).
        .executableTarget(name: "doorstep-bench", dependencies: [
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
        ], swiftSettings: strict),
        // What doorstep-ship decides without I/O: the event stream's lines, what may leave the
        // community (the privacy filter), batches and their cursor, the database URL, backoff.
        .target(name: "ShipCore", dependencies: ["DoorstepValues", "PluginAPI"], swiftSettings: strict),
        // The shipper: the daemon's socket (NIO) → PostgreSQL (postgres-nio), configured by [ship].
        .executableTarget(name: "doorstep-ship", dependencies: [
            "ShipCore",
            "DoorstepCore",
            "DoorstepValues",
            "DoorstepProtocol",
            "PluginSupport",
            .product(name: "PostgresNIO", package: "postgres-nio"),
            .product(name: "NIOSSL", package: "swift-nio-ssl"),
            .product(name: "NIOCore", package: "swift-nio"),
            .product(name: "NIOPosix", package: "swift-nio"),
            .product(name: "Logging", package: "swift-log"),
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
        ], swiftSettings: strict),
        // The thin client: Glibc sockets and libedit, no Foundation.
        .executableTarget(name: "doorstepctl", dependencies: ["DoorstepProtocol", "CEditLine"], swiftSettings: strict),

        // Plugins: one target each under plugins/NAME, depending only on the contract (PluginAPI),
        // the helpers (PluginSupport) and the interface targets they offer or consume.
        .target(name: "ProbePlugin", dependencies: ["PluginAPI", "PluginSupport"], path: "plugins/probe",
                exclude: ["README.md", "Tests"], swiftSettings: strict),
        .target(name: "RosterPlugin", dependencies: ["PluginAPI", "PluginSupport", "RosterInterface", "VisitsInterface"], path: "plugins/roster",
                exclude: ["README.md", "Tests"], swiftSettings: strict),
        .target(name: "VisitsPlugin", dependencies: ["PluginAPI", "PluginSupport", "RosterInterface", "VisitsInterface"], path: "plugins/visits",
                exclude: ["README.md", "Tests"], swiftSettings: strict),
        .target(name: "SuppliesPlugin", dependencies: ["PluginAPI", "PluginSupport", "RosterInterface", "VisitsInterface"], path: "plugins/supplies",
                exclude: ["README.md", "Tests"], swiftSettings: strict),
        // The hooks service: [[hooks]] commands run when events are committed (a plugin on the
        // same contract, plus swift-subprocess at its edge).
        .target(name: "HooksPlugin", dependencies: ["PluginAPI", "PluginSupport", "HooksInterface",
                                                     .product(name: "Subprocess", package: "swift-subprocess"),
                                                     .product(name: "SystemPackage", package: "swift-system")],
                path: "plugins/hooks", exclude: ["README.md", "Tests", "hooks.sample.toml", "Interface"], swiftSettings: strict),
        // What became of hook runs (HookRuns), for plugins that show it (emergencies' timeline).
        .target(name: "HooksInterface", path: "plugins/hooks/Interface", swiftSettings: strict),
        // The call at 4 a.m.: intake, checklists, gates and key holders, on-call, escalation,
        // timeline, figures, plans.
        .target(name: "EmergenciesPlugin", dependencies: ["PluginAPI", "PluginSupport", "RosterInterface", "HooksInterface"],
                path: "plugins/emergencies", exclude: ["README.md", "Tests", "emergencies.sample.toml"], swiftSettings: strict),

        // Reading promotion (plugins/reading-promotion): posts to channels on a schedule, the copy-ready
        // queue, online events, invitations, figures; commands reading.*.
        .target(name: "ReadingPromotionPlugin", dependencies: ["PluginAPI", "PluginSupport"], path: "plugins/reading-promotion",
                exclude: ["README.md", "Tests", "reading-promotion.sample.toml"], swiftSettings: strict),

        // Runs plugins in process (temporary journal, manual clock) for the plugins' own tests.
        .target(name: "PluginTesting", dependencies: ["DoorstepCore", "PluginAPI", "PluginSupport"], swiftSettings: strict),
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
        .testTarget(name: "EmergenciesPluginTests",
                    dependencies: ["EmergenciesPlugin", "RosterPlugin", "HooksPlugin", "PluginTesting", "PluginAPI", "PluginSupport",
                                   "DoorstepProtocol"],
                    path: "plugins/emergencies/Tests", swiftSettings: strict),
        .testTarget(name: "HooksPluginTests", dependencies: ["HooksPlugin", "ProbePlugin", "PluginTesting", "PluginAPI", "PluginSupport"],
                    path: "plugins/hooks/Tests", swiftSettings: strict),
        .testTarget(name: "ReadingPromotionPluginTests",
                    dependencies: ["ReadingPromotionPlugin", "HooksPlugin", "PluginTesting", "PluginAPI", "PluginSupport"],
                    path: "plugins/reading-promotion/Tests", swiftSettings: strict),
        .testTarget(name: "ShipCoreTests", dependencies: ["ShipCore", "DoorstepValues"], swiftSettings: strict),
        .testTarget(name: "DoorstepProtocolTests", dependencies: ["DoorstepProtocol", "DoorstepValues"], swiftSettings: strict),
        .testTarget(name: "PluginAPITests", dependencies: ["PluginAPI", "PluginSupport"], swiftSettings: strict),
        .testTarget(
            name: "DoorstepCoreTests",
            dependencies: ["DoorstepCore", "PluginAPI", "PluginSupport", "PluginTesting", "DoorstepProtocol", "ProbePlugin",
                           "RosterPlugin",
                           .product(name: "NIOCore", package: "swift-nio"),
                           .product(name: "NIOPosix", package: "swift-nio"),
                           .product(name: "NIOEmbedded", package: "swift-nio")],
            swiftSettings: strict
        ),
        .testTarget(name: "IntegrationTests", dependencies: ["DoorstepProtocol", "PluginTesting"], exclude: ["Fixtures"], swiftSettings: strict),
    ]
)
