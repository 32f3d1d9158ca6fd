import Foundation
import WasmtonRuntime

/// What a filter does to its stream and VM beyond headers and bodies: answer locally, set the
/// effective context and the tick period, read the clock, and the continue/close calls (which
/// the host's flow makes no-ops: a callback's returned action decides).
struct ProxyWasmStreamControl {
    typealias Status = ProxyWasmABI.Status
    let state: ProxyWasmState

    var functions: [HostFunction] {
        [
            ProxyWasmImports.function("proxy_send_local_response", 8) { call, a in
                try sendLocalResponse(
                    call, status: a.int32(0), details: a.span(1), body: a.span(3), headers: a.span(5))
            },
            ProxyWasmImports.function("proxy_set_effective_context", 1) { _, a in
                setEffectiveContext(a.int32(0))
            },
            ProxyWasmImports.function("proxy_set_tick_period_milliseconds", 1) { _, a in
                setTickPeriod(milliseconds: a.int32(0))
            },
            ProxyWasmImports.function("proxy_get_current_time_nanoseconds", 1) { call, a in
                try currentTime(call, into: a.address(0))
            },
            ProxyWasmImports.function("proxy_continue_stream", 1) { _, _ in .ok },
            ProxyWasmImports.function("proxy_close_stream", 1) { _, _ in .ok },
            ProxyWasmImports.function("proxy_continue_request", 0) { _, _ in .ok },
            ProxyWasmImports.function("proxy_continue_response", 0) { _, _ in .ok },
            ProxyWasmImports.function("proxy_clear_route_cache", 0) { _, _ in .ok },
            ProxyWasmImports.function("proxy_done", 0) { _, _ in .ok },
        ]
    }

    func sendLocalResponse(
        _ call: HostCall, status: Int32, details: GuestSpan, body: GuestSpan, headers: GuestSpan
    ) throws -> Status {
        let details = try details.string(in: call)
        let body = try body.bytes(in: call)
        guard let pairs = HeaderMapCoding.decode(try headers.bytes(in: call)) else { return .parseFailure }
        guard (200...599).contains(status), let stream = state.stream else { return .badArgument }
        stream.withContents {
            $0.localResponse = FilterStream.LocalResponse(
                status: Int(status), details: details, body: body, headers: HeaderList(pairs))
        }
        return .ok
    }

    func setEffectiveContext(_ context: Int32) -> Status {
        state.withCurrent { $0.effectiveContext = context }
        return .ok
    }

    func setTickPeriod(milliseconds: Int32) -> Status {
        state.withCurrent { $0.tickPeriod = milliseconds > 0 ? .milliseconds(Int(milliseconds)) : nil }
        return .ok
    }

    func currentTime(_ call: HostCall, into address: UInt64) throws -> Status {
        let nanoseconds = UInt64(max(0, Date().timeIntervalSince1970 * 1e9))
        try call.requireMemory().write((0..<8).map { UInt8(truncatingIfNeeded: nanoseconds >> (8 * UInt64($0))) }, at: address)
        return .ok
    }
}
