import Foundation
import Synchronization

/// Looks host names up as IPv4 addresses (the system resolver: `/etc/hosts`, then DNS), with a
/// short process-wide cache so a guest that resolves per task does not query DNS per task.
enum HostResolver {
    enum Failure: Error, Equatable {
        /// The name does not exist or has no IPv4 address.
        case notFound
    }

    private struct Entry {
        var addresses: [IPv4Address]
        var expires: ContinuousClock.Instant
    }

    /// How long an answer is reused. Short: it stands in for the records' TTLs, which
    /// `getaddrinfo` does not report.
    static let cacheTime: Duration = .seconds(10)
    private static let cache = Mutex<[String: Entry]>([:])

    /// The IPv4 addresses of `name`, in the resolver's order without repeats; a dotted IPv4
    /// literal is returned as it is.
    static func addresses(of name: String) throws(Failure) -> [IPv4Address] {
        if let literal = IPv4Address(name) { return [literal] }
        let key = name.lowercased()
        let now = ContinuousClock.now
        if let hit = cache.withLock({ $0[key] }), hit.expires > now { return hit.addresses }
        let found = try lookUp(key)
        cache.withLock { cache in
            if cache.count > 1_024 { cache.removeAll() }
            cache[key] = Entry(addresses: found, expires: now + cacheTime)
        }
        return found
    }

    private static func lookUp(_ name: String) throws(Failure) -> [IPv4Address] {
        guard !name.isEmpty, name.utf8.count <= 253, !name.contains("\0") else { throw .notFound }
        var hints = addrinfo()
        hints.ai_family = AF_INET
        hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
        var list: UnsafeMutablePointer<addrinfo>?
        guard getaddrinfo(name, nil, &hints, &list) == 0, let first = list else { throw .notFound }
        defer { freeaddrinfo(first) }
        var found: [IPv4Address] = []
        var node: UnsafeMutablePointer<addrinfo>? = first
        while let entry = node {
            if entry.pointee.ai_family == AF_INET, let raw = entry.pointee.ai_addr {
                let address = raw.withMemoryRebound(to: sockaddr_in.self, capacity: 1) { pointer in
                    IPv4Address(UInt32(bigEndian: pointer.pointee.sin_addr.s_addr))
                }
                if !found.contains(address) { found.append(address) }
            }
            node = entry.pointee.ai_next
        }
        guard !found.isEmpty else { throw .notFound }
        return found
    }
}
