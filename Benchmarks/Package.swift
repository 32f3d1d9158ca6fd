// swift-tools-version:6.1
// Wasmton's runtime benchmarks: a plain release executable, kept out of the main package so
// `swift build` and `swift test` at the root never compile it. Run it through `run.sh`.

import PackageDescription

let package = Package(
    name: "WasmtonBenchmarks",
    platforms: [.macOS(.v15)],
    dependencies: [
        // `name:` gives the parent a fixed name whatever its checkout folder is called.
        .package(name: "Wasmton", path: ".."),
        // The same WasmKit the parent pins, for the raw execution-stack comparison.
        .package(url: "https://github.com/swiftwasm/WasmKit", exact: "0.4.2"),
    ],
    targets: [
        .executableTarget(
            name: "runtime-bench",
            dependencies: [
                .product(name: "WasmtonRuntime", package: "Wasmton"),
                .product(name: "WasmtonContracts", package: "Wasmton"),
                .product(name: "WasmKit", package: "WasmKit"),
            ]
        )
    ],
    swiftLanguageModes: [.v6]
)
