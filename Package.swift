// swift-tools-version: 6.1
import PackageDescription

/// One set of settings for every target: Swift 6 language mode, strict concurrency,
/// explicit existentials and explicit imports.
let swiftSettings: [SwiftSetting] = [
    .swiftLanguageMode(.v6),
    .enableUpcomingFeature("ExistentialAny"),
    .enableUpcomingFeature("MemberImportVisibility"),
    .enableUpcomingFeature("InternalImportsByDefault"),
]

let package = Package(
    name: "sweep",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "sweep", targets: ["sweep"]),
        .library(name: "SweepCore", targets: ["SweepCore"]),
        .library(name: "SweepStore", targets: ["SweepStore"]),
        .library(name: "SweepWire", targets: ["SweepWire"]),
        .library(name: "SweepPrediction", targets: ["SweepPrediction"]),
    ],
    dependencies: [
        .package(url: "https://github.com/jpsim/Yams.git", from: "6.2.2"),
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.8.2"),
        .package(url: "https://github.com/vapor/postgres-nio.git", from: "1.33.2"),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.16.2"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle.git", from: "2.13.0"),
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.101.2"),
    ],
    targets: [
        .target(
            name: "SweepCore",
            dependencies: [.product(name: "Yams", package: "Yams")],
            swiftSettings: swiftSettings
        ),
        // Learning-curve extrapolation, early-stopping policies and scaling-law fits:
        // pure numerical code, no I/O, the same online (coordinator) and offline (replay).
        .target(
            name: "SweepPrediction",
            swiftSettings: swiftSettings
        ),
        .target(
            name: "SweepStore",
            dependencies: [
                "SweepCore",
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: swiftSettings
        ),
        // libzmq from Debian's libzmq3-dev. Not through pkg-config: its .pc file carries an
        // -isystem flag SwiftPM warns about; zmq.h is in /usr/include and the module map links zmq.
        .systemLibrary(
            name: "CZeroMQ",
            providers: [.apt(["libzmq3-dev"])]
        ),
        .target(
            name: "SweepWire",
            dependencies: ["CZeroMQ", "SweepCore"],
            swiftSettings: swiftSettings
        ),
        .target(
            name: "SweepWorker",
            dependencies: [
                "SweepWire", "SweepCore",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: swiftSettings
        ),
        // OpenBLAS from Debian's libopenblas-dev: cblas.h is in /usr/include/x86_64-linux-gnu
        // (a default include path) and the module map links openblas.
        .systemLibrary(
            name: "COpenBLAS",
            providers: [.apt(["libopenblas-dev"])]
        ),
        .target(
            name: "SweepKernels",
            dependencies: ["COpenBLAS", "SweepCore", "SweepWorker"],
            swiftSettings: swiftSettings
        ),
        .target(
            name: "SweepCoordinator",
            dependencies: [
                "SweepWire", "SweepCore", "SweepStore", "SweepPrediction",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: swiftSettings
        ),
        .executableTarget(
            name: "sweep",
            dependencies: [
                "SweepCore",
                "SweepStore",
                "SweepWire",
                "SweepWorker",
                "SweepKernels",
                "SweepCoordinator",
                "SweepPrediction",
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "UnixSignals", package: "swift-service-lifecycle"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
            ],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "SweepCoreTests",
            dependencies: ["SweepCore"],
            resources: [.copy("Fixtures")],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "SweepPredictionTests",
            dependencies: ["SweepPrediction"],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "SweepWireTests",
            dependencies: ["SweepWire", "SweepCore", "CZeroMQ"],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "SweepWorkerTests",
            dependencies: ["SweepWorker", "SweepWire", "SweepCore"],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "SweepKernelsTests",
            dependencies: ["SweepKernels", "SweepWorker", "SweepCore"],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "SweepCoordinatorTests",
            dependencies: ["SweepCoordinator", "SweepStore", "SweepCore", "SweepPrediction"],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "SweepSystemTests",
            dependencies: [
                "sweep", "SweepWire", "SweepStore", "SweepCore",
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "Logging", package: "swift-log"),
            ],
            resources: [.copy("Programs")],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "SweepStoreIntegrationTests",
            dependencies: [
                "SweepCore",
                "SweepStore",
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: swiftSettings
        ),
    ]
)
