import WasmtonRuntime

/// The numbers of the proxy-wasm ABI (0.2.0 and 0.2.1), from proxy-wasm/spec.
enum ProxyWasmABI {
    /// What a host function returns (`WasmResult` in the SDKs).
    enum Status: Int32 {
        case ok = 0
        case notFound = 1
        case badArgument = 2
        case serializationFailure = 3
        case parseFailure = 4
        case empty = 7
        case casMismatch = 8
        case internalFailure = 10
        case unimplemented = 12

        /// The status as a host function's results: one array per status, made once, so that the
        /// many host calls of a request allocate none.
        var result: [WasmValue] {
            switch self {
            case .ok: Self.okResult
            case .notFound: Self.notFoundResult
            default: [.i32(rawValue)]
            }
        }

        private static let okResult: [WasmValue] = [.i32(Status.ok.rawValue)]
        private static let notFoundResult: [WasmValue] = [.i32(Status.notFound.rawValue)]
    }

    /// Which header map a host function means.
    enum MapType: Int32 {
        case requestHeaders = 0
        case requestTrailers = 1
        case responseHeaders = 2
        case responseTrailers = 3
        case grpcReceiveInitialMetadata = 4
        case grpcReceiveTrailingMetadata = 5
        case httpCallResponseHeaders = 6
        case httpCallResponseTrailers = 7
    }

    /// Which buffer a host function means.
    enum BufferType: Int32 {
        case requestBody = 0
        case responseBody = 1
        case downstreamData = 2
        case upstreamData = 3
        case httpCallResponseBody = 4
        case grpcReceiveBuffer = 5
        case vmConfiguration = 6
        case pluginConfiguration = 7
        case callData = 8
    }

    /// The ABI versions Wasmton speaks, by their marker exports.
    enum Version: String, CaseIterable {
        case v0_2_1 = "proxy_abi_version_0_2_1"
        case v0_2_0 = "proxy_abi_version_0_2_0"
        /// The first Rust SDK's (0.1.x), which the book's filter was built with: header callbacks
        /// without an end-of-stream flag, and a few imports of its own.
        case v0_1_0 = "proxy_abi_version_0_1_0"

        /// The version `exports` declares; modules without a marker are taken as 0.2.1.
        init(exports: [String]) {
            self = Self.allCases.first { exports.contains($0.rawValue) } ?? .v0_2_1
        }
    }

    static var versionMarkers: [String] { Version.allCases.map(\.rawValue) }
}

/// What a filter callback asks the host to do with the stream.
public enum FilterAction: Sendable, Equatable {
    /// Go on to the next filter (or the upstream).
    case `continue`
    /// Stop here: the filter wants more data, or it sent a local response.
    case pause

    /// 0 is CONTINUE; anything else stops iteration (the C++ SDK returns Envoy's wider values).
    init(_ raw: Int32) {
        self = raw == 0 ? .continue : .pause
    }
}

/// proxy-wasm's serialized header map: a `u32` count, then a `u32` key length and a `u32` value
/// length per pair, then each key and value, each followed by a NUL byte. Little-endian.
enum HeaderMapCoding {
    /// The serialized map of `fields`, made in one buffer of the right size.
    static func encode(_ fields: [HeaderList.Field]) -> [UInt8] {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(size(fields))
        func u32(_ value: Int) {
            let v = UInt32(truncatingIfNeeded: value)
            bytes.append(UInt8(v & 0xFF))
            bytes.append(UInt8(v >> 8 & 0xFF))
            bytes.append(UInt8(v >> 16 & 0xFF))
            bytes.append(UInt8(v >> 24))
        }
        u32(fields.count)
        for field in fields {
            u32(field.name.utf8.count)
            u32(field.value.utf8.count)
        }
        for field in fields {
            bytes.append(contentsOf: field.name.utf8)
            bytes.append(0)
            bytes.append(contentsOf: field.value.utf8)
            bytes.append(0)
        }
        return bytes
    }

    /// The size in bytes of `fields`' serialized map.
    static func size(_ fields: [HeaderList.Field]) -> Int {
        fields.reduce(4) { $0 + 10 + $1.name.utf8.count + $1.value.utf8.count }
    }

    /// The pairs of a serialized map; `nil` if the bytes do not hold one.
    static func decode(_ bytes: [UInt8]) -> [(String, String)]? {
        func u32(_ offset: Int) -> Int? {
            guard offset >= 0, offset + 4 <= bytes.count else { return nil }
            return Int(
                UInt32(bytes[offset]) | UInt32(bytes[offset + 1]) << 8 | UInt32(bytes[offset + 2]) << 16
                    | UInt32(bytes[offset + 3]) << 24)
        }
        guard let count = u32(0), count <= (bytes.count - 4) / 8 else { return bytes.isEmpty ? [] : nil }
        var lengths: [(Int, Int)] = []
        for index in 0..<count {
            guard let key = u32(4 + index * 8), let value = u32(8 + index * 8) else { return nil }
            lengths.append((key, value))
        }
        var offset = 4 + count * 8
        var pairs: [(String, String)] = []
        for (keyLength, valueLength) in lengths {
            guard offset + keyLength + valueLength + 2 <= bytes.count else { return nil }
            let key = String(decoding: bytes[offset..<offset + keyLength], as: UTF8.self)
            offset += keyLength + 1
            let value = String(decoding: bytes[offset..<offset + valueLength], as: UTF8.self)
            offset += valueLength + 1
            pairs.append((key, value))
        }
        return pairs
    }
}
