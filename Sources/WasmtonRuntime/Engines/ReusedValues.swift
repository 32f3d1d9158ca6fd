/// An array of values that a call hands back, kept so that the next call can fill the same
/// storage: when the caller has let go of the last results by then (as callers that read a
/// result and move on do), no array is allocated; when it still holds them, copy-on-write gives
/// the next call a new one and the caller's stay as they were.
///
/// A guest call returns at most a handful of values, so an allocation and a release per call
/// were a sizeable part of a short call's cost.
struct ReusedValues {
    private var storage: [WasmValue] = []

    /// Empties the array, lets `fill` append the new values, and returns it.
    mutating func fill(_ fill: (inout [WasmValue]) -> Void) -> [WasmValue] {
        storage.removeAll(keepingCapacity: true)
        fill(&storage)
        return storage
    }
}
