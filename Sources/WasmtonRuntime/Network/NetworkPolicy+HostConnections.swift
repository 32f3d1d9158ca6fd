extension NetworkPolicy {
    /// Whether the host may connect to `host`:`port` on behalf of a guest of `module` (an HTTP
    /// host-call link, say), by the same rules as the guest's own sockets: a literal address must
    /// be covered by a rule; a name must match a name rule, or resolve only to covered addresses.
    /// A refusal is logged and counted like a guest's.
    public func allowsHostConnection(to host: String, port: UInt16, module: String) -> Bool {
        let access = NetworkAccess(policy: self, module: module)
        let allowed: Bool
        if let literal = IPv4Address(host) {
            allowed = access.allows(literal, port: port, resolvedNames: [])
        } else if self.allowed.contains(where: { $0.ports.contains(port) && $0.matches(name: host) }) {
            allowed = true
        } else if let addresses = try? HostResolver.addresses(of: host), !addresses.isEmpty {
            allowed = addresses.allSatisfy { access.allows($0, port: port, resolvedNames: []) }
        } else {
            allowed = false
        }
        if !allowed { access.deny(address: host, port: port) }
        return allowed
    }
}
