// swift-tools-version:6.1
// Wasmton: a server-side WebAssembly host. The targets follow the layers of docs/ARCHITECTURE.md:
// Runtime (over WasmKit or Wasmtime) ← Contracts ← triggers (Streams, Gateway) ← CLI (thin `wasmton` executable);
// Tools and MessagePack stand beside them.

import PackageDescription

let strict: [SwiftSetting] = [
    .enableUpcomingFeature("ExistentialAny"),
    .enableUpcomingFeature("InternalImportsByDefault"),
]

let package = Package(
    name: "Wasmton",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "wasmton", targets: ["wasmton"]),
        .library(name: "WasmtonRuntime", targets: ["WasmtonRuntime"]),
        .library(name: "WasmtonContracts", targets: ["WasmtonContracts"]),
        .library(name: "WasmtonStreams", targets: ["WasmtonStreams"]),
        .library(name: "WasmtonTools", targets: ["WasmtonTools"]),
        .library(name: "WasmtonKafka", targets: ["WasmtonKafka"]),
        .library(name: "WasmtonMessagePack", targets: ["WasmtonMessagePack"]),
        .library(name: "WasmtonGateway", targets: ["WasmtonGateway"]),
        .library(name: "WasmtonCapture", targets: ["WasmtonCapture"]),
    ],
    dependencies: [
        .package(url: "https://github.com/swiftwasm/WasmKit", exact: "0.4.2"),
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-metrics", from: "2.13.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus", from: "2.4.1"),
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.28.1"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle", from: "2.13.0"),
        .package(url: "https://github.com/swift-server/async-http-client", from: "1.37.0"),
        .package(url: "https://github.com/jpsim/Yams", from: "6.2.2"),
        // OTLP/HTTP only: the gRPC exporter would pull in grpc-swift for nothing.
        .package(url: "https://github.com/swift-otel/swift-otel", from: "1.6.0", traits: ["OTLPHTTP"]),
        .package(url: "https://github.com/apple/swift-distributed-tracing", from: "1.7.3"),
        // Already in the graph through swift-nio; the stream engine's record queues use its Deque.
        .package(url: "https://github.com/apple/swift-collections", from: "1.6.0"),
        // Already in the graph through Hummingbird; the gateway's event-loop request path works on their types directly.
        .package(url: "https://github.com/apple/swift-nio", from: "2.101.2"),
        .package(url: "https://github.com/apple/swift-nio-extras", from: "1.35.2"),
        .package(url: "https://github.com/apple/swift-http-types", from: "1.8.0"),
    ],
    targets: [
        // Wasmtime's C API, declared by hand and loaded with dlopen at run time: building never needs the library.
        .target(name: "CWasmtime", linkerSettings: [.linkedLibrary("dl")]),
        // Runtime: modules, instances, limits, WASI and its socket extension, host functions. The only layer that sees an engine (WasmKit, or Wasmtime through CWasmtime).
        .target(
            name: "WasmtonRuntime",
            dependencies: [
                "CWasmtime",
                .product(name: "WasmKit", package: "WasmKit"),
                .product(name: "WasmKitWASI", package: "WasmKit"),
                .product(name: "WASI", package: "WasmKit"),
                .product(name: "WAT", package: "WasmKit"),
                .product(name: "WasmParser", package: "WasmKit"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
                // ReloadWatcher: hot reload's trigger (files, SIGHUP) as a Service both triggers run.
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "UnixSignals", package: "swift-service-lifecycle"),
            ],
            swiftSettings: strict
        ),
        // Contracts: how a guest is called (PollTask, waPC, proxy-wasm, Command): bytes in, bytes out, typed failure.
        .target(
            name: "WasmtonContracts",
            dependencies: [
                "WasmtonRuntime", "WasmtonMessagePack",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                // The waPC HTTP link speaks AsyncHTTPClient, whose requests carry NIO's buffers and headers.
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
            ],
            swiftSettings: strict
        ),
        // librdkafka's C API, from Debian's librdkafka-dev (headers; run time may use a newer librdkafka.so.1).
        .systemLibrary(
            name: "CRdKafka",
            providers: [.apt(["librdkafka-dev"])]
        ),
        // SQLite's C API, from Debian's libsqlite3-dev: the stream engine's per-partition state stores.
        .systemLibrary(
            name: "CSQLite",
            providers: [.apt(["libsqlite3-dev"])]
        ),
        // Kafka: a small Swift client over librdkafka (consumer group, pause/resume, commits, producer).
        .target(
            name: "WasmtonKafka",
            dependencies: ["CRdKafka"],
            swiftSettings: strict
        ),
        // Streams: the stream engine's trigger (ordering, out-of-order commit, retries). Knows nothing of WasmKit.
        .target(
            name: "WasmtonStreams",
            dependencies: [
                "WasmtonRuntime",
                "WasmtonContracts",
                "WasmtonKafka",
                "CSQLite",
                .product(name: "DequeModule", package: "swift-collections"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "Tracing", package: "swift-distributed-tracing"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: strict
        ),
        // Capture: the capture file format (stream records, waPC requests) that `capture`, `serve --capture` write and `replay` reads.
        .target(
            name: "WasmtonCapture",
            dependencies: ["WasmtonContracts"],
            swiftSettings: strict
        ),
        // MessagePack: the waPC payload convention, and its lossless mapping to and from JSON. No dependencies.
        .target(
            name: "WasmtonMessagePack",
            swiftSettings: strict
        ),
        // Gateway: the HTTP trigger (routing, instance pools, limits → status codes) over Hummingbird.
        .target(
            name: "WasmtonGateway",
            dependencies: [
                "WasmtonRuntime",
                "WasmtonContracts",
                "WasmtonMessagePack",
                "WasmtonCapture",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdCore", package: "hummingbird"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTPTypes", package: "swift-nio-extras"),
                .product(name: "NIOHTTPTypesHTTP1", package: "swift-nio-extras"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "DequeModule", package: "swift-collections"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Tracing", package: "swift-distributed-tracing"),
            ],
            swiftSettings: strict
        ),
        // Tools: what a Wasm developer reaches for first (section table, details, disassembly), and
        // `replay` (a module, or two versions of it, over recorded records or requests).
        .target(
            name: "WasmtonTools",
            dependencies: [
                "WasmtonRuntime",
                "WasmtonContracts",
                "WasmtonStreams",
                "WasmtonKafka",
                "WasmtonCapture",
                .product(name: "WasmParser", package: "WasmKit"),
            ],
            swiftSettings: strict
        ),
        // CLI commands live in a library so tests and other front ends can reuse them.
        .target(
            name: "WasmtonCLI",
            dependencies: [
                "WasmtonRuntime",
                "WasmtonContracts",
                "WasmtonTools",
                "WasmtonStreams",
                "WasmtonMessagePack",
                "WasmtonGateway",
                "WasmtonKafka",
                "WasmtonCapture",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "UnixSignals", package: "swift-service-lifecycle"),
                .product(name: "Yams", package: "Yams"),
                .product(name: "OTel", package: "swift-otel"),
            ],
            swiftSettings: strict
        ),
        .executableTarget(
            name: "wasmton",
            dependencies: ["WasmtonCLI"],
            swiftSettings: strict
        ),
        // Test support: servers on 127.0.0.1 that the socket tests talk to.
        .target(
            name: "WasmtonTestSupport",
            dependencies: ["WasmtonRuntime"],
            path: "Tests/Support",
            swiftSettings: strict
        ),
        .testTarget(
            name: "WasmtonRuntimeTests",
            dependencies: [
                "WasmtonRuntime", "WasmtonTestSupport",
                // WasmKitErrorTextTests raises WasmKit's own link errors to pin the texts the Runtime matches.
                .product(name: "WasmKit", package: "WasmKit"),
                .product(name: "WAT", package: "WasmKit"),
            ],
            swiftSettings: strict
        ),
        .testTarget(
            name: "WasmtonContractsTests",
            dependencies: [
                "WasmtonContracts", "WasmtonRuntime", "WasmtonMessagePack", "WasmtonTestSupport",
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: strict
        ),
        .testTarget(
            name: "WasmtonStreamsTests",
            dependencies: [
                "WasmtonStreams", "WasmtonContracts", "WasmtonRuntime", "WasmtonTestSupport",
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: strict
        ),
        .testTarget(
            name: "WasmtonKafkaTests",
            dependencies: ["WasmtonKafka"],
            swiftSettings: strict
        ),
        .testTarget(
            name: "WasmtonToolsTests",
            dependencies: [
                "WasmtonTools", "WasmtonRuntime", "WasmtonContracts", "WasmtonCapture", "WasmtonStreams", "WasmtonTestSupport",
            ],
            swiftSettings: strict
        ),
        .testTarget(
            name: "WasmtonMessagePackTests",
            dependencies: ["WasmtonMessagePack"],
            exclude: ["msgpack_interop.py"],
            swiftSettings: strict
        ),
        .testTarget(
            name: "WasmtonGatewayTests",
            dependencies: [
                "WasmtonGateway", "WasmtonContracts", "WasmtonRuntime", "WasmtonMessagePack", "WasmtonTestSupport",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdTesting", package: "hummingbird"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: strict
        ),
        .testTarget(
            name: "WasmtonCLITests",
            dependencies: ["WasmtonCLI", "WasmtonContracts", "WasmtonStreams", "WasmtonTestSupport"],
            swiftSettings: strict
        ),
    ],
    swiftLanguageModes: [.v6]
)
