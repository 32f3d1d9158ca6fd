import Synchronization
// `@_spi(Fuzzing)`: WasmKit 0.4.2 exposes `ResourceLimiter` and `Store.resourceLimiter`, the only
// way to cap a store's memory growth, under its fuzzing SPI. Package.swift pins WasmKit exactly,
// so an upgrade that moves or renames them fails to compile here rather than drifting.
@_spi(Fuzzing) import WasmKit

/// Caps the linear memory one instance may have, and remembers when it said no.
///
/// A denied `memory.grow` returns -1 to the guest, as Wasm requires. Guests usually trap soon
/// after (an allocator that gives up); remembering the denial lets the Runtime report that trap
/// as what it is, the memory limit, rather than as the `unreachable` it surfaced as.
final class MemoryLimiter: ResourceLimiter {
    let maxBytes: Int?
    private let denied = Mutex(false)

    init(maxBytes: Int?) {
        self.maxBytes = maxBytes
    }

    func limitMemoryGrowth(to desired: Int) throws -> Bool {
        guard let maxBytes else { return true }
        if desired <= maxBytes { return true }
        denied.withLock { $0 = true }
        return false
    }

    func limitTableGrowth(to desired: Int) throws -> Bool {
        desired <= 10_000_000
    }

    /// Whether growth was denied since the last call, clearing the flag.
    func takeDenied() -> Bool {
        denied.withLock { value in
            defer { value = false }
            return value
        }
    }
}
