import Foundation

/// One `poll_oneoff` that waits on at least one socket: its subscriptions, as the guest laid them
/// out, and the events it answers with.
///
/// Socket subscriptions wait in `poll(2)`; clock subscriptions bound the wait (the earliest one
/// fires if nothing else does); a subscription on any other descriptor (a file, stdio) is
/// reported ready at once, as files always are. With no clock subscription the wait is bounded
/// by the policy's I/O timeout, after which the socket subscriptions report `ETIMEDOUT`.
struct SocketPoll {
    static let subscriptionSize = 48
    static let eventSize = 32

    private enum Kind: UInt8 {
        case clock = 0
        case read = 1
        case write = 2
    }

    private struct Subscription {
        var userData: [UInt8]
        var kind: Kind?
        var descriptor: UInt32
        /// For clocks: nanoseconds from now until it fires.
        var wait: Duration
    }

    private let subscriptions: [Subscription]

    init(raw: [UInt8], count: Int) {
        func u32(_ offset: Int) -> UInt32 { raw.littleEndian(UInt32.self, at: offset) }
        var parsed: [Subscription] = []
        for index in 0..<count {
            let base = index * Self.subscriptionSize
            let kind = Kind(rawValue: raw[base + 8])
            var wait = Duration.zero
            if kind == .clock {
                let clockID = u32(base + 16)
                let timeout = raw.littleEndian(UInt64.self, at: base + 24)
                let absolute = raw[base + 40] & 1 != 0
                var nanoseconds = Int64(clamping: timeout)
                if absolute {
                    var now = timespec()
                    clock_gettime(clockID == 0 ? CLOCK_REALTIME : CLOCK_MONOTONIC, &now)
                    nanoseconds -= Int64(now.tv_sec) * 1_000_000_000 + Int64(now.tv_nsec)
                }
                wait = .nanoseconds(max(nanoseconds, 0))
            }
            parsed.append(
                Subscription(
                    userData: Array(raw[base..<base + 8]), kind: kind, descriptor: u32(base + 16), wait: wait))
        }
        subscriptions = parsed
    }

    /// Whether any subscription waits on a socket descriptor (otherwise WASI's own poll runs).
    var touchesSockets: Bool {
        subscriptions.contains { $0.kind != .clock && $0.kind != nil && SocketTable.isSocket($0.descriptor) }
    }

    /// Waits and returns the events, laid out for the guest.
    func run(table: SocketTable, clock: SocketClock) throws(GuestError) -> (bytes: [UInt8], count: Int) {
        var events: [[UInt8]] = []
        var polled: [(index: Int, handle: Int32)] = []
        for (index, subscription) in subscriptions.enumerated() {
            switch subscription.kind {
            case nil:
                events.append(event(subscription, error: .invalid))
            case .clock:
                continue
            case .read, .write:
                if !SocketTable.isSocket(subscription.descriptor) {
                    events.append(event(subscription, error: .success))
                } else if let handle = table.handle(of: subscription.descriptor) {
                    polled.append((index, handle))
                } else {
                    events.append(event(subscription, error: .badDescriptor))
                }
            }
        }
        var descriptors = polled.map { entry in
            pollfd(
                fd: entry.handle, events: Int16(subscriptions[entry.index].kind == .read ? POLLIN : POLLOUT), revents: 0)
        }
        let clocks = subscriptions.filter { $0.kind == .clock }
        let earliest = clocks.map(\.wait).min()
        let limit: Duration = events.isEmpty ? (earliest ?? table.policy.ioTimeout) : .zero
        let ready =
            descriptors.isEmpty
            ? try waitOnly(limit, clock: clock)
            : try descriptors.withUnsafeMutableBufferPointer { buffer throws(GuestError) in
                try clock.poll(buffer.baseAddress!, count: buffer.count, limit: limit)
            }
        for (position, entry) in polled.enumerated() where descriptors[position].revents != 0 {
            let subscription = subscriptions[entry.index]
            let revents = descriptors[position].revents
            let hangUp = revents & Int16(POLLHUP) != 0
            let available = subscription.kind == .read ? table.bytesAvailable(subscription.descriptor) : 0
            events.append(event(subscription, error: .success, bytes: UInt64(available), hangUp: hangUp))
        }
        if events.isEmpty {
            if ready == 0, let earliest {
                for subscription in clocks where subscription.wait <= earliest {
                    events.append(event(subscription, error: .success))
                }
            } else {
                for entry in polled { events.append(event(subscriptions[entry.index], error: .timedOut)) }
            }
        }
        return (events.flatMap { $0 }, events.count)
    }

    private func waitOnly(_ limit: Duration, clock: SocketClock) throws(GuestError) -> Int {
        var none = pollfd(fd: -1, events: 0, revents: 0)
        return try clock.poll(&none, count: 0, limit: limit)
    }

    private func event(_ subscription: Subscription, error: SocketErrno, bytes: UInt64 = 0, hangUp: Bool = false) -> [UInt8] {
        // userdata, error, type, padding, fd_readwrite.nbytes, fd_readwrite.flags (HANGUP), padding.
        let event =
            subscription.userData + [UInt8].littleEndian(error.rawValue) + [subscription.kind?.rawValue ?? 0]
            + [UInt8](repeating: 0, count: 5) + [UInt8].littleEndian(bytes) + [UInt8].littleEndian(UInt16(hangUp ? 1 : 0))
            + [UInt8](repeating: 0, count: 6)
        assert(event.count == Self.eventSize)
        return event
    }
}
