import Dispatch
public import Logging
import Synchronization
public import WasmtonRuntime

/// One proxy-wasm plugin VM: an instance of a filter module whose root context has started and
/// accepted its configuration, ready to filter streams. The host side of what Envoy runs for an
/// `envoy.filters.http.wasm` filter.
///
/// Start-up follows the spec: `_initialize` (or `_start`, or `main(0, 0)`), then
/// `proxy_on_context_create(root, 0)`, `proxy_on_vm_start` with the VM configuration's size and
/// `proxy_on_configure` with the plugin configuration's size; either returning false is a
/// refusal. Many streams may share one VM, as in Envoy: each gets its own context id, and their
/// callbacks run one at a time. After a ``ProxyWasmError/callbackFailed(callback:_:)`` the VM is
/// unusable; make a new one.
public final class ProxyWasmPlugin: Sendable {
    /// A filter's identity and configuration.
    public struct Configuration: Sendable {
        /// The plugin name (`plugin_name` property; Envoy's `config.name`).
        public var name: String
        /// `proxy_on_configure`'s configuration (the `:CONFIG` of `--filter FILTER.wasm:CONFIG`).
        public var pluginConfiguration: [UInt8]
        /// `proxy_on_vm_start`'s configuration.
        public var vmConfiguration: [UInt8]

        public init(name: String, pluginConfiguration: [UInt8] = [], vmConfiguration: [UInt8] = []) {
            self.name = name
            self.pluginConfiguration = pluginConfiguration
            self.vmConfiguration = vmConfiguration
        }
    }

    /// The instance this VM runs in.
    public let instance: WasmInstance
    private let state: ProxyWasmState
    private let exports: Set<String>
    private let nextContext = Mutex<Int32>(2)
    private let lastTick = Mutex<ContinuousClock.Instant>(.now)
    /// Held from pointing the host functions at a stream until the callback returns: streams
    /// share the VM, and another's callback must not run (or see this stream) in between. It
    /// holds the instance's ``WasmInstance/fuelConsumed`` as last read, so a callback's fuel is
    /// the rise (every call after start-up is a callback, made under this lock).
    private let callLock = Mutex<UInt64>(0)
    /// Where callbacks are accounted, and the series of each exported callback (a fixed set).
    private let accounting: GuestAccounting?
    private let operations: [String: GuestAccounting.Operation]
    /// The callbacks every stream makes, looked up once (whether exported, where accounted)
    /// rather than by name on every call.
    private let onContextCreate, onRequestHeaders, onRequestBody, onResponseHeaders, onResponseBody: Callback
    private let onDone, onLog, onDelete: Callback
    static let rootContextID: Int32 = 1

    /// An exported callback as a call needs it: its name, whether the module exports it, and
    /// where its calls are accounted.
    private struct Callback: Sendable {
        let name: String
        /// The export, found once; nil when the module does not export the callback.
        let function: GuestFunction?
        let operation: GuestAccounting.Operation?
        /// Its accounting reads the instance's memory size. A stream's callbacks leave that to
        /// the stream's last (`proxy_on_delete`): a memory grown on the way is still seen, at a
        /// lock less per callback.
        var readsMemory = true

        /// The callback `name` of `module` (whose exported functions are `exports`).
        init(
            _ name: String, module: WasmModule, exports: Set<String>, operations: [String: GuestAccounting.Operation],
            readsMemory: Bool = true
        ) {
            self.name = name
            function = exports.contains(name) ? try? module.function(name) : nil
            operation = operations[name]
            self.readsMemory = readsMemory
        }
    }

