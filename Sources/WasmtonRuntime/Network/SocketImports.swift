import WASI
import WasmKit
import WasmKitWASI

/// The socket extension's imports, for either engine: `sock_connect` (the Decaton article's),
/// the WASI functions that take a descriptor (`sock_*`, `fd_read`, `fd_write`, `fd_close`,
/// `fd_fdstat_get`, `fd_fdstat_set_flags` for `O_NONBLOCK`, `poll_oneoff`), and `wasmton.resolve`.
///
/// Each wrapper sends socket descriptors to the instance's ``SocketTable`` and every other
/// descriptor to WasmKit's WASI implementation (which both engines link), so files and stdio
/// behave as before. `M` is the engine's guest memory.
struct SocketImports<M: GuestMemoryView> {
    /// One wrapper: a `wasi_snapshot_preview1` function of `parameters` i32s returning an errno.
    struct Definition {
        let name: String
        let parameters: Int
        let body: (M, [Value]) throws -> Int32
    }

    let table: SocketTable
    let context: CallContext
    let wasi: [String: WASIHostFunction<M>]

    /// The wrappers, over `wasi` (the bridge's own functions, which they delegate to). Each one
    /// first refuses to run in a time slice (it may block or reach the network) and fails once
    /// the call's deadline has passed, whichever engine links it.
    static func definitions(wasi: [String: WASIHostFunction<M>], table: SocketTable, context: CallContext) -> [Definition] {
        let wrappers = SocketImports(table: table, context: context, wasi: wasi)
        var definitions: [Definition] = []
        func define(_ name: String, _ parameters: Int, _ body: @escaping (SocketImports, M, [Value]) throws -> Int32) {
            definitions.append(
                Definition(name: name, parameters: parameters) { memory, arguments in
                    try context.refuseInSlice(name, runsInSlice: false)
                    try context.checkDeadline()
                    return try body(wrappers, memory, arguments)
                })
        }
        define("sock_connect", 3) { try $0.connect($1, $2) }
        // Calls on a descriptor: sockets go to the table, every other descriptor to WASI.
        func wrap(_ name: String, _ parameters: Int, _ body: @escaping (SocketImports, M, UInt32, [Value]) throws -> Int32) {
            define(name, parameters) { wrappers, memory, arguments in
                let descriptor = Self.u32(arguments, 0)
                guard SocketTable.isSocket(descriptor) else { return try wrappers.delegate(name, memory, arguments) }
                return try body(wrappers, memory, descriptor, arguments)
            }
        }
        wrap("sock_send", 5) { try $0.send($1, descriptor: $2, vectors: u32($3, 1), count: u32($3, 2), output: u32($3, 4)) }
        wrap("sock_recv", 6) { try $0.sockRecv($1, descriptor: $2, $3) }
        wrap("sock_shutdown", 2) { $0.table.shutdown($2, how: u32($3, 1)).result }
        wrap("fd_read", 4) {
            try $0.receive($1, descriptor: $2, vectors: u32($3, 1), count: u32($3, 2), flags: 0, output: u32($3, 3))
        }
        wrap("fd_write", 4) { try $0.send($1, descriptor: $2, vectors: u32($3, 1), count: u32($3, 2), output: u32($3, 3)) }
        wrap("fd_close", 1) { wrappers, _, descriptor, _ in wrappers.table.close(descriptor).result }
        wrap("fd_fdstat_get", 2) { try $0.fdstat($1, descriptor: $2, output: u32($3, 1)) }
        wrap("fd_fdstat_set_flags", 2) { $0.table.setFlags($2, u32($3, 1)).result }
        define("poll_oneoff", 4) { try $0.pollOneoff($1, $2) }
        return definitions
    }
}

/// The socket extension's parts that do not depend on the engine.
enum SocketExtension {
    /// The module namespace of the lookup function.
    static let resolveModule = "wasmton"
    static let resolveName = "resolve"
    /// Imports that let a guest open a socket; a module without any of them gets no wrappers.
    static func needed(by module: WasmModule) -> Bool {
        module.imports.contains { entry in
            (WASIModules.contains(entry.module) && entry.name == "sock_connect")
                || (entry.module == resolveModule && entry.name == resolveName)
        }
    }

