internal import CWasmtime
import WASI

/// A Wasmtime linear memory as seen from its store: the base address and size are asked for on
/// every access, since a call into the guest may grow (and move) it.
struct WasmtimeMemory: GuestMemoryView {
    let api: UnsafePointer<cwasmtime_api>
    let context: OpaquePointer
    let memory: wasmtime_memory_t
    /// Where WASI's out-of-bounds accesses go (``GuestMemoryFaults``); `nil` for checked access
    /// only. Unretained: the instance owns it and outlives every view of its memory, which lives
    /// only as long as one host call (so a view costs no reference counting).
    var unretainedFaults: Unmanaged<GuestMemoryFaults>? = nil

    var faults: GuestMemoryFaults? { unretainedFaults?.takeUnretainedValue() }

    var byteCount: Int {
        withUnsafePointer(to: memory) { api.pointee.wasmtime_memory_data_size(context, $0) }
    }

    var linear: LinearMemory { LinearMemory(self) }

    func withUnsafeMutableBufferPointer<T>(
        offset: UInt, count: Int, _ body: (UnsafeMutableRawBufferPointer) throws -> T
    ) rethrows -> T {
        let (base, size) = withUnsafePointer(to: memory) {
            (api.pointee.wasmtime_memory_data(context, $0), api.pointee.wasmtime_memory_data_size(context, $0))
        }
        if let faults {
            return try faults.access(
                base: base.map { UnsafeMutableRawPointer($0) }, size: size, offset: offset, count: count, body)
        }
        // As WasmKit's memory does: callers check bounds first (``LinearMemory/check(_:_:)``).
        precondition(count >= 0 && offset <= UInt(size) && UInt(count) <= UInt(size) - offset, "Memory access out of bounds")
        return try body(
            UnsafeMutableRawBufferPointer(start: base.map { UnsafeMutableRawPointer($0) + Int(offset) }, count: count))
    }
}
