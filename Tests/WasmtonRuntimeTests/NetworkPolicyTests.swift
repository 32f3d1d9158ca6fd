import Testing

@testable import WasmtonRuntime

/// `--allow-connect HOST:PORT` rules: what parses, what each rule covers, and the error a user
/// sees for a rule that does not parse.
@Suite("Network policy: --allow-connect rules")
struct NetworkPolicyTests {
    static func address(_ text: String) throws -> IPv4Address {
        try #require(IPv4Address(text), "\(text) is not a dotted IPv4 address")
    }

    static func rule(_ text: String) throws -> ConnectRule {
        try ConnectRule(parsing: text)
    }

    // MARK: - Parsing

    @Test("IPv4 addresses are u32s whose most significant byte is the first octet")
    func addresses() throws {
        #expect(try Self.address("127.0.0.1").value == 0x7F00_0001)
        #expect(try Self.address("10.20.30.40").value == 0x0A14_1E28)
        #expect(try Self.address("255.255.255.255").value == 0xFFFF_FFFF)
        #expect(IPv4Address(0xC0A8_0001).description == "192.168.0.1")
        for bad in ["", "1.2.3", "1.2.3.4.5", "256.0.0.1", "1..2.3", "a.b.c.d", "1.2.3.4 ", "1.2.3.1000"] {
            #expect(IPv4Address(bad) == nil, "\(bad) parsed as an address")
        }
    }

    static let goodRules: [(String, ConnectRule.Destination, ClosedRange<UInt16>)] = [
        ("localhost:8080", .name("localhost"), 8080...8080),
        ("127.0.0.1:8000-8100", .network(IPv4Address(0x7F00_0001), prefixLength: 32), 8000...8100),
        ("10.0.0.0/8:5432", .network(IPv4Address(0x0A00_0000), prefixLength: 8), 5432...5432),
        ("192.168.1.0/24:*", .network(IPv4Address(0xC0A8_0100), prefixLength: 24), 1...65_535),
        ("0.0.0.0/0:443", .network(IPv4Address(0), prefixLength: 0), 443...443),
        ("*:80", .anyAddress, 80...80),
        ("*:*", .anyAddress, 1...65_535),
        ("*.internal:443", .name("*.internal"), 443...443),
        ("db-1.example.com:1-65535", .name("db-1.example.com"), 1...65_535),
        ("DB.Example.COM:5432", .name("db.example.com"), 5432...5432),
        ("127.0.0.1:1", .network(IPv4Address(0x7F00_0001), prefixLength: 32), 1...1),
        ("127.0.0.1:65535", .network(IPv4Address(0x7F00_0001), prefixLength: 32), 65_535...65_535),
        ("redis:6379-6379", .name("redis"), 6379...6379),
    ]

    @Test(
        "a rule names a host (name, IPv4 address, CIDR block, *) and a port (number, range, *)", arguments: goodRules)
    func parses(text: String, destination: ConnectRule.Destination, ports: ClosedRange<UInt16>) throws {
        let rule = try Self.rule(text)
        #expect(rule.destination == destination)
        #expect(rule.ports == ports)
        #expect(rule == ConnectRule(destination: destination, ports: ports))
    }

    @Test("a rule prints as it is written, and its printed form parses back to the same rule")
    func descriptions() throws {
        let written: [(String, String)] = [
            ("localhost:8080", "localhost:8080"),
            ("127.0.0.1:8000-8100", "127.0.0.1:8000-8100"),
            ("10.0.0.0/8:5432", "10.0.0.0/8:5432"),
            ("*:*", "*:*"),
            ("*.internal:1-65535", "*.internal:*"),
            ("127.0.0.1/32:80", "127.0.0.1:80"),
            ("Redis:6379-6379", "redis:6379"),
        ]
        for (text, printed) in written {
            let rule = try Self.rule(text)
            #expect(rule.description == printed, "\(text)")
            #expect(try Self.rule(rule.description) == rule, "\(text) does not round-trip")
        }
    }

    static let badRules: [String] = [
        "localhost",  // no port
        "8080",  // no host
        ":8080",  // empty host
        "localhost:",  // empty port
        "localhost:0",  // port 0
        "localhost:65536",  // beyond 16 bits
        "localhost:http",  // service names are not ports
        "localhost:-80",
        "localhost:80-",
        "localhost:90-80",  // empty range
        "localhost:0-80",  // range starting at 0
        "localhost:1-2-3",
        "localhost: 80",
        "::1:80",  // IPv6
        "[::1]:80",
        "10.0.0.0/33:80",  // prefix too long
        "10.0.0.0/-1:80",
        "10.0.0.0/:80",
        "10.0.0/8:80",
        "10.0.0.0/8/8:80",
        "256.1.1.1:80",  // all-numeric but not an address
        "1.2.3:80",
        "1.2.3.4.5:80",
        "-bad.example:80",  // label starting with '-'
        "bad-.example:80",  // label ending with '-'
        "a..b:80",  // empty label
        "trailing.dot.:80",
        "under_score.example:80",
        "host name:80",
        "ünïcode.example:80",
        "*.:80",  // wildcard with no domain
        "foo*.example:80",
        "*.*.example:80",
        "*example.com:80",
        String(repeating: "a", count: 64) + ".example:80",  // label longer than 63
        Array(repeating: "abcdefghi", count: 26).joined(separator: ".") + ":80",  // name longer than 253
    ]

