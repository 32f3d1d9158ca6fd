import WasmKit

/// Checks, before a WASI function runs, the guest buffers whose contents it would move to or
/// from a descriptor: the I/O vectors of `fd_write`, `fd_pwrite`, `fd_read` and `fd_pread`. A
/// bad one fails the call before any byte moves, where ``GuestMemoryFaults``' scratch region
/// would have written zeros to a file or swallowed input.
enum WASIPointerChecks {
    /// The argument positions of the I/O vector array and its length, by function.
    private static let vectors: [String: (pointer: Int, count: Int)] = [
        "fd_write": (1, 2), "fd_pwrite": (1, 2), "fd_read": (1, 2), "fd_pread": (1, 2),
    ]

    /// Throws ``GuestError/memoryAccessOutOfBounds(address:length:memorySize:)`` for a vector
    /// array or buffer of `function`'s arguments that lies outside `memory`.
    static func check(_ function: String, arguments: [Value], memory: LinearMemory) throws(GuestError) {
        guard let positions = vectors[function], arguments.count > positions.count,
            case .i32(let pointer) = arguments[positions.pointer], case .i32(let count) = arguments[positions.count]
        else { return }
        let arrayBytes = Int(count) * 8
        try memory.check(UInt64(pointer), arrayBytes)
        guard count > 0 else { return }
        let array = try memory.read(at: UInt64(pointer), count: arrayBytes)
        for index in 0..<Int(count) {
            let buffer = array.littleEndian(UInt32.self, at: index * 8)
            let length = array.littleEndian(UInt32.self, at: index * 8 + 4)
            try memory.check(UInt64(buffer), Int(length))
        }
    }
}
