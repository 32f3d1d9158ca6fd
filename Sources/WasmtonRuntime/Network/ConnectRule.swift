/// One entry of a guest's network allow-list: a destination (an IPv4 address, a CIDR block, a
/// host name or any address) and a port range, parsed from `--allow-connect HOST:PORT`.
///
/// Examples: `localhost:8080`, `127.0.0.1:8000-8100`, `10.0.0.0/8:5432`, `*.internal:443`,
/// `*:80`. A name matches the addresses it resolves to when the guest connects.
public struct ConnectRule: Sendable, Equatable, CustomStringConvertible {
    /// Which addresses a rule covers.
    public enum Destination: Sendable, Equatable {
        /// Every address.
        case anyAddress
        /// The addresses in `network`/`prefixLength` (a single address has length 32).
        case network(IPv4Address, prefixLength: Int)
        /// The addresses a host name resolves to; `*.example.com` covers every subdomain.
        case name(String)
    }

    public var destination: Destination
    public var ports: ClosedRange<UInt16>

    public init(destination: Destination, ports: ClosedRange<UInt16>) {
        self.destination = destination
        self.ports = ports
    }

    /// Parses `HOST:PORT`, where HOST is a name, an IPv4 address, a CIDR block or `*`, and PORT
    /// is a number, a range `LOW-HIGH` or `*`.
    public init(parsing text: String) throws(NetworkPolicyError) {
        guard let colon = text.lastIndex(of: ":"), colon != text.startIndex else {
            throw .badRule(text, "expected HOST:PORT")
        }
        let host = String(text[..<colon])
        let port = String(text[text.index(after: colon)...])
        guard !host.contains(":") else { throw .badRule(text, "IPv6 destinations are not supported") }
        self.ports = try Self.parsePorts(port, rule: text)
        self.destination = try Self.parseDestination(host, rule: text)
    }

    public var description: String {
        let host: String
        switch destination {
        case .anyAddress: host = "*"
        case .network(let address, 32): host = "\(address)"
        case .network(let address, let length): host = "\(address)/\(length)"
        case .name(let name): host = name
        }
        let port: String
        if ports == 1...65_535 {
            port = "*"
        } else if ports.lowerBound == ports.upperBound {
            port = "\(ports.lowerBound)"
        } else {
            port = "\(ports.lowerBound)-\(ports.upperBound)"
        }
        return "\(host):\(port)"
    }

    /// Whether the rule covers `address` by address alone (names are matched by the caller,
    /// which knows what they resolve to).
    func covers(address: IPv4Address) -> Bool {
        switch destination {
        case .anyAddress:
            return true
        case .network(let network, let length):
            let mask: UInt32 = length == 0 ? 0 : ~0 << (32 - UInt32(length))
            return address.value & mask == network.value & mask
        case .name:
            return false
        }
    }

    /// Whether the rule's name pattern matches `name` (case-insensitively; `*.` matches subdomains).
    func matches(name: String) -> Bool {
        guard case .name(let pattern) = destination else { return false }
        let name = name.lowercased()
        if pattern.hasPrefix("*.") {
            return name.hasSuffix(pattern.dropFirst(1)) && name.count > pattern.count - 1
        }
        return name == pattern
    }

    private static func parsePorts(_ text: String, rule: String) throws(NetworkPolicyError) -> ClosedRange<UInt16> {
        if text == "*" { return 1...65_535 }
        let bounds = text.split(separator: "-", omittingEmptySubsequences: false)
        guard bounds.allSatisfy({ !$0.isEmpty && $0.allSatisfy { $0.isASCII && $0.isNumber } }) else {
            throw .badRule(rule, "port '\(text)' is not a port (1-65535), a range LOW-HIGH or *")
        }
        guard bounds.count <= 2, let low = UInt16(bounds[0]), let high = UInt16(bounds.last ?? ""), low >= 1 else {
            throw .badRule(rule, "port '\(text)' is not a port (1-65535), a range LOW-HIGH or *")
        }
        guard low <= high else { throw .badRule(rule, "port range \(text) is empty") }
        return low...high
    }

    private static func parseDestination(_ text: String, rule: String) throws(NetworkPolicyError) -> Destination {
        if text == "*" { return .anyAddress }
        if let slash = text.firstIndex(of: "/") {
            guard let address = IPv4Address(String(text[..<slash])),
                let length = Int(text[text.index(after: slash)...]), (0...32).contains(length)
            else { throw .badRule(rule, "'\(text)' is not an IPv4 CIDR block like 10.0.0.0/8") }
            return .network(address, prefixLength: length)
        }
        if let address = IPv4Address(text) { return .network(address, prefixLength: 32) }
        let name = text.lowercased()
        let labels = (name.hasPrefix("*.") ? String(name.dropFirst(2)) : name).split(
            separator: ".", omittingEmptySubsequences: false)
        let valid = labels.allSatisfy { label in
            !label.isEmpty && label.count <= 63 && label.first != "-" && label.last != "-"
                && label.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "-") }
        }
        guard valid, name.count <= 253, !labels.allSatisfy({ $0.allSatisfy(\.isNumber) }) else {
            throw .badRule(rule, "'\(text)' is not a host name, an IPv4 address, a CIDR block or *")
        }
        return .name(name)
    }
}
