import Metrics

/// The socket extension's counters for one module: connects by outcome, denials by destination,
/// bytes each way, and open sockets.
struct NetworkMetrics {
    let module: String
    private let sent: Counter
    private let received: Counter
    private let open: Meter

    init(module: String) {
        self.module = module
        sent = Counter(label: "wasmton_socket_sent_bytes_total", dimensions: [("module", module)])
        received = Counter(label: "wasmton_socket_received_bytes_total", dimensions: [("module", module)])
        open = Meter(label: "wasmton_sockets_open", dimensions: [("module", module)])
    }

    /// A connect attempt that got as far as `outcome` (`ok`, `denied`, `refused`, `timeout`, `error`).
    func connect(_ outcome: String) {
        Counter(label: "wasmton_socket_connects_total", dimensions: [("module", module), ("outcome", outcome)])
            .increment()
    }

    /// A destination the allow-list refused; `port` is `*` for a name lookup.
    func denied(address: String, port: String) {
        Counter(
            label: "wasmton_socket_denied_total",
            dimensions: [("module", module), ("address", address), ("port", port)]
        ).increment()
    }

    func sent(_ bytes: Int) { if bytes > 0 { sent.increment(by: Int64(bytes)) } }
    func received(_ bytes: Int) { if bytes > 0 { received.increment(by: Int64(bytes)) } }
    func opened() { open.increment() }
    func closed(_ count: Int = 1) { if count > 0 { open.decrement(by: Double(count)) } }
}
