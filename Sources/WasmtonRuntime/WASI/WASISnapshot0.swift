import WASI
import WasmKit

/// WASI snapshot 0 (`wasi_unstable`), as the preview 1 functions an instance already links:
/// most functions are the same, and the four whose layouts differ translate around their
/// preview 1 counterpart, in guest memory, so both engines (and the socket extension) share
/// one implementation:
///
/// - `fd_seek`: snapshot 0 numbers `whence` CUR = 0, END = 1, SET = 2 (preview 1: SET, CUR, END);
/// - `fd_filestat_get`, `path_filestat_get`: snapshot 0's `filestat` has a 32-bit `nlink` at
///   offset 20, so `size` and the times sit 8 bytes earlier and it is 56 bytes long, not 64;
/// - `poll_oneoff`: snapshot 0's clock subscription starts with a 64-bit `identifier`, so a
///   subscription is 56 bytes, not 48 (events are the same).
///
/// `dirent`, `fdstat`, `prestat`, `event`, the flags and the error numbers are the same in both.
/// Snapshot 0 has no `sock_accept`.
///
/// A translation may lend itself a few bytes of guest memory next to a buffer the guest passed
/// (preview 1 writes a longer `filestat`, reads a shorter subscription array) and puts them back
/// before it returns; the guest is inside the call, so it never sees them.
enum WASISnapshot0 {
    /// Bytes of snapshot 0's `filestat`, and of preview 1's.
    static let filestatSize = 56
    static let preview1FilestatSize = 64
    /// Bytes of snapshot 0's `subscription`, and of preview 1's.
    static let subscriptionSize = 56
    static let preview1SubscriptionSize = 48
    /// Bytes of an `event`, in both.
    static let eventSize = 32

    /// WASI error numbers the translations answer with.
    static let invalid: UInt32 = 28  // EINVAL
    static let overflow: UInt32 = 61  // EOVERFLOW

    /// Snapshot 0's functions over `preview1`, by name.
    static func functions<M>(over preview1: [String: WASIFunction<M>]) -> [String: WASIFunction<M>] {
        var functions = preview1
        functions["sock_accept"] = nil
        if let seek = preview1["fd_seek"] { functions["fd_seek"] = fdSeek(seek) }
        if let stat = preview1["fd_filestat_get"] { functions["fd_filestat_get"] = filestat(stat, output: 1) }
        if let stat = preview1["path_filestat_get"] { functions["path_filestat_get"] = filestat(stat, output: 4) }
        if let poll = preview1["poll_oneoff"] { functions["poll_oneoff"] = pollOneoff(poll) }
        return functions
    }

    /// `fd_seek(fd, offset, whence, newoffset)` with snapshot 0's `whence` numbers.
    private static func fdSeek<M>(_ preview1: WASIFunction<M>) -> WASIFunction<M> {
        WASIFunction(type: preview1.type) { memory, arguments in
            var forwarded = arguments
            switch u32(arguments, 2) {
            case 0: forwarded[2] = .i32(1)  // CUR
            case 1: forwarded[2] = .i32(2)  // END
            case 2: forwarded[2] = .i32(0)  // SET
            default: return [.i32(invalid)]
            }
            try memory.linear.check(UInt64(u32(arguments, 3)), 8)
            return try preview1.body(memory, forwarded)
        }
    }

    /// `fd_filestat_get` or `path_filestat_get`, whose argument `output` points at the `filestat`.
    private static func filestat<M>(_ preview1: WASIFunction<M>, output index: Int) -> WASIFunction<M> {
        WASIFunction(type: preview1.type) { memory, arguments in
            let linear = memory.linear
            let buffer = UInt64(u32(arguments, index))
            try linear.check(buffer, filestatSize)
            // Preview 1 writes 64 bytes: lend it the 8 after the buffer, or the 8 before it when
            // the buffer ends memory.
            let extra = UInt64(preview1FilestatSize - filestatSize)
            let scratch: UInt64
            let lent: UInt64
            if buffer + UInt64(preview1FilestatSize) <= UInt64(linear.byteCount) {
                scratch = buffer
                lent = buffer + UInt64(filestatSize)
            } else {
                guard buffer >= extra else {
                    throw GuestError.memoryAccessOutOfBounds(
                        address: buffer, length: UInt64(preview1FilestatSize), memorySize: linear.byteCount)
                }
                scratch = buffer - extra
                lent = scratch
            }
            let saved = try linear.read(at: lent, count: Int(extra))
            var forwarded = arguments
            forwarded[index] = .i32(UInt32(scratch))
            let results: [Value]
            do {
                results = try preview1.body(memory, forwarded)
            } catch {
                try? linear.write(saved, at: lent)
                throw error
            }
            guard case .i32(0)? = results.first else {
                try linear.write(saved, at: lent)
                return results
            }
            let stat = try linear.read(at: scratch, count: preview1FilestatSize)
            try linear.write(saved, at: lent)
            guard let links = UInt32(exactly: stat.littleEndian(UInt64.self, at: 24)) else { return [.i32(overflow)] }
            // dev, ino and filetype as they are; nlink as a u32 at 20; size and the times from 24.
            let translated = Array(stat[0..<17]) + [0, 0, 0] + [UInt8].littleEndian(links) + Array(stat[32..<64])
            try linear.write(translated, at: buffer)
            return results
        }
    }

    /// `poll_oneoff(in, out, nsubscriptions, nevents)` over snapshot 0's subscriptions: they are
    /// rewritten in place in preview 1's (shorter) layout for the call, then restored.
    private static func pollOneoff<M>(_ preview1: WASIFunction<M>) -> WASIFunction<M> {
        WASIFunction(type: preview1.type) { memory, arguments in
            let linear = memory.linear
            let subscriptions = UInt64(u32(arguments, 0))
            let count = Int(u32(arguments, 2))
            guard count > 0 else { return try preview1.body(memory, arguments) }
            let original = try linear.read(at: subscriptions, count: count * subscriptionSize)
            var converted: [UInt8] = []
            converted.reserveCapacity(count * preview1SubscriptionSize)
            for start in stride(from: 0, to: original.count, by: subscriptionSize) {
                // userdata, then the tag and its padding.
                converted += original[start..<start + 16]
                if original[start + 8] == 0 {
                    // A clock: drop the identifier; id, timeout, precision and flags follow as in preview 1.
                    converted += original[start + 24..<start + 56]
                } else {
                    // fd_read or fd_write: the descriptor, then padding.
                    converted += original[start + 16..<start + 48]
                }
            }
            try linear.write(converted, at: subscriptions)
            let results: [Value]
            do {
                results = try preview1.body(memory, arguments)
            } catch {
                try? linear.write(original, at: subscriptions)
                throw error
            }
            guard case .i32(0)? = results.first else {
                try linear.write(original, at: subscriptions)
                return results
            }
            // The subscriptions come back as the guest wrote them; the events and their count,
            // written after them, win wherever the guest made them overlap.
            let events = UInt64(u32(arguments, 1))
            let countAddress = UInt64(u32(arguments, 3))
            let written = try linear.readUInt32(at: countAddress)
            let eventBytes = try linear.read(at: events, count: min(Int(written), count) * eventSize)
            try linear.write(original, at: subscriptions)
            try linear.write(eventBytes, at: events)
            try linear.writeUInt32(written, at: countAddress)
            return results
        }
    }

    private static func u32(_ arguments: [Value], _ index: Int) -> UInt32 {
        if index < arguments.count, case .i32(let value) = arguments[index] { return value }
        return 0
    }
}
