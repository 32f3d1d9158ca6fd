/// The modules links connect, for finding cycles before anything runs.
///
/// Wasmton cannot see which host calls a guest will make, so it assumes a module that imports
/// `wapc.__host_call` may use any link, except one leading back to itself (those are never
/// followed). A cycle is then a path of two or more modules leading back to its start.
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

    /// The first cycle found, as node indices with the first repeated at the end.
    func cycle() -> [Int]? {
        enum Mark { case unvisited, onPath, done }
        var marks = Array(repeating: Mark.unvisited, count: names.count)
        var path: [Int] = []
        func visit(_ node: Int) -> [Int]? {
            marks[node] = .onPath
            path.append(node)
            for next in edges[node] {
                switch marks[next] {
                case .onPath:
                    let start = path.firstIndex(of: next) ?? 0
                    return Array(path[start...]) + [next]
                case .unvisited:
                    if let found = visit(next) { return found }
                case .done:
                    continue
                }
            }
            marks[node] = .done
            path.removeLast()
            return nil
        }
        for node in names.indices where marks[node] == .unvisited {
            if let found = visit(node) { return found }
        }
        return nil
    }

    func name(_ node: Int) -> String { names[node] }
}

