// swift-tools-version:5.10
import PackageDescription

// Module layering (an arrow only points down):
//   rlexp (CLI) → Reports → Experiments → Agents → Environments, NN → HDF5 → CHDF5
let package = Package(
    name: "rlexp",
    platforms: [.macOS(.v13)],
    products: [
        .executable(name: "rlexp", targets: ["rlexp"]),
        .library(name: "RLExp", targets: ["HDF5", "NN", "Environments", "Agents", "Experiments", "Reports"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
    ],
    targets: [
        .systemLibrary(
            name: "CHDF5",
            pkgConfig: "hdf5-serial",
            providers: [.apt(["libhdf5-dev"])]
        ),
        .target(name: "HDF5", dependencies: ["CHDF5"]),
        .target(name: "NN"),
        .target(name: "Environments", dependencies: ["NN"]),
        .target(name: "Agents", dependencies: ["NN", "Environments"]),
        .target(name: "Experiments", dependencies: ["Agents", "Environments", "NN", "HDF5"]),
        .target(name: "Reports", dependencies: ["Experiments", "Agents", "Environments", "NN", "HDF5"]),
        .executableTarget(
            name: "rlexp",
            dependencies: ["Reports", "Experiments", "Agents", .product(name: "ArgumentParser", package: "swift-argument-parser")]
        ),
        .target(name: "TestSupport", dependencies: ["NN"], path: "Tests/TestSupport"),
        .testTarget(name: "HDF5Tests", dependencies: ["HDF5"]),
        .testTarget(name: "NNTests", dependencies: ["NN", "TestSupport"]),
        .testTarget(name: "EnvironmentsTests", dependencies: ["Environments", "HDF5"]),
        .testTarget(name: "AgentsTests", dependencies: ["Agents", "NN", "Environments", "TestSupport"]),
        .testTarget(name: "ExperimentsTests", dependencies: ["Experiments", "Reports", "HDF5"]),
        .testTarget(name: "ReportsTests", dependencies: ["Reports", "Experiments"]),
    ]
)
