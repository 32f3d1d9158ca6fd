import Logging

/// Decides, for one instance, whether a destination is on the allow-list, and reports every
/// refusal (one warning and one count per denied destination).
struct NetworkAccess {
    let policy: NetworkPolicy
    let metrics: NetworkMetrics
    private let logger = Logger(label: "wasmton.network")

    init(policy: NetworkPolicy, module: String) {
        self.policy = policy
        self.metrics = NetworkMetrics(module: policy.moduleLabel ?? module)
    }

    /// Whether the guest may connect to `address` on `port` (any port when `nil`). `resolvedNames`
    /// are the names this instance looked up that gave `address`, so a `*.example.com` rule covers
    /// the addresses its subdomains resolved to.
    func allows(_ address: IPv4Address, port: UInt16?, resolvedNames: Set<String>) -> Bool {
        for rule in policy.allowed where port.map(rule.ports.contains) ?? true {
            if rule.covers(address: address) { return true }
            guard case .name(let pattern) = rule.destination else { continue }
            if resolvedNames.contains(where: rule.matches(name:)) { return true }
            if !pattern.hasPrefix("*."), let addresses = try? HostResolver.addresses(of: pattern),
                addresses.contains(address)
            {
                return true
            }
        }
        return false
    }

    /// The addresses of `name` that the guest may reach, or why there are none: `notFound` when the
    /// name does not resolve, `accessDenied` when it resolves only to addresses outside the list.
    func resolve(_ name: String) -> Result<[IPv4Address], SocketErrno> {
        // A literal needs no lookup: hand it back and let the connect, which knows the port, decide.
        if let literal = IPv4Address(name) { return .success([literal]) }
        guard policy.allowsAnything else {
            deny(address: name, port: nil)
            return .failure(.accessDenied)
        }
        let addresses: [IPv4Address]
        do {
            addresses = try HostResolver.addresses(of: name)
        } catch {
            return .failure(.notFound)
        }
        if policy.allowed.contains(where: { $0.matches(name: name) }) { return .success(addresses) }
        let reachable = addresses.filter { allows($0, port: nil, resolvedNames: []) }
        guard !reachable.isEmpty else {
            deny(address: name, port: nil, resolved: addresses)
            return .failure(.accessDenied)
        }
        return .success(reachable)
    }

    /// Logs and counts a refused destination (`resolved`: what a denied name resolved to).
    func deny(address: String, port: UInt16?, resolved: [IPv4Address] = []) {
        let portText = port.map(String.init) ?? "*"
        metrics.denied(address: address, port: portText)
        var metadata: Logger.Metadata = ["module": "\(metrics.module)", "address": "\(address)", "port": "\(portText)"]
        if !resolved.isEmpty { metadata["resolved"] = "\(resolved.map(\.description).joined(separator: ","))" }
        logger.warning("guest network access denied by the allow-list", metadata: metadata)
    }
}
