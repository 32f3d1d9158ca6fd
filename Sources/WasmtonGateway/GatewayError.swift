public import HTTPTypes
public import Hummingbird
import WasmtonContracts
import WasmtonMessagePack
import WasmtonRuntime

/// A request the gateway refuses or a call that failed, with the HTTP status and the one-line
/// reason a client can act on. Answered as `{"error": {"status": …, "reason": …, "message": …}}`.
public struct GatewayError: HTTPResponseError, Equatable, CustomStringConvertible {
    public var status: HTTPResponse.Status
    /// A stable, machine-readable kind (`payload_too_large`, `deadline_exceeded`, `trap`…), also
    /// the `kind` label of the guest-failure metric.
    public var reason: String
    public var message: String
    public var headers: HTTPFields = [:]

    public init(_ status: HTTPResponse.Status, reason: String, message: String, headers: HTTPFields = [:]) {
        self.status = status
        self.reason = reason
        self.message = message
        self.headers = headers
    }

    public var description: String { "\(status.code) \(reason): \(message)" }

    public func response(from request: Request, context: some RequestContext) throws -> Response {
        answer.response
    }

    /// The JSON error answer.
    var answer: GatewayAnswer {
        var headers = headers
        headers[.contentType] = "application/json"
        let body: MessagePackValue = [
            "error": ["status": .uint(UInt64(status.code)), "reason": .string(reason), "message": .string(message)]
        ]
        return GatewayAnswer(status: status, headers: headers, body: ByteBuffer(string: body.jsonText() + "\n"))
    }

    // MARK: - What each failure means over HTTP

    static func unknownModule(_ name: String, served: [String]) -> GatewayError {
        GatewayError(
            .notFound, reason: "unknown_module",
            message: "no module named '\(name)' (served: \(served.sorted().joined(separator: ", ")))")
    }

    static func badPayload(_ message: String) -> GatewayError {
        GatewayError(.badRequest, reason: "bad_payload", message: message)
    }

    static func filterFailed(_ error: FilterChainError) -> GatewayError {
        switch error {
        case .paused:
            return GatewayError(.internalServerError, reason: "filter_paused", message: "\(error)")
        case .crashLooping:
            return GatewayError(
                .serviceUnavailable, reason: "filter_crash_loop", message: "\(error)", headers: [.retryAfter: "10"])
        case .failed:
            return GatewayError(.internalServerError, reason: "filter_failed", message: "\(error)")
        case .bufferFull:
            return GatewayError(.contentTooLarge, reason: "payload_too_large", message: "\(error)")
        }
    }

    static func tooLarge(limit: Int) -> GatewayError {
        GatewayError(.contentTooLarge, reason: "payload_too_large", message: "request body exceeds the limit of \(limit) bytes")
    }

    /// The answer for a failed call of `operation` on `module`.
    static func from(_ error: any Error, module: String, operation: String) -> GatewayError {
        switch error {
        case let error as GatewayError:
            return error
        case let error as InstancePoolError:
            switch error {
            case .full, .timedOut:
                return GatewayError(
                    .serviceUnavailable, reason: "overloaded", message: "\(module): \(error)", headers: [.retryAfter: "1"])
            case .cancelled, .closed:
                return GatewayError(.serviceUnavailable, reason: "shutting_down", message: "\(module): \(error)")
            }
        case let error as WapcError:
            return from(error, module: module, operation: operation)
        default:
            return GatewayError(.internalServerError, reason: "internal", message: "\(error)")
        }
    }

    private static func from(_ error: WapcError, module: String, operation: String) -> GatewayError {
        switch error {
        case .guestError(_, let message):
            if error.isUnknownOperation {
                return GatewayError(
                    .notFound, reason: "unknown_operation",
                    message: "module '\(module)' has no operation '\(operation)': \(message)")
            }
            if let (status, rest) = chosenStatus(message) {
                return GatewayError(status, reason: "guest_error", message: rest)
            }
            return GatewayError(.internalServerError, reason: "guest_error", message: message)
        case .guestFailed(_, let failure):
            let reason: String
            switch failure {
            case .deadlineExceeded:
                return GatewayError(.gatewayTimeout, reason: "deadline_exceeded", message: "\(module).\(operation): \(failure)")
            case .outOfFuel: reason = "out_of_fuel"
            case .trap: reason = "trap"
            case .memoryLimitExceeded: reason = "memory_limit"
            case .memoryAccessOutOfBounds: reason = "out_of_bounds"
            case .exited: reason = "exited"
            case .hostFunctionFailed: reason = "host_function"
            default: reason = "guest_failure"
            }
            return GatewayError(.internalServerError, reason: reason, message: "\(module).\(operation): \(failure)")
        case .startupFailed, .notAWapcModule:
            return GatewayError(.internalServerError, reason: "startup_failed", message: "\(module): \(error)")
        }
    }

    /// A guest error that starts with an HTTP status of its choosing, `"404 no such user"` or
    /// `"422: bad name"`: the status (400–599) and the rest of the message.
    static func chosenStatus(_ message: String) -> (HTTPResponse.Status, String)? {
        let bytes = Array(message.utf8)
        guard bytes.count >= 3, bytes[0...2].allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }),
            bytes.count == 3 || bytes[3] == 0x20 || bytes[3] == 0x3A,
            let code = Int(String(decoding: bytes[0...2], as: UTF8.self)), (400...599).contains(code)
        else { return nil }
        var rest = message.dropFirst(3)
        while let first = rest.first, first == ":" || first == " " { rest = rest.dropFirst() }
        return (HTTPResponse.Status(code: code), rest.isEmpty ? HTTPResponse.Status(code: code).reasonPhrase : String(rest))
    }
}
