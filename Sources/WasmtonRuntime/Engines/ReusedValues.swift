/// An array of values that a call hands back, kept so that the next call can fill the same
/// storage: when the caller has let go of the last results by then (as callers that read a
/// result and move on do), no array is allocated; when it still holds them, copy-on-write gives
/// the next call a new one and the caller's stay as they were.
///
/// A guest call returns at most a handful of values, so an allocation and a release per call
/// were a sizeable part of a short call's cost.
struct ReusedValues {
    private var storage: [WasmValue] = []

    /// The array, holding `count` values for the caller to overwrite by index, and to hand back
    /// with ``keep(_:)``. Taken and kept rather than filled in place: an access to the owner's
    /// property that spans the caller's work would be checked for exclusivity at run time on
    /// every call. Overwritten rather than emptied and refilled: `removeAll(keepingCapacity:)`
    /// costs more than the few values a call returns.
    mutating func take(count: Int) -> [WasmValue] {
        var values = storage
        storage = []
        if values.count != count { values = Array(repeating: .i32(0), count: count) }
        return values
    }

    /// Keeps `values` (the results just made) for the next ``take(count:)``.
    mutating func keep(_ values: [WasmValue]) {
        storage = values
    }
}
