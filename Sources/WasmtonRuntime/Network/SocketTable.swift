import Foundation

/// The sockets one instance has open, under descriptors of their own.
///
/// WasmKit's WASI numbers its descriptors upwards from 3; sockets get numbers from
/// ``firstDescriptor`` up, which WasmKit never reaches, so the WASI wrappers can tell a socket
/// from a file by its number alone. Numbers are never reused within an instance, so a descriptor
/// kept after `close` fails with `EBADF` instead of reaching a newer socket.
///
/// Confined to its instance's lock: every method runs inside a call on that instance.
final class SocketTable {
    static let firstDescriptor: UInt32 = 1 << 30

    private struct OpenSocket {
        var handle: Int32
        /// The guest set `O_NONBLOCK`: a send or receive that would wait answers `EAGAIN` instead.
        var nonBlocking = false
    }

    let access: NetworkAccess
    private var sockets: [UInt32: OpenSocket] = [:]
    private var nextDescriptor = SocketTable.firstDescriptor
    /// Names this instance resolved through an allowed name rule, by the address they gave.
    private var resolvedNames: [IPv4Address: Set<String>] = [:]

    init(policy: NetworkPolicy, module: String) {
        self.access = NetworkAccess(policy: policy, module: module)
    }

    deinit {
        closeAll()
    }

    var policy: NetworkPolicy { access.policy }

    /// Whether `descriptor` is in the socket range (open or not).
    static func isSocket(_ descriptor: UInt32) -> Bool {
        descriptor >= firstDescriptor
    }

    // MARK: - Names

    /// The allowed addresses of `name`, remembered so a connect to them passes the name's rule.
    func resolve(_ name: String) -> Result<[IPv4Address], SocketErrno> {
        let result = access.resolve(name)
        if case .success(let addresses) = result, access.policy.allowed.contains(where: { $0.matches(name: name) }) {
            for address in addresses { resolvedNames[address, default: []].insert(name.lowercased()) }
        }
        return result
    }

    // MARK: - Connecting

    /// Opens a TCP connection to `address`:`port` if the allow-list permits it and the instance
    /// has a socket to spare.
    func connect(
        _ address: IPv4Address, port: UInt16, clock: SocketClock
    ) throws(GuestError) -> Result<
        UInt32, SocketErrno
    > {
        guard port != 0 else { return .failure(.invalid) }
        guard access.allows(address, port: port, resolvedNames: resolvedNames[address] ?? []) else {
            access.deny(address: "\(address)", port: port)
            access.metrics.connect("denied")
            return .failure(.accessDenied)
        }
        guard sockets.count < access.policy.maxSockets else {
            access.metrics.connect("limit")
            return .failure(.tooManySockets)
        }
        let handle = socket(
            AF_INET, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue) | Int32(SOCK_NONBLOCK.rawValue), 0)
        guard handle >= 0 else {
            access.metrics.connect("error")
            return .failure(SocketErrno(posix: errno))
        }
        var keep = false
        defer { if !keep { Foundation.close(handle) } }
        var one: Int32 = 1
        _ = setsockopt(handle, Int32(IPPROTO_TCP), TCP_NODELAY, &one, socklen_t(MemoryLayout<Int32>.size))

        var target = sockaddr_in()
        target.sin_family = sa_family_t(AF_INET)
        target.sin_port = port.bigEndian
        target.sin_addr.s_addr = address.value.bigEndian
        let started = withUnsafePointer(to: &target) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                Foundation.connect(handle, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
        if started != 0 {
            guard errno == EINPROGRESS else {
                let failure = SocketErrno(posix: errno)
                access.metrics.connect(failure == .connectionRefused ? "refused" : "error")
                return .failure(failure)
            }
            switch try clock.wait(handle, for: Int16(POLLOUT), limit: access.policy.connectTimeout) {
            case .timedOut:
                access.metrics.connect("timeout")
                return .failure(.timedOut)
            case .ready:
                var code: Int32 = 0
                var length = socklen_t(MemoryLayout<Int32>.size)
                getsockopt(handle, SOL_SOCKET, SO_ERROR, &code, &length)
                if code != 0 {
                    let failure = SocketErrno(posix: code)
                    access.metrics.connect(failure == .connectionRefused ? "refused" : "error")
                    return .failure(failure)
                }
            }
        }
        let descriptor = nextDescriptor
        nextDescriptor &+= 1
        if nextDescriptor < Self.firstDescriptor { nextDescriptor = Self.firstDescriptor }
        sockets[descriptor] = OpenSocket(handle: handle)
        keep = true
        access.metrics.connect("ok")
        access.metrics.opened()
        return .success(descriptor)
    }

    // MARK: - Data