    /// Instantiates `module` in `sandbox` and starts its root context with `configuration`.
    /// `accounting`: where each callback after start-up is accounted, under its name (fuel, wall
    /// time, failures; its CPU time is taken as its wall time, since a callback waits on
    /// nothing outside the guest: reading the thread's CPU clock per callback would cost more
    /// than many callbacks do).
    public init(
        runtime: WasmRuntime, module: WasmModule, sandbox: Sandbox = Sandbox(), configuration: Configuration,
        logger: Logger = Logger(label: "wasmton.filter"), accounting: GuestAccounting? = nil
    ) throws(ProxyWasmError) {
        try Self.check(module)
        let exports = Set(module.exportedFunctions)
        self.exports = exports
        self.accounting = accounting
        var operations: [String: GuestAccounting.Operation] = [:]
        if let accounting {
            for name in exports where name.hasPrefix("proxy_on_") { operations[name] = accounting.operation(name) }
        }
        self.operations = operations
        func streams(_ name: String) -> Callback {
            Callback(name, module: module, exports: exports, operations: operations, readsMemory: false)
        }
        onContextCreate = streams("proxy_on_context_create")
        onRequestHeaders = streams("proxy_on_request_headers")
        onRequestBody = streams("proxy_on_request_body")
        onResponseHeaders = streams("proxy_on_response_headers")
        onResponseBody = streams("proxy_on_response_body")
        onDone = streams("proxy_on_done")
        onLog = streams("proxy_on_log")
        onDelete = Callback("proxy_on_delete", module: module, exports: exports, operations: operations)
        let allocator = exports.contains("proxy_on_memory_allocate") ? "proxy_on_memory_allocate" : "malloc"
        let state = ProxyWasmState(
            pluginName: configuration.name, pluginConfiguration: configuration.pluginConfiguration,
            vmConfiguration: configuration.vmConfiguration, rootContextID: Self.rootContextID,
            abi: ProxyWasmABI.Version(exports: module.exportedFunctions), allocator: allocator)
        self.state = state
        do {
            instance = try runtime.instantiate(
                module, sandbox: sandbox,
                hostFunctions: ProxyWasmImports.functions(module: module, state: state, logger: logger))
        } catch {
            throw .startupFailed(function: GuestError.instantiation, error)
        }
        do throws(ProxyWasmError) {
            try start(module)
            let instance = instance
            callLock.withLock { $0 = instance.fuelConsumed ?? 0 }
            let root = Self.rootContextID
            _ = try callback("proxy_on_context_create", [.i32(root), .i32(0)], stream: nil)
            if try callback("proxy_on_vm_start", [.i32(root), .i32(Int32(configuration.vmConfiguration.count))], stream: nil)
                == 0
            {
                throw ProxyWasmError.rejected(callback: "proxy_on_vm_start", plugin: configuration.name)
            }
            if try callback(
                "proxy_on_configure", [.i32(root), .i32(Int32(configuration.pluginConfiguration.count))], stream: nil) == 0
            {
                throw ProxyWasmError.rejected(callback: "proxy_on_configure", plugin: configuration.name)
            }
        } catch {
            instance.close()
            if case .callbackFailed(let name, let guestError) = error { throw .startupFailed(function: name, guestError) }
            throw error
        }
    }

    /// The plugin's name.
    public var name: String { state.pluginName }

    /// Opens a context for `stream` (`proxy_on_context_create(id, root)`) and returns its id.
    public func open(_ stream: FilterStream) throws(ProxyWasmError) -> Int32 {
        let id = nextContext.withLock { next -> Int32 in
            defer { next = next == Int32.max ? 2 : next + 1 }
            return next
        }
        _ = try callback(onContextCreate, [.i32(id), .i32(Self.rootContextID)], stream: stream)
        return id
    }

    /// `proxy_on_request_headers`: the request headers are in `stream`.
    public func requestHeaders(
        _ context: Int32, _ stream: FilterStream, endOfStream: Bool
    ) throws(ProxyWasmError)
        -> FilterAction
    {
        let count = stream.withContents { $0.requestHeaders.fields.count }
        return try action(onRequestHeaders, headerArguments(context, Int32(count), endOfStream), stream)
    }

