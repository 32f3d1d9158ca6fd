import Synchronization

/// A bounded pool of ready guest instances for request/response triggers (the HTTP gateway):
/// a call borrows one, runs on a guest thread, and gives it back.
///
/// - At most ``Configuration/size`` calls run at once; further calls wait in arrival order, up
///   to ``Configuration/maxWaiting`` of them, and beyond that fail at once with
///   ``InstancePoolError/full(size:waiting:)`` (so overload sheds instead of piling up).
/// - A call whose error ``Configuration/discards`` says poisons the instance (a trap, say) gets
///   its instance closed and replaced; it is never handed out again.
/// - With ``Configuration/reuse`` off, every call gets a fresh instance made from the
///   pre-validated module, and the instance is dropped afterwards.
///
/// Instances are made and used on ``GuestThreads``, never on Swift concurrency's threads.
public final class InstancePool<Instance: AnyObject & Sendable>: Sendable {
    /// How the pool is sized and when it drops instances.
    public struct Configuration: Sendable {
        /// How many instances exist (and so how many calls run) at once; at least 1.
        public var size: Int
        /// How many calls may wait for an instance before new ones are refused.
        public var maxWaiting: Int
        /// Reuse instances across calls (true), or make a fresh one per call (false).
        public var reuse: Bool
        /// Whether an error thrown by a call means its instance must be thrown away.
        public var discards: @Sendable (any Error) -> Bool

        public init(size: Int, maxWaiting: Int, reuse: Bool = true, discards: @escaping @Sendable (any Error) -> Bool) {
            self.size = max(1, size)
            self.maxWaiting = max(0, maxWaiting)
            self.reuse = reuse
            self.discards = discards
        }
    }

    /// A point-in-time view of the pool, for metrics and readiness.
    public struct Snapshot: Sendable, Equatable {
        /// Instances made and not discarded (idle or in use).
        public var live: Int
        /// Instances idle and ready.
        public var idle: Int
        /// Calls running.
        public var busy: Int
        /// Calls waiting for an instance.
        public var waiting: Int
        /// Instances discarded since the pool started (poisoned, or fresh-per-call ones).
        public var discarded: Int
    }

    public let configuration: Configuration
    private let threads: GuestThreads
    private let make: @Sendable () throws -> Instance
    private let close: @Sendable (Instance) -> Void
    private let state = Mutex(PoolState())

    /// A pool that makes instances with `make` and releases them with `close`.
    public init(
        configuration: Configuration, threads: GuestThreads, make: @escaping @Sendable () throws -> Instance,
        close: @escaping @Sendable (Instance) -> Void
    ) {
        self.configuration = configuration
        self.threads = threads
        self.make = make
        self.close = close
    }

    /// Makes the pool's instances ahead of the first call (a waPC instance takes milliseconds to
    /// make), and throws the first failure, so a module that cannot start is refused at start-up.
    public func prewarm() async throws {
        guard configuration.reuse else { return }
        let missing = configuration.size - state.withLock { $0.idle.count }
        guard missing > 0 else { return }
        let made = try await threads.run { [make] in try (0..<missing).map { _ in try make() } }
        state.withLock { $0.idle.append(contentsOf: made as [AnyObject]) }
    }