    @Test("every malformed rule is a NetworkPolicyError whose message quotes the rule", arguments: badRules)
    func rejects(text: String) {
        do throws(NetworkPolicyError) {
            let rule = try ConnectRule(parsing: text)
            Issue.record("'\(text)' parsed as \(rule)")
        } catch {
            switch error {
            case .badRule(let rule, let reason):
                #expect(rule == text)
                #expect(!reason.isEmpty)
                #expect(error.description.contains("--allow-connect '\(text)'"), "\(error.description)")
                #expect(error.description.contains(reason))
            }
        }
    }

    @Test("the reason says what is wrong: the HOST:PORT shape, the port, the CIDR block, IPv6, the host")
    func reasons() {
        func reason(_ text: String) -> String {
            do throws(NetworkPolicyError) {
                _ = try ConnectRule(parsing: text)
                return "parsed"
            } catch {
                switch error {
                case .badRule(_, let reason): return reason
                }
            }
        }
        #expect(reason("localhost").contains("HOST:PORT"))
        #expect(reason("localhost:99999").contains("port"))
        #expect(reason("localhost:90-80").contains("empty"))
        #expect(reason("10.0.0.0/40:80").contains("CIDR"))
        #expect(reason("::1:80").contains("IPv6"))
        #expect(reason("bad_host:80").contains("host name"))
    }