    /// `proxy_on_request_body`: the body bytes this filter holds (earlier chunks it buffered plus
    /// the new one) are in `stream`; `endOfStream` says no more will come.
    public func requestBody(
        _ context: Int32, _ stream: FilterStream, endOfStream: Bool
    ) throws(ProxyWasmError)
        -> FilterAction
    {
        let size = stream.withContents { $0.requestBody.count }
        return try action(onRequestBody, bodyArguments(context, size, endOfStream), stream)
    }

    /// `proxy_on_response_headers`: the response headers are in `stream`.
    public func responseHeaders(
        _ context: Int32, _ stream: FilterStream, endOfStream: Bool
    ) throws(ProxyWasmError)
        -> FilterAction
    {
        let count = stream.withContents { $0.responseHeaders.fields.count }
        return try action(onResponseHeaders, headerArguments(context, Int32(count), endOfStream), stream)
    }

    /// `proxy_on_response_body`: as ``requestBody(_:_:endOfStream:)``, for the response.
    public func responseBody(
        _ context: Int32, _ stream: FilterStream, endOfStream: Bool
    ) throws(ProxyWasmError)
        -> FilterAction
    {
        let size = stream.withContents { $0.responseBody.count }
        return try action(onResponseBody, bodyArguments(context, size, endOfStream), stream)
    }

    /// Ends the stream: `proxy_on_done`, `proxy_on_log`, `proxy_on_delete`.
    public func close(_ context: Int32, _ stream: FilterStream) throws(ProxyWasmError) {
        _ = try callback(onDone, [.i32(context)], stream: stream)
        _ = try callback(onLog, [.i32(context)], stream: stream)
        _ = try callback(onDelete, [.i32(context)], stream: stream)
    }

    /// Whether the module exports a callback for request or response bodies (every SDK does, so
    /// this says only whether the host must call it, not whether the filter reads bodies).
    public var inspectsRequestBody: Bool { onRequestBody.function != nil }
    public var inspectsResponseBody: Bool { onResponseBody.function != nil }

    /// The period the filter asked `proxy_on_tick` to run at, if it did.
    public var tickPeriod: Duration? { state.withCurrent { $0.tickPeriod } }

    /// Runs `proxy_on_tick` on the root context if the filter set a tick period that has passed.
    public func tickIfDue() throws(ProxyWasmError) {
        guard let period = state.withCurrent({ $0.tickPeriod }) else { return }
        let now = ContinuousClock.now
        let due = lastTick.withLock { last -> Bool in
            guard now - last >= period else { return false }
            last = now
            return true
        }
        if due { _ = try callback("proxy_on_tick", [.i32(Self.rootContextID)], stream: nil) }
    }

    /// Releases the instance.
    public func shutdown() {
        instance.close()
    }

    // MARK: - Calling

    /// A stream callback's answer; a filter that does not export it continues.
    private func action(
        _ callback: Callback, _ arguments: [WasmValue], _ stream: FilterStream
    ) throws(ProxyWasmError)
        -> FilterAction
    {
        FilterAction(try self.callback(callback, arguments, stream: stream, default: 0))
    }

    private func bodyArguments(_ context: Int32, _ size: Int, _ endOfStream: Bool) -> [WasmValue] {
        [.i32(context), .i32(Int32(clamping: size)), .i32(endOfStream ? 1 : 0)]
    }

    /// ABI 0.2.x passes an end-of-stream flag to the header callbacks; 0.1.0 does not.
    private func headerArguments(_ context: Int32, _ count: Int32, _ endOfStream: Bool) -> [WasmValue] {
        state.abi == .v0_1_0 ? [.i32(context), .i32(count)] : [.i32(context), .i32(count), .i32(endOfStream ? 1 : 0)]
    }

    private func callback(
        _ name: String, _ arguments: [WasmValue], stream: FilterStream?, default value: Int32 = 1
    )
        throws(ProxyWasmError) -> Int32
    {
        try callback(
            Callback(name, module: instance.module, exports: exports, operations: operations), arguments, stream: stream,
            default: value)
    }

