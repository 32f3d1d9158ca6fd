/// The modules links connect, for finding cycles before anything runs.
///
/// Wasmton cannot see which host calls a guest will make, so it assumes a module that imports
/// `wapc.__host_call` may use any link, except one leading back to itself (those are never
/// followed). A cycle is then a path of two or more modules leading back to its start. Only
/// cycles through the modules a command runs are refused at start (a module linked to several
/// others that all log through the host would otherwise be refused for nothing); the others are
/// cut at run time (``WapcLinkChain``).
struct WapcLinkGraph {
    private var names: [String] = []
    private var bytes: [[UInt8]] = []
    private var edges: [[Int]] = []

    /// The node of `module`, added if new; modules with the same bytes are one node.
    mutating func node(name: String, bytes moduleBytes: [UInt8]) -> Int {
        if let known = bytes.firstIndex(of: moduleBytes) { return known }
        names.append(name)
        bytes.append(moduleBytes)
        edges.append([])
        return names.count - 1
    }

    mutating func connect(_ from: Int, to: Int) {
        guard from != to, !edges[from].contains(to) else { return }
        edges[from].append(to)
    }

    /// The first cycle through one of `starts` (as node indices, from that node back to it).
    func cycle(through starts: [Int]) -> [Int]? {
        for start in starts {
            var visited: Set<Int> = []
            var path: [Int] = []
            func visit(_ node: Int) -> [Int]? {
                visited.insert(node)
                path.append(node)
                for next in edges[node] {
                    if next == start { return path + [start] }
                    if !visited.contains(next), let found = visit(next) { return found }
                }
                path.removeLast()
                return nil
            }
            if let found = visit(start) { return found }
        }
        return nil
    }

    func name(_ node: Int) -> String { names[node] }
}
