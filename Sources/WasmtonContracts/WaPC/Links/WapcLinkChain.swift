/// The modules a chain of linked calls runs through on this thread (a linked call runs on its
/// caller's thread while the caller waits), so a linked call never enters a module already on
/// the way: links that could call each other in a circle fail the host call instead of
/// recursing until the stack runs out.
enum WapcLinkChain {
    /// One module on the way: its name (for the message) and its bytes (its identity).
    struct Entry: Sendable {
        var name: String
        var bytes: [UInt8]
    }

    /// The chain of the linked call running on this thread; empty outside linked calls. A task
    /// local, which outside a task (guest threads) is a thread local.
    @TaskLocal static var current: [Entry] = []
}
