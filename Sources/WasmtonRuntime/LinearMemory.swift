import WASI
import WasmKit

/// Bounds-checked access to a guest's linear memory.
///
/// Contracts move bytes in and out of the guest only through this: a pointer and length that
/// fall outside the memory throw ``GuestError/memoryAccessOutOfBounds(address:length:memorySize:)``,
/// which fails the call, instead of reaching WasmKit's precondition and crashing the host.
/// Valid only during the host call or instance access that produced it.
public struct LinearMemory {
    /// The engine's memory: WasmKit's handle, or Wasmtime's (whose base address is looked up on
    /// every access, since a call back into the guest may grow and move it).
    enum Storage {
        case wasmKit(Memory)
        case wasmtime(WasmtimeMemory)
    }

    let storage: Storage

    init(_ memory: Memory) {
        storage = .wasmKit(memory)
    }

    init(_ memory: WasmtimeMemory) {
        storage = .wasmtime(memory)
    }

    /// The current size in bytes.
    public var byteCount: Int {
        switch storage {
        case .wasmKit(let memory): return memory.byteCount
        case .wasmtime(let memory): return memory.byteCount
        }
    }

    /// Copies `count` bytes starting at `address`.
    public func read(at address: UInt64, count: Int) throws(GuestError) -> [UInt8] {
        try check(address, count)
        if count == 0 { return [] }
        return withBytes(at: address, count: count) { Array(UnsafeRawBufferPointer($0)) }
    }

    /// Reads `count` bytes at `address` as UTF-8 (invalid sequences become U+FFFD).
    public func readString(at address: UInt64, count: Int) throws(GuestError) -> String {
        String(decoding: try read(at: address, count: count), as: UTF8.self)
    }

    /// Writes `bytes` starting at `address`: one bounds check and one `memcpy` (the generic
    /// overload below copies element by element when called from another module).
    public func write(_ bytes: [UInt8], at address: UInt64) throws(GuestError) {
        let count = bytes.count
        try check(address, count)
        if count == 0 { return }
        bytes.withUnsafeBytes { source in
            withBytes(at: address, count: count) { buffer in
                buffer.baseAddress!.copyMemory(from: source.baseAddress!, byteCount: count)
            }
        }
    }

    /// Writes `bytes` starting at `address`.
    public func write(_ bytes: some Collection<UInt8>, at address: UInt64) throws(GuestError) {
        let count = bytes.count
        try check(address, count)
        if count == 0 { return }
        withBytes(at: address, count: count) { buffer in buffer.copyBytes(from: bytes) }
    }

    /// Reads a little-endian `UInt32` at `address`.
    public func readUInt32(at address: UInt64) throws(GuestError) -> UInt32 {
        try read(at: address, count: 4).littleEndian(UInt32.self, at: 0)
    }

    /// Writes `value` little-endian at `address`.
    public func writeUInt32(_ value: UInt32, at address: UInt64) throws(GuestError) {
        try write([UInt8].littleEndian(value), at: address)
    }

    /// Throws ``GuestError/memoryAccessOutOfBounds(address:length:memorySize:)`` unless `count`
    /// bytes at `address` lie inside the memory; for host functions that must check a buffer
    /// before they act (and consume data) rather than when they write to it.
    func check(_ address: UInt64, _ count: Int) throws(GuestError) {
        let size = byteCount
        guard count >= 0, address <= UInt64(size), UInt64(count) <= UInt64(size) - address else {
            throw .memoryAccessOutOfBounds(address: address, length: UInt64(max(count, 0)), memorySize: size)
        }
    }

    /// The `count` bytes at `address`, already checked.
    private func withBytes<R>(at address: UInt64, count: Int, _ body: (UnsafeMutableRawBufferPointer) -> R) -> R {
        switch storage {
        case .wasmKit(let memory):
            return memory.withUnsafeMutableBufferPointer(offset: UInt(address), count: count, body)
        case .wasmtime(let memory):
            return memory.withUnsafeMutableBufferPointer(offset: UInt(address), count: count, body)
        }
    }
}

/// A guest memory WASI and the socket extension can work on, whatever the engine.
protocol GuestMemoryView: GuestMemory, SendableMetatype {
    var linear: LinearMemory { get }
    /// Where out-of-bounds accesses are recorded instead of stopping the process; `nil` where
    /// every access is checked before it is made.
    var faults: GuestMemoryFaults? { get }
}

/// A WasmKit memory as WASI and the socket extension see it: accesses outside it reach a
/// scratch region and are recorded in `faults` (``GuestMemoryFaults``), where WasmKit's own
/// memory would stop the process.
struct WasmKitMemory: GuestMemoryView {
    let memory: Memory
    let faults: GuestMemoryFaults?

    var linear: LinearMemory { LinearMemory(memory) }

    func withUnsafeMutableBufferPointer<T>(
        offset: UInt, count: Int, _ body: (UnsafeMutableRawBufferPointer) throws -> T
    ) rethrows -> T {
        guard let faults else { return try memory.withUnsafeMutableBufferPointer(offset: offset, count: count, body) }
        let size = memory.byteCount
        return try memory.withUnsafeMutableBufferPointer(offset: 0, count: size) { whole in
            try faults.access(base: whole.baseAddress, size: size, offset: offset, count: count, body)
        }
    }
}
