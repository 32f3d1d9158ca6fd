#if canImport(Glibc)
    import Glibc
#endif

/// Out-of-bounds guest pointers met by WASI code that cannot throw where it touches memory.
///
/// WasmKit's WASI implementation reaches guest memory through `GuestMemory`, whose accessor
/// may not throw on its own, and stops the process on a bad pointer. Wasmton's memories hand
/// such an access a zeroed scratch region instead and record the fault here; the binding that
/// called the WASI function then fails the call with
/// ``GuestError/memoryAccessOutOfBounds(address:length:memorySize:)``, like a trap. Functions
/// whose scratch reads or writes would act outside the guest (data written to or read from a
/// descriptor) are checked before they run (``WASIPointerChecks``). One per instance, used on
/// the thread running its call.
final class GuestMemoryFaults {
    private var first: (address: UInt64, length: Int, size: Int)?

    /// Throws the first fault recorded since the last check, and forgets it.
    func check() throws(GuestError) {
        guard let fault = first else { return }
        first = nil
        throw .memoryAccessOutOfBounds(address: fault.address, length: UInt64(max(fault.length, 0)), memorySize: fault.size)
    }

    /// Runs a WASI function's `body` and fails it with the first fault it met, if any (the
    /// fault wins over the error the function then threw, which it caused).
    func failing<T>(_ body: () throws -> T) throws -> T {
        do {
            let result = try body()
            try check()
            return result
        } catch {
            try check()
            throw error
        }
    }

    /// Runs `body` on the `count` bytes at `offset` of the memory at `base` (`size` bytes), or,
    /// when they fall outside it, on a zeroed scratch region of `count` bytes, recording the fault.
    func access<T>(
        base: UnsafeMutableRawPointer?, size: Int, offset: UInt, count: Int,
        _ body: (UnsafeMutableRawBufferPointer) throws -> T
    ) rethrows -> T {
        if count >= 0, offset <= UInt(size), UInt(count) <= UInt(size) - offset {
            return try body(UnsafeMutableRawBufferPointer(start: base.map { $0 + Int(offset) }, count: count))
        }
        if first == nil { first = (UInt64(offset), count, size) }
        let length = max(count, 0)
        guard length > 0 else { return try body(UnsafeMutableRawBufferPointer(start: nil, count: 0)) }
        // Anonymous pages: zero, and backed only as far as the code writes into them.
        guard
            let scratch = mmap(nil, length, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0),
            scratch != MAP_FAILED
        else { preconditionFailure("no scratch memory for an out-of-bounds guest access of \(length) bytes") }
        defer { munmap(scratch, length) }
        return try body(UnsafeMutableRawBufferPointer(start: scratch, count: length))
    }
}