    /// Receive buffers larger than this are filled only up to it per call (guests loop anyway).
    static let maxTransfer = 1 << 20
    /// The most iovecs one call may pass, as POSIX's IOV_MAX.
    static let maxVectors = 1_024

    /// `wasmton.resolve(name_ptr, name_len, addrs_ptr, max) -> count or -errno`, as a host function.
    static func resolveFunction(table: SocketTable) -> HostFunction {
        HostFunction(
            module: resolveModule, name: resolveName,
            signature: FunctionSignature(parameters: [.i32, .i32, .i32, .i32], results: [.i32])
        ) { [weak table] call, arguments in
            guard let table, arguments.count == 4, case .i32(let namePointer) = arguments[0],
                case .i32(let nameLength) = arguments[1], case .i32(let addressesPointer) = arguments[2],
                case .i32(let max) = arguments[3]
            else { return [.i32(-Int32(SocketErrno.invalid.rawValue))] }
            let memory = try call.requireMemory()
            guard nameLength >= 0, nameLength <= 253, max >= 0 else {
                return [.i32(-Int32(SocketErrno.invalid.rawValue))]
            }
            let name = try memory.readString(at: UInt64(UInt32(bitPattern: namePointer)), count: Int(nameLength))
            switch table.resolve(name) {
            case .failure(let errno):
                return [.i32(-Int32(errno.rawValue))]
            case .success(let addresses):
                let written = addresses.prefix(Int(max))
                try memory.write(
                    written.flatMap { [UInt8].littleEndian($0.value) }, at: UInt64(UInt32(bitPattern: addressesPointer)))
                return [.i32(Int32(written.count))]
            }
        }
    }

}

extension SocketImports {
    // MARK: - Plumbing

    private var clock: SocketClock {
        SocketClock(deadline: context.deadline, callTimeout: context.timeout)
    }

    fileprivate func delegate(_ name: String, _ memory: M, _ arguments: [Value]) throws -> Int32 {
        guard let function = wasi[name] else { return SocketErrno.notASocket.result }
        let results = try function.implementation(memory, arguments)
        guard case .i32(let code)? = results.first else { return SocketErrno.io.result }
        return Int32(bitPattern: code)
    }

    fileprivate static func u32(_ arguments: [Value], _ index: Int) -> UInt32 {
        if case .i32(let value) = arguments[index] { return value }
        return 0
    }

    /// The (address, length) pairs of an iovec array, bounds-checked.
    private func vectors(_ memory: LinearMemory, at pointer: UInt32, count: UInt32) throws(GuestError) -> [(UInt64, Int)]? {
        guard count <= SocketExtension.maxVectors else { return nil }
        let raw = try memory.read(at: UInt64(pointer), count: Int(count) * 8)
        return (0..<Int(count)).map { index in
            (UInt64(raw.littleEndian(UInt32.self, at: index * 8)), Int(raw.littleEndian(UInt32.self, at: index * 8 + 4)))
        }
    }

    private func gather(_ memory: LinearMemory, _ vectors: [(UInt64, Int)]) throws(GuestError) -> [UInt8] {
        var bytes: [UInt8] = []
        for (address, length) in vectors { bytes += try memory.read(at: address, count: length) }
        return bytes
    }

    private func scatter(_ memory: LinearMemory, _ bytes: [UInt8], into vectors: [(UInt64, Int)]) throws(GuestError) {
        var offset = 0
        for (address, length) in vectors where offset < bytes.count {
            let take = min(length, bytes.count - offset)
            try memory.write(bytes[offset..<offset + take], at: address)
            offset += take
        }
    }

    // MARK: - The functions

    private func connect(_ memory: M, _ arguments: [Value]) throws -> Int32 {
        let address = IPv4Address(Self.u32(arguments, 0))
        let port = Self.u32(arguments, 1)
        let output = Self.u32(arguments, 2)
        let linear = memory.linear
        guard port <= UInt16.max else { return SocketErrno.invalid.result }
        switch try table.connect(address, port: UInt16(port), clock: clock) {
        case .failure(let errno):
            return errno.result
        case .success(let descriptor):
            do {
                try linear.writeUInt32(descriptor, at: UInt64(output))
            } catch {
                _ = table.close(descriptor)
                throw error
            }
            return 0
        }
    }