    private func callback(
        _ callback: Callback, _ arguments: [WasmValue], stream: FilterStream?, default value: Int32 = 1
    )
        throws(ProxyWasmError) -> Int32
    {
        guard let function = callback.function else { return value }
        let name = callback.name
        return try callLock.withLock { fuelSeen throws(ProxyWasmError) -> Int32 in
            state.withCurrent {
                $0.stream = stream
                $0.effectiveContext = 0
            }
            defer { state.withCurrent { $0.stream = nil } }
            let start = accounting == nil ? 0 : DispatchTime.now().uptimeNanoseconds
            do throws(GuestError) {
                let results = try instance.call(function, arguments)
                account(callback, since: start, fuelSeen: &fuelSeen, failure: nil)
                if case .i32(let result)? = results.first { return result }
                return value
            } catch {
                account(callback, since: start, fuelSeen: &fuelSeen, failure: error)
                throw .callbackFailed(callback: name, error)
            }
        }
    }

    /// Accounts one callback that started at `start` (uptime nanoseconds), under the call lock.
    private func account(_ callback: Callback, since start: UInt64, fuelSeen: inout UInt64, failure: GuestError?) {
        guard let accounting, let operation = callback.operation else { return }
        var usage = GuestUsage()
        usage.calls = 1
        usage.wallNanoseconds = DispatchTime.now().uptimeNanoseconds &- start
        usage.cpuNanoseconds = usage.wallNanoseconds
        if let consumed = instance.fuelConsumed {
            usage.recordFuel(consumed &- fuelSeen)
            fuelSeen = consumed
        }
        if let failure { usage.recordFailure(failure) }
        if callback.readsMemory || failure != nil { usage.recordMemory(instance.memoryBytes) }
        accounting.flush(&usage, to: operation)
    }

    /// `_initialize` then `main(0, 0)` when exported (as Envoy does), else `_start`. A WASI exit
    /// with code 0 is the normal end of `main` (TinyGo).
    private func start(_ module: WasmModule) throws(ProxyWasmError) {
        let empty = FunctionSignature(parameters: [], results: [])
        var calls: [(String, [WasmValue])] = []
        if module.signature(ofExport: "_initialize") == empty {
            calls.append(("_initialize", []))
            if module.signature(ofExport: "main") == FunctionSignature(parameters: [.i32, .i32], results: [.i32]) {
                calls.append(("main", [.i32(0), .i32(0)]))
            }
        } else if module.signature(ofExport: "_start") == empty {
            calls.append(("_start", []))
        }
        for (name, arguments) in calls {
            do {
                try instance.call(name, arguments)
            } catch .exited(code: 0) {
            } catch {
                throw .startupFailed(function: name, error)
            }
        }
    }

    private static func check(_ module: WasmModule) throws(ProxyWasmError) {
        let exported = module.exportedFunctions
        guard ProxyWasmABI.versionMarkers.contains(where: exported.contains) || exported.contains("proxy_on_context_create")
        else {
            throw .notAProxyWasmModule(
                "\(module.name) exports no proxy_abi_version_0_2_1/0_2_0 marker and no proxy_on_context_create (exported functions: \(exported.joined(separator: ", ")))"
            )
        }
        guard exported.contains("proxy_on_context_create") else {
            throw .notAProxyWasmModule("\(module.name) does not export proxy_on_context_create")
        }
        guard exported.contains("proxy_on_memory_allocate") || exported.contains("malloc") else {
            throw .notAProxyWasmModule("\(module.name) exports neither proxy_on_memory_allocate nor malloc")
        }
        guard module.exports.contains(where: { $0.name == "memory" && $0.kind == .memory }) else {
            throw .notAProxyWasmModule("\(module.name) exports no memory named 'memory'")
        }
    }
}