    /// Sends all of `bytes`, waiting for buffer space up to the I/O timeout. Returns how many
    /// bytes went out, or the error if none did.
    func send(_ descriptor: UInt32, _ bytes: [UInt8], clock: SocketClock) throws(GuestError) -> Result<Int, SocketErrno> {
        guard let socket = sockets[descriptor] else { return .failure(.badDescriptor) }
        var offset = 0
        while offset < bytes.count {
            let count = bytes.withUnsafeBytes { buffer in
                Foundation.send(socket.handle, buffer.baseAddress! + offset, bytes.count - offset, Int32(MSG_NOSIGNAL))
            }
            if count >= 0 {
                offset += count
                continue
            }
            let code = errno
            if code == EINTR { continue }
            var stopped: SocketErrno?
            if code != EAGAIN && code != EWOULDBLOCK {
                stopped = SocketErrno(posix: code)
            } else if socket.nonBlocking {
                stopped = .again
            } else if case .timedOut = try clock.wait(socket.handle, for: Int16(POLLOUT), limit: access.policy.ioTimeout) {
                stopped = .timedOut
            }
            if let stopped {
                access.metrics.sent(offset)
                return offset > 0 ? .success(offset) : .failure(stopped)
            }
        }
        access.metrics.sent(offset)
        return .success(offset)
    }

    /// Receives up to `capacity` bytes, waiting for data up to the I/O timeout. An empty result
    /// means the peer closed its side. `peek` leaves the bytes in the socket; `waitAll` waits
    /// until `capacity` bytes or the end of the stream.
    func receive(
        _ descriptor: UInt32, capacity: Int, peek: Bool, waitAll: Bool, clock: SocketClock
    ) throws(GuestError) -> Result<[UInt8], SocketErrno> {
        guard let socket = sockets[descriptor] else { return .failure(.badDescriptor) }
        var received: [UInt8] = []
        guard capacity > 0 else { return .success([]) }
        var buffer = [UInt8](repeating: 0, count: capacity)
        while received.count < capacity {
            let wanted = capacity - received.count
            let count = buffer.withUnsafeMutableBytes { raw in
                recv(socket.handle, raw.baseAddress!, wanted, peek ? Int32(MSG_PEEK) : 0)
            }
            if count > 0 {
                received.append(contentsOf: buffer[0..<count])
                if peek || !waitAll { break }
                continue
            }
            if count == 0 { break }  // the peer closed its side
            let code = errno
            if code == EINTR { continue }
            guard code == EAGAIN || code == EWOULDBLOCK else {
                if received.isEmpty { return .failure(SocketErrno(posix: code)) }
                break
            }
            if socket.nonBlocking {
                if received.isEmpty { return .failure(.again) }
                break
            }
            if case .timedOut = try clock.wait(socket.handle, for: Int16(POLLIN), limit: access.policy.ioTimeout) {
                if received.isEmpty { return .failure(.timedOut) }
                break
            }
        }
        if !peek { access.metrics.received(received.count) }
        return .success(received)
    }

    /// Shuts down reading (`how` 1), writing (2) or both (3).
    func shutdown(_ descriptor: UInt32, how: UInt32) -> SocketErrno {
        guard let socket = sockets[descriptor] else { return .badDescriptor }
        let direction: Int32
        switch how {
        case 1: direction = Int32(SHUT_RD)
        case 2: direction = Int32(SHUT_WR)
        case 3: direction = Int32(SHUT_RDWR)
        default: return .invalid
        }
        return Foundation.shutdown(socket.handle, direction) == 0 ? .success : SocketErrno(posix: errno)
    }

    /// Closes one socket; its number is never handed out again.
    func close(_ descriptor: UInt32) -> SocketErrno {
        guard let socket = sockets.removeValue(forKey: descriptor) else { return .badDescriptor }
        Foundation.close(socket.handle)
        access.metrics.closed()
        return .success
    }

    /// Closes every socket (the instance is being discarded, or its call failed).
    func closeAll() {
        guard !sockets.isEmpty else { return }
        for socket in sockets.values { Foundation.close(socket.handle) }
        access.metrics.closed(sockets.count)
        sockets.removeAll()
    }

    /// Whether the guest made the socket non-blocking (`fd_fdstat_set_flags` with `NONBLOCK`).
    func isNonBlocking(_ descriptor: UInt32) -> Bool {
        sockets[descriptor]?.nonBlocking ?? false
    }

    /// Sets or clears the guest's `NONBLOCK` flag; other flags (append, sync…) mean nothing for a
    /// socket and are refused with `EINVAL`.
    func setFlags(_ descriptor: UInt32, _ flags: UInt32) -> SocketErrno {
        guard sockets[descriptor] != nil else { return .badDescriptor }
        guard flags & ~4 == 0 else { return .invalid }
        sockets[descriptor]?.nonBlocking = flags & 4 != 0
        return .success
    }

    /// The host handle of an open socket, for `poll_oneoff`.
    func handle(of descriptor: UInt32) -> Int32? {
        sockets[descriptor]?.handle
    }

    /// How many bytes can be read from `descriptor` without waiting.
    func bytesAvailable(_ descriptor: UInt32) -> Int {
        guard let handle = sockets[descriptor]?.handle else { return 0 }
        var count: Int32 = 0
        return ioctl(handle, UInt(FIONREAD), &count) == 0 ? Int(count) : 0
    }
}
