import WasmKit

#if canImport(Glibc)
    import Glibc
#endif

/// One WasmKit execution stack per worker thread, reused across calls (by every engine with the
/// same stack size: a stack depends on nothing else of its engine).
///
/// `Function.invoke(_:)` allocates and frees a stack (512 KiB by default) on every call; guest
/// code always runs on threads Wasmton owns, so each thread keeps one stack for the engine it
/// last ran and lends it to each call. A nested call (a host function that calls into a guest
/// again) finds the stack busy and gets a fresh one for that call only.
enum ExecutionStackCache {
    final class Slot {
        let stackSize: Int
        var stack: ExecutionStack
        var busy = false

        init(engine: Engine) {
            self.stackSize = engine.configuration.stackSize
            self.stack = ExecutionStack(engine: engine)
        }
    }

    /// Runs `body` with this thread's stack for `engine`.
    static func withStack<R>(engine: Engine, _ body: (inout ExecutionStack) throws -> R) throws -> R {
        let slot = threadSlot(for: engine)
        if slot.busy {
            var fresh = ExecutionStack(engine: engine)
            return try body(&fresh)
        }
        slot.busy = true
        defer { slot.busy = false }
        return try body(&slot.stack)
    }

    /// The thread-specific slot. A pthread key, not `Thread.current.threadDictionary`: the
    /// dictionary lookup cost 1.7 µs per call in the benchmark, more than the reuse saves.
    private static let key: pthread_key_t = {
        var key = pthread_key_t()
        let status = pthread_key_create(&key) { raw in
            if let raw { Unmanaged<Slot>.fromOpaque(raw).release() }
        }
        precondition(status == 0, "pthread_key_create failed: \(status)")
        return key
    }()

    private static func threadSlot(for engine: Engine) -> Slot {
        if let raw = pthread_getspecific(key) {
            let current = Unmanaged<Slot>.fromOpaque(raw)
            if current.takeUnretainedValue().stackSize == engine.configuration.stackSize {
                return current.takeUnretainedValue()
            }
            current.release()
        }
        let slot = Slot(engine: engine)
        pthread_setspecific(key, Unmanaged.passRetained(slot).toOpaque())
        return slot
    }
}
