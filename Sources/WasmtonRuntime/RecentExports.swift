/// What an instance found for the exports it called last, by name: a contract calls a handful
/// of functions over and over (proxy-wasm seven per request, waPC one or two), and comparing a
/// few short names (often the same string storage) costs less than hashing one into a dictionary
/// on every call, which is what a single remembered name fell back to.
struct RecentExports<Value> {
    private var entries: [(name: String, value: Value)] = []
    /// More distinct names than this are looked up afresh, the oldest making room.
    static var capacity: Int { 8 }

    init() {}

    /// The value remembered for `name`, if any.
    func value(for name: String) -> Value? {
        for entry in entries where entry.name == name { return entry.value }
        return nil
    }

    /// Remembers `value` for `name`, in front of the others.
    mutating func remember(_ value: Value, for name: String) {
        if entries.count == Self.capacity { entries.removeLast() }
        entries.insert((name, value), at: 0)
    }
}
