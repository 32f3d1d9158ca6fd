/// What an instance found for the exports it called, by name, for the last few it looked up: a
/// contract calls a handful of functions over and over (proxy-wasm seven per request, waPC and
/// PollTask one), and comparing a few short names (often the same string storage) costs less
/// than hashing one into a dictionary on every call, which remembering a single name fell back to.
struct RecentExports<Value> {
    /// The export looked up last: checked first, as a processor calls the same one every time.
    private var last: (name: String, value: Value)?
    /// The ones looked up before it, most recent first.
    private var earlier: [(name: String, value: Value)] = []
    /// More distinct names than this are looked up afresh, the oldest making room.
    static var capacity: Int { 8 }

    init() {}

    /// The value remembered for `name`, if any.
    func value(for name: String) -> Value? {
        let length = name.utf8.count
        if let last, Self.same(last.name, name, length) { return last.value }
        for index in earlier.indices where Self.same(earlier[index].name, name, length) { return earlier[index].value }
        return nil
    }

    /// Whether `known` is `name` (of `length` UTF-8 bytes): lengths first, which tells most
    /// export names apart (a contract's callbacks rarely share one) without comparing text.
    private static func same(_ known: String, _ name: String, _ length: Int) -> Bool {
        known.utf8.count == length && known == name
    }

    /// Remembers `value` for `name`, as the last one looked up.
    mutating func remember(_ value: Value, for name: String) {
        if let last {
            if earlier.count == Self.capacity - 1 { earlier.removeLast() }
            earlier.insert(last, at: 0)
        }
        last = (name, value)
    }
}
