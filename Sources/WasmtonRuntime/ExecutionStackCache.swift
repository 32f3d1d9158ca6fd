import Foundation
import WasmKit

/// One WasmKit execution stack per worker thread, reused across calls.
///
/// `Function.invoke(_:)` allocates and frees a stack (512 KiB by default) on every call; guest
/// code always runs on threads Wasmton owns, so each thread keeps one stack for the engine it
/// last ran and lends it to each call. A nested call (a host function that calls into a guest
/// again) finds the stack busy and gets a fresh one for that call only.
enum ExecutionStackCache {
    final class Slot {
        let engine: Engine
        var stack: ExecutionStack
        var busy = false

        init(engine: Engine) {
            self.engine = engine
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

    private static let key = "org.wasmton.execution-stack"

    private static func threadSlot(for engine: Engine) -> Slot {
        let dictionary = Thread.current.threadDictionary
        if let slot = dictionary[key] as? Slot, slot.engine === engine {
            return slot
        }
        let slot = Slot(engine: engine)
        dictionary[key] = slot
        return slot
    }
}