    private func send(
        _ memory: M, descriptor: UInt32, vectors pointer: UInt32, count: UInt32, output: UInt32
    ) throws -> Int32 {
        let linear = memory.linear
        guard let vectors = try vectors(linear, at: pointer, count: count) else { return SocketErrno.invalid.result }
        let bytes = try gather(linear, vectors)
        switch try table.send(descriptor, bytes, clock: clock) {
        case .failure(let errno): return errno.result
        case .success(let sent):
            try linear.writeUInt32(UInt32(sent), at: UInt64(output))
            return 0
        }
    }

    private func receive(
        _ memory: M, descriptor: UInt32, vectors pointer: UInt32, count: UInt32, flags: UInt32, output: UInt32
    ) throws -> Int32 {
        let linear = memory.linear
        guard let vectors = try vectors(linear, at: pointer, count: count) else { return SocketErrno.invalid.result }
        // Fail before any byte is consumed if a receive buffer lies outside memory.
        for (address, length) in vectors { try linear.check(address, length) }
        let capacity = min(vectors.reduce(0) { $0 + $1.1 }, SocketExtension.maxTransfer)
        switch try table.receive(descriptor, capacity: capacity, peek: flags & 1 != 0, waitAll: flags & 2 != 0, clock: clock) {
        case .failure(let errno): return errno.result
        case .success(let bytes):
            try scatter(linear, bytes, into: vectors)
            try linear.writeUInt32(UInt32(bytes.count), at: UInt64(output))
            return 0
        }
    }

    private func sockRecv(_ memory: M, descriptor: UInt32, _ arguments: [Value]) throws -> Int32 {
        let result = try receive(
            memory, descriptor: descriptor, vectors: Self.u32(arguments, 1), count: Self.u32(arguments, 2),
            flags: Self.u32(arguments, 3), output: Self.u32(arguments, 4))
        if result == 0 { try memory.linear.write([0, 0], at: UInt64(Self.u32(arguments, 5))) }
        return result
    }

    /// A socket's `fdstat`: filetype SOCKET_STREAM, no flags, read/write/poll/shutdown rights.
    private func fdstat(_ memory: M, descriptor: UInt32, output: UInt32) throws -> Int32 {
        guard table.handle(of: descriptor) != nil else { return SocketErrno.badDescriptor.result }
        let rights: UInt64 = 1 << 1 | 1 << 6 | 1 << 27 | 1 << 28  // FD_READ, FD_WRITE, POLL_FD_READWRITE, SOCK_SHUTDOWN
        // filetype SOCKET_STREAM, fdflags (NONBLOCK or none), rights base, rights inheriting.
        let flags: UInt16 = table.isNonBlocking(descriptor) ? 4 : 0
        let bytes =
            [6, 0] + [UInt8].littleEndian(flags) + [0, 0, 0, 0] + [UInt8].littleEndian(rights) + [UInt8](repeating: 0, count: 8)
        try memory.linear.write(bytes, at: UInt64(output))
        return 0
    }

    private func pollOneoff(_ memory: M, _ arguments: [Value]) throws -> Int32 {
        let linear = memory.linear
        let subscriptions = Self.u32(arguments, 0)
        let count = Self.u32(arguments, 2)
        guard count > 0, count <= 4_096 else { return try delegate("poll_oneoff", memory, arguments) }
        let raw = try linear.read(at: UInt64(subscriptions), count: Int(count) * SocketPoll.subscriptionSize)
        let poll = SocketPoll(raw: raw, count: Int(count))
        guard poll.touchesSockets else { return try delegate("poll_oneoff", memory, arguments) }
        let events = try poll.run(table: table, clock: clock)
        try linear.write(events.bytes, at: UInt64(Self.u32(arguments, 1)))
        try linear.writeUInt32(UInt32(events.count), at: UInt64(Self.u32(arguments, 3)))
        return 0
    }
}