    /// Runs `body` with an instance on a guest thread, waiting for one until `deadline`.
    ///
    /// Throws ``InstancePoolError`` when the pool is full, the deadline passes while waiting, or
    /// the pool is closed; otherwise whatever `body` (or making an instance) throws.
    public func run<R: Sendable>(
        until deadline: ContinuousClock.Instant? = nil, _ body: @escaping @Sendable (Instance) throws -> R
    ) async throws -> R {
        let id = newWaiterID()
        return try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<R, any Error>) in
                start(id: id, until: deadline, body) { continuation.resume(with: $0) }
            }
        } onCancel: {
            abandon(id, with: .cancelled)
        }
    }

    /// ``run(until:_:)`` without a Swift task: `completion` gets the outcome, on the guest thread
    /// that ran `body` (or on the calling thread when the call is refused at once). For callers
    /// on an event loop, for whom a task and its continuations would add two thread hops.
    public func submit<R: Sendable>(
        until deadline: ContinuousClock.Instant? = nil, _ body: @escaping @Sendable (Instance) throws -> R,
        completion: @escaping @Sendable (Result<R, any Error>) -> Void
    ) {
        start(id: newWaiterID(), until: deadline, body, completion: completion)
    }

    private func start<R: Sendable>(
        id: UInt64, until deadline: ContinuousClock.Instant?, _ body: @escaping @Sendable (Instance) throws -> R,
        completion: @escaping @Sendable (Result<R, any Error>) -> Void
    ) {
        admit(id: id, until: deadline) { [self] admitted in
            switch admitted {
            case .success: execute(body, completion: completion)
            case .failure(let error): completion(.failure(error))
            }
        }
    }

    /// Runs `body` on a guest thread in a slot already taken, then frees the slot.
    private func execute<R: Sendable>(
        _ body: @escaping @Sendable (Instance) throws -> R, completion: @escaping @Sendable (Result<R, any Error>) -> Void
    ) {
        let taken = state.withLock { $0.idle.popLast() }.map { unsafeDowncast($0, to: Instance.self) }
        let reuse = configuration.reuse
        let discards = configuration.discards
        let (make, close) = (make, close)
        let accepted = threads.submit { [self] in
            let instance: Instance
            if let taken {
                instance = taken
            } else {
                do {
                    instance = try make()
                } catch {
                    release(returning: nil, discarded: !reuse)
                    completion(.failure(error))
                    return
                }
            }
            let result = Result { try body(instance) }
            if !reuse || (result.failureValue.map(discards) ?? false) {
                close(instance)
                release(returning: nil, discarded: taken != nil || !reuse)
            } else {
                release(returning: instance, discarded: false)
            }
            completion(result)
        }
        if !accepted {
            if let taken { close(taken) }
            release(returning: nil, discarded: taken != nil)
            completion(.failure(GuestThreadsError.shutDown))
        }
    }

    /// What ``runHere(_:)`` did.
    public enum HereOutcome<R: Sendable>: Sendable {
        /// `body` ran on the calling thread and finished.
        case finished(R)
        /// No instance was idle (or calls are waiting for one), or `body` gave up and its
        /// instance was discarded: run the call with ``run(until:_:)``.
        case notRun
    }

    /// Runs `body` at once on the calling thread with an idle instance, without waiting and
    /// without a thread hop, for calls short enough to run where the request arrived. `body`
    /// returns `nil` to give up (its instance is then closed and replaced, as after a failure).
    /// Errors are handled as in ``run(until:_:)``.
    /// With `reuse` off, the instance is made here for this call and closed after it (a fresh
    /// instance per call, as ``run(until:_:)`` gives, without the hop; if it cannot be made, the
    /// call is left to ``run(until:_:)``, which reports why).
    ///
    /// Inlinable so that it is specialized for the caller's result: a generic call across
    /// modules looked its result types up and copied them through value witnesses, which cost
    /// more than the pool's own work.
    @inlinable
    public func runHere<R: Sendable>(_ body: (Instance) throws -> R?) throws -> HereOutcome<R> {
        guard configuration.reuse else { return try runFreshHere(body) }
        guard let taken = takeIdle() else { return .notRun }
        let value: R?
        do {
            value = try body(taken)
        } catch {
            settle(taken, failure: error)
            throw error
        }
        guard let value else {
            // Gave up part-way: the instance is spent.
            settle(taken, spent: true)
            return .notRun
        }
        settle(taken, spent: false)
        return .finished(value)
    }

    /// An idle instance for ``runHere(_:)``, counted busy; nil when none is idle or calls wait.
    @usableFromInline
    func takeIdle() -> Instance? {
        let size = configuration.size
        let idle = state.withLock { state -> AnyObject? in
            guard !state.isClosed, state.waiters.isEmpty, state.busy < size, let instance = state.idle.popLast()
            else { return nil }
            state.busy += 1
            return instance
        }
        guard let idle else { return nil }
        return unsafeDowncast(idle, to: Instance.self)
    }

    /// Gives back an instance that ``runHere(_:)`` used: to the idle ones, or (`spent`) closed
    /// and replaced.
    @usableFromInline
    func settle(_ instance: Instance, spent: Bool) {
        if spent {
            close(instance)
            release(returning: nil, discarded: true)
        } else {
            release(returning: instance, discarded: false)
        }
    }

    /// Gives back an instance whose call in ``runHere(_:)`` threw `failure`, closed when the
    /// error poisons it.
    @usableFromInline
    func settle(_ instance: Instance, failure: any Error) {
        settle(instance, spent: configuration.discards(failure))
    }

    @usableFromInline
    func runFreshHere<R: Sendable>(_ body: (Instance) throws -> R?) throws -> HereOutcome<R> {
        let admitted = state.withLock { state -> Bool in
            guard !state.isClosed, state.waiters.isEmpty, state.busy < configuration.size else { return false }
            state.busy += 1
            return true
        }
        guard admitted else { return .notRun }
        guard let instance = try? make() else {
            release(returning: nil, discarded: false)
            return .notRun
        }
        let result = Result { try body(instance) }
        close(instance)
        release(returning: nil, discarded: false)
        guard let value = try result.get() else { return .notRun }
        return .finished(value)
    }

    /// The pool's current counts.
    public var snapshot: Snapshot {
        state.withLock {
            Snapshot(
                live: $0.idle.count + ($0.busy), idle: $0.idle.count, busy: $0.busy, waiting: $0.waiters.count,
                discarded: $0.discarded)
        }
    }

    /// Refuses new calls, fails waiting ones, and closes idle instances; running calls finish.
    public func shutdown() {
        let (idle, waiters) = state.withLock { state in
            state.isClosed = true
            defer {
                state.idle = []
                state.waiters = []
            }
            return (state.idle, state.waiters)
        }
        for waiter in waiters {
            waiter.timer?.cancel()
            waiter.wake(.failure(InstancePoolError.closed))
        }
        for instance in idle { close(unsafeDowncast(instance, to: Instance.self)) }
    }

    // MARK: - Slots

    private func newWaiterID() -> UInt64 {
        state.withLock { state -> UInt64 in
            state.nextWaiter += 1
            return state.nextWaiter
        }
    }

    /// Takes a slot for waiter `id` and calls `wake` with success at once, or when a slot frees
    /// up; or with the reason it gets none (closed, full, the deadline passed while waiting).
    private func admit(
        id: UInt64, until deadline: ContinuousClock.Instant?, wake: @escaping @Sendable (Result<Void, any Error>) -> Void
    ) {
        let admission = state.withLock { state -> Result<PoolAdmission, InstancePoolError> in
            if state.isClosed { return .failure(.closed) }
            if state.busy < configuration.size && state.waiters.isEmpty {
                state.busy += 1
                return .success(.now)
            }
            if state.waiters.count >= configuration.maxWaiting {
                return .failure(.full(size: configuration.size, waiting: state.waiters.count))
            }
            state.waiters.append(PoolWaiter(id: id, wake: wake))
            return .success(.wait(id))
        }
        switch admission {
        case .success(.now): wake(.success(()))
        case .failure(let error): wake(.failure(error))
        case .success(.wait(let id)):
            guard let deadline else { return }
            let size = configuration.size
            let timer = Task { [weak self] in
                try? await Task.sleep(until: deadline, clock: .continuous)
                guard !Task.isCancelled else { return }
                self?.abandon(id, with: .timedOut(size: size))
            }
            let kept = state.withLock { state -> Bool in
                guard let index = state.waiters.firstIndex(where: { $0.id == id }) else { return false }
                state.waiters[index].timer = timer
                return true
            }
            if !kept { timer.cancel() }
        }
    }

    /// Fails waiter `id` with `error` if it is still waiting.
    private func abandon(_ id: UInt64, with error: InstancePoolError) {
        let waiter = state.withLock { state -> PoolWaiter? in
            guard let index = state.waiters.firstIndex(where: { $0.id == id }) else { return nil }
            return state.waiters.remove(at: index)
        }
        waiter?.timer?.cancel()
        waiter?.wake(.failure(error))
    }

    /// Frees a slot: puts `instance` back (if any) and wakes the first waiter, who takes the slot.
    private func release(returning instance: Instance?, discarded: Bool) {
        let (next, refused) = state.withLock { state -> (PoolWaiter?, AnyObject?) in
            var refused: AnyObject? = nil
            if let instance {
                if state.isClosed { refused = instance } else { state.idle.append(instance) }
            }
            if discarded { state.discarded += 1 }
            if state.waiters.isEmpty {
                state.busy -= 1
                return (nil, refused)
            }
            return (state.waiters.removeFirst(), refused)
        }
        if let refused { close(unsafeDowncast(refused, to: Instance.self)) }
        next?.timer?.cancel()
        next?.wake(.success(()))
        if discarded && configuration.reuse { refill() }
    }

    /// Replaces a discarded instance in the background, so the next call does not pay for it.
    private func refill() {
        let (threads, make, close) = (threads, make, close)
        Task { [weak self] in
            guard let made = try? await threads.run(make) else { return }
            let kept =
                self?.state.withLock { state -> Bool in
                    guard !state.isClosed, state.idle.count + state.busy < (self?.configuration.size ?? 0) else { return false }
                    state.idle.append(made)
                    return true
                } ?? false
            if !kept { close(made) }
        }
    }
}