    @Test("NetworkPolicy(allowing:) parses every rule and fails on the first bad one, naming it")
    func policy() throws {
        let policy = try NetworkPolicy(allowing: ["localhost:8080", "10.0.0.0/8:5432"])
        #expect(policy.allowed == [try Self.rule("localhost:8080"), try Self.rule("10.0.0.0/8:5432")])
        #expect(policy.allowsAnything)
        #expect(throws: NetworkPolicyError.badRule("nonsense", "expected HOST:PORT")) {
            try NetworkPolicy(allowing: ["localhost:8080", "nonsense", "also bad"])
        }
    }

    @Test("the default policy allows nothing, with 16 sockets, a 5 s connect and a 30 s I/O timeout")
    func defaults() throws {
        let policy = NetworkPolicy()
        #expect(policy.allowed.isEmpty)
        #expect(!policy.allowsAnything)
        #expect(policy.maxSockets == 16)
        #expect(policy.connectTimeout == .seconds(5))
        #expect(policy.ioTimeout == .seconds(30))
        #expect(Sandbox().network == policy)
        #expect(try NetworkPolicy(allowing: []) == policy)
    }

    // MARK: - Matching

    @Test("an address rule covers its CIDR block and nothing outside it")
    func cidr() throws {
        let block = try Self.rule("10.1.2.3/8:80")  // host bits set: still the block 10.0.0.0/8
        #expect(block.covers(address: try Self.address("10.0.0.0")))
        #expect(block.covers(address: try Self.address("10.255.255.255")))
        #expect(!block.covers(address: try Self.address("11.0.0.0")))
        #expect(!block.covers(address: try Self.address("9.255.255.255")))

        let pair = try Self.rule("192.168.1.2/31:80")
        #expect(pair.covers(address: try Self.address("192.168.1.2")))
        #expect(pair.covers(address: try Self.address("192.168.1.3")))
        #expect(!pair.covers(address: try Self.address("192.168.1.1")))
        #expect(!pair.covers(address: try Self.address("192.168.1.4")))

        let single = try Self.rule("127.0.0.1:80")
        #expect(single.covers(address: try Self.address("127.0.0.1")))
        #expect(!single.covers(address: try Self.address("127.0.0.2")))
        #expect(!single.covers(address: try Self.address("127.0.0.0")))

        for everything in ["0.0.0.0/0:80", "*:80"] {
            let rule = try Self.rule(everything)
            for text in ["0.0.0.0", "8.8.8.8", "127.0.0.1", "255.255.255.255"] {
                #expect(rule.covers(address: try Self.address(text)), "\(everything) should cover \(text)")
            }
        }
        // A name rule covers no address by itself: only what the name resolves to.
        #expect(!(try Self.rule("localhost:80")).covers(address: try Self.address("127.0.0.1")))
    }

    @Test("a name rule matches its name case-insensitively; *.domain matches subdomains only")
    func names() throws {
        let exact = try Self.rule("api.example.com:443")
        #expect(exact.matches(name: "api.example.com"))
        #expect(exact.matches(name: "API.Example.Com"))
        #expect(!exact.matches(name: "example.com"))
        #expect(!exact.matches(name: "x.api.example.com"))
        #expect(!exact.matches(name: "api.example.com.evil"))

        let wildcard = try Self.rule("*.example.com:443")
        #expect(wildcard.matches(name: "a.example.com"))
        #expect(wildcard.matches(name: "a.b.example.com"))
        #expect(wildcard.matches(name: "A.EXAMPLE.COM"))
        #expect(!wildcard.matches(name: "example.com"))
        #expect(!wildcard.matches(name: "badexample.com"))
        #expect(!wildcard.matches(name: ".example.com"))
        #expect(!wildcard.matches(name: "a.example.com.evil"))

        #expect(!(try Self.rule("127.0.0.1:443")).matches(name: "127.0.0.1"))
        #expect(!(try Self.rule("*:443")).matches(name: "anything"))
    }

    @Test("a destination is allowed only when one rule covers both its address and its port")
    func allows() throws {
        let access = NetworkAccess(
            policy: try NetworkPolicy(allowing: ["127.0.0.1:8000-8100", "10.0.0.0/8:5432", "*.internal:443"]),
            module: "policy-test")
        let loopback = try Self.address("127.0.0.1")
        #expect(access.allows(loopback, port: 8000, resolvedNames: []))
        #expect(access.allows(loopback, port: 8100, resolvedNames: []))
        #expect(!access.allows(loopback, port: 7999, resolvedNames: []))
        #expect(!access.allows(loopback, port: 8101, resolvedNames: []))
        #expect(!access.allows(try Self.address("127.0.0.2"), port: 8000, resolvedNames: []))
        #expect(access.allows(try Self.address("10.9.8.7"), port: 5432, resolvedNames: []))
        // Address and port must match the same rule: 10/8 is open on 5432 only.
        #expect(!access.allows(try Self.address("10.9.8.7"), port: 8000, resolvedNames: []))
        // A wildcard name rule covers an address only through a name the guest resolved.
        let other = try Self.address("192.0.2.7")
        #expect(!access.allows(other, port: 443, resolvedNames: []))
        #expect(access.allows(other, port: 443, resolvedNames: ["db.internal"]))
        #expect(!access.allows(other, port: 443, resolvedNames: ["db.external"]))
        #expect(!access.allows(other, port: 444, resolvedNames: ["db.internal"]))

        let closed = NetworkAccess(policy: NetworkPolicy(), module: "policy-test")
        #expect(!closed.allows(loopback, port: 80, resolvedNames: []))
        #expect(!closed.allows(loopback, port: 80, resolvedNames: ["localhost"]))
    }

    @Test("a name rule allows the addresses its name resolves to (localhost → 127.0.0.1), on its ports")
    func nameRuleAddresses() throws {
        let access = NetworkAccess(policy: try NetworkPolicy(allowing: ["localhost:9000"]), module: "policy-test")
        #expect(access.allows(try Self.address("127.0.0.1"), port: 9000, resolvedNames: []))
        #expect(!access.allows(try Self.address("127.0.0.1"), port: 9001, resolvedNames: []))
        #expect(!access.allows(try Self.address("127.0.0.2"), port: 9000, resolvedNames: []))
    }

    @Test(
        "resolving: a listed name resolves; a name whose addresses are all unlisted is denied; no rules, no lookup; literals pass"
    )
    func resolving() throws {
        let byName = NetworkAccess(policy: try NetworkPolicy(allowing: ["localhost:80"]), module: "policy-test")
        #expect(try byName.resolve("localhost").get() == [try Self.address("127.0.0.1")])
        #expect(try byName.resolve("LOCALHOST").get() == [try Self.address("127.0.0.1")])

        let byAddress = NetworkAccess(policy: try NetworkPolicy(allowing: ["127.0.0.0/8:80"]), module: "policy-test")
        #expect(try byAddress.resolve("localhost").get() == [try Self.address("127.0.0.1")])
        #expect(try byAddress.resolve("127.0.0.9").get() == [try Self.address("127.0.0.9")])

        let elsewhere = NetworkAccess(policy: try NetworkPolicy(allowing: ["127.0.0.2/32:80"]), module: "policy-test")
        #expect(elsewhere.resolve("localhost") == .failure(.accessDenied))
        // A dotted literal needs no lookup and comes back as it is: the connect, which knows the
        // port, decides (and names the port in its denial).
        #expect(try elsewhere.resolve("127.0.0.1").get() == [try Self.address("127.0.0.1")])

        let closed = NetworkAccess(policy: NetworkPolicy(), module: "policy-test")
        #expect(closed.resolve("localhost") == .failure(.accessDenied))
        #expect(try closed.resolve("10.1.2.3").get() == [try Self.address("10.1.2.3")])
    }
}
