// swift-tools-version:5.10
import PackageDescription

// Module layering (an arrow only points down):
//   rlexp (CLI) → Reports → Experiments → Agents → Environments, NN → HDF5 → CHDF5; NN → CKernels
// Speed in every configuration. `swift run rlexp SPEC` builds the debug configuration, and the
// training code unoptimised runs ~100× slower, so the library targets (everything a run touches:
// HDF5, NN, Environments, Agents, Experiments, Reports) are compiled with `-O` in debug too. The
// CLI and the test targets stay `-Onone -g`, so breakpoints and `swift test` work as usual; set
// RLEXP_ONONE=1 for a fully unoptimised debug build when stepping through training code.
//
// SwiftPM has no safe setting for the optimisation level, so this is an unsafe flag. Unsafe flags are
// accepted in a root package and in local-path or branch dependencies, but make a version-pinned
// dependency unusable; when this manifest is evaluated as a dependency checkout (SwiftPM and Xcode
// clone those into a `checkouts` folder) the flag is left out, so `.package(url:…, from:…)` on rlexp
// still resolves and builds (its debug build is then unoptimised, and `rlexp` says so at start).
let isDependencyCheckout = Context.packageDirectory.split(separator: "/").contains("checkouts")
let optimiseInDebug: [SwiftSetting] =
    isDependencyCheckout || Context.environment["RLEXP_ONONE"] != nil
    ? [] : [.unsafeFlags(["-O"], .when(configuration: .debug))]
let optimiseCInDebug: [CSetting] =
    isDependencyCheckout || Context.environment["RLEXP_ONONE"] != nil
    ? [] : [.unsafeFlags(["-O2"], .when(configuration: .debug))]

let package = Package(
    name: "rlexp",
    platforms: [.macOS(.v13)],
    products: [
        .executable(name: "rlexp", targets: ["rlexp"]),
        .library(name: "RLExp", targets: ["HDF5", "NN", "Environments", "Agents", "Experiments", "Reports"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        .package(url: "https://github.com/apple/swift-atomics", from: "1.3.0"),
    ],
    targets: [
        .systemLibrary(
            name: "CHDF5",
            pkgConfig: "hdf5-serial",
            providers: [.apt(["libhdf5-dev"])]
        ),
        .target(name: "HDF5", dependencies: ["CHDF5"], swiftSettings: optimiseInDebug),
        // The hot kernels in C, compiled for baseline x86-64 and for AVX2 (per-function target
        // attributes, no flags) and chosen by cpuid at run time: Sources/CKernels/include/CKernels.h.
        .target(name: "CKernels", cSettings: optimiseCInDebug, linkerSettings: [.linkedLibrary("m")]),
        .target(name: "NN", dependencies: ["CKernels"], swiftSettings: optimiseInDebug),
        .target(name: "Environments", dependencies: ["NN"], swiftSettings: optimiseInDebug),
        .target(name: "Agents", dependencies: ["NN", "CKernels", "Environments", .product(name: "Atomics", package: "swift-atomics")], swiftSettings: optimiseInDebug),
        .target(name: "Experiments", dependencies: ["Agents", "Environments", "NN", "HDF5", .product(name: "Atomics", package: "swift-atomics")], swiftSettings: optimiseInDebug),
        .target(name: "Reports", dependencies: ["Experiments", "Agents", "Environments", "NN", "HDF5"], swiftSettings: optimiseInDebug),
        .executableTarget(
            name: "rlexp",
            dependencies: ["Reports", "Experiments", "Agents", .product(name: "ArgumentParser", package: "swift-argument-parser")]
        ),
        .target(name: "TestSupport", dependencies: ["NN"], path: "Tests/TestSupport"),
        .testTarget(name: "HDF5Tests", dependencies: ["HDF5"]),
        .testTarget(name: "NNTests", dependencies: ["NN", "TestSupport"]),
        .testTarget(name: "EnvironmentsTests", dependencies: ["Environments", "HDF5"]),
        .testTarget(name: "AgentsTests", dependencies: ["Agents", "NN", "Environments", "TestSupport"]),
        .testTarget(name: "ExperimentsTests", dependencies: ["Experiments", "Reports", "HDF5", "Agents", "Environments"]),
        .testTarget(name: "ReportsTests", dependencies: ["Reports", "Experiments", "HDF5", "NN"]),
    ]
)
