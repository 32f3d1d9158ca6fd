import Dispatch

/// Monotonic nanoseconds, for timing guest calls.
enum ReplayClock {
    static func now() -> UInt64 {
        DispatchTime.now().uptimeNanoseconds
    }
}