/// Why an ``InstancePool`` did not run a call.
public enum InstancePoolError: Error, Equatable, Sendable, CustomStringConvertible {
    /// Every instance is busy and the waiting line is full.
    case full(size: Int, waiting: Int)
    /// The deadline passed before an instance was free.
    case timedOut(size: Int)
    /// The caller was cancelled while waiting.
    case cancelled
    /// The pool was shut down.
    case closed

    public var description: String {
        switch self {
        case .full(let size, let waiting):
            return "all \(size) instances are busy and \(waiting) calls are already waiting"
        case .timedOut(let size):
            return "no instance of \(size) became free before the deadline"
        case .cancelled:
            return "the call was cancelled while waiting for an instance"
        case .closed:
            return "the instance pool is shut down"
        }
    }
}

extension Result {
    fileprivate var failureValue: Failure? {
        if case .failure(let error) = self { return error }
        return nil
    }
}

// The pool's bookkeeping, kept out of the generic class (instances stored as `AnyObject`): a
// generic nested type costs a metadata lookup on every call from another module, where
// `InstancePool` is used unspecialised.

private enum PoolAdmission {
    case now, wait(UInt64)
}

private struct PoolWaiter {
    var id: UInt64
    /// Called once: success when the waiter gets its slot, failure when it gives up.
    var wake: @Sendable (Result<Void, any Error>) -> Void
    /// The wait's deadline timer, cancelled when the call gets its instance (a timer left to
    /// run out would keep a task asleep for the whole request timeout, one per call that ever
    /// waited).
    var timer: Task<Void, Never>?
}

private struct PoolState {
    /// Idle instances, each an `Instance` of the pool.
    var idle: [AnyObject] = []
    var busy = 0
    var waiters: [PoolWaiter] = []
    var nextWaiter: UInt64 = 0
    var discarded = 0
    var isClosed = false
}
