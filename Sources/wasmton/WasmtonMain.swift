import Foundation
import WasmtonCLI

/// The `wasmton` executable: everything lives in the WasmtonCLI library.
@main
enum WasmtonMain {
    /// Runs the (asynchronous) command line in a task, which exits the process when it is done,
    /// while this thread serves the main queue from its run loop.
    ///
    /// Not `static func main() async`: Swift's async entry point parks the main thread in
    /// `dispatch_main()`, whose `sigsuspend` valgrind 3.19 (Debian 12's) cannot follow, and the
    /// instruction-count benchmarks run `wasmton` under callgrind. The run loop does the same job,
    /// serving main-actor work and otherwise sleeping in `epoll_wait`.
    static func main() {
        Task.detached { await WasmtonCommand.runFromCommandLine() }
        while true { _ = RunLoop.main.run(mode: .default, before: .distantFuture) }
    }
}
