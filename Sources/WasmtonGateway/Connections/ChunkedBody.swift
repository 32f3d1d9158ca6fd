import NIOCore

/// Reads a chunked request body (RFC 9112 §7.1) from a connection's bytes for the
/// ``ConnectionFront``: the chunks' data as it arrives, then the end after the last chunk and its
/// trailer section (whose fields are dropped, as NIO's decoder leaves them out of a request's
/// body too).
struct ChunkedBody {
    enum Step {
        /// Data of the body.
        case data(ByteBuffer)
        /// Nothing more can be read until more bytes arrive.
        case needMore
        /// The body is complete.
        case end
        /// Not chunked framing: the connection cannot go on.
        case malformed
    }

    private enum State {
        case size
        case data(remaining: Int)
        case dataEnd
        case trailer
    }

    /// The longest chunk-size line (with extensions) or trailer line read.
    private static let maxLine = 4_096

    private var state = State.size

    /// The next step, taken from the start of `buffer`'s readable bytes.
    mutating func next(_ buffer: inout ByteBuffer) -> Step {
        do throws(Malformed) {
            return try step(&buffer)
        } catch {
            return .malformed
        }
    }

    private struct Malformed: Error {}

    private mutating func step(_ buffer: inout ByteBuffer) throws(Malformed) -> Step {
        while true {
            switch state {
            case .size:
                guard let line = try Self.line(&buffer) else { return .needMore }
                guard let size = Self.size(line) else { throw Malformed() }
                state = size == 0 ? .trailer : .data(remaining: size)
            case .data(let remaining):
                guard buffer.readableBytes > 0 else { return .needMore }
                let count = min(remaining, buffer.readableBytes)
                let data = buffer.readSlice(length: count)!
                state = count == remaining ? .dataEnd : .data(remaining: remaining - count)
                return .data(data)
            case .dataEnd:
                guard buffer.readableBytes >= 2 else { return .needMore }
                guard buffer.readInteger(as: UInt16.self) == 0x0D0A else { throw Malformed() }
                state = .size
            case .trailer:
                guard let line = try Self.line(&buffer) else { return .needMore }
                if line.readableBytes == 0 {
                    state = .size
                    return .end
                }
            }
        }
    }

    /// The next CRLF-ended line without its CRLF, consumed; nil when it has not all arrived.
    private static func line(_ buffer: inout ByteBuffer) throws(Malformed) -> ByteBuffer? {
        let view = buffer.readableBytesView
        guard let lf = view.firstIndex(of: 10) else {
            if buffer.readableBytes > maxLine { throw Malformed() }
            return nil
        }
        guard lf > view.startIndex, view[lf - 1] == 13, lf - view.startIndex <= maxLine else { throw Malformed() }
        let line = buffer.readSlice(length: lf - 1 - view.startIndex)!
        buffer.moveReaderIndex(forwardBy: 2)
        return line
    }

    /// The chunk size at the start of `line` (hex digits, then optional `;` extensions).
    private static func size(_ line: ByteBuffer) -> Int? {
        var size = 0
        var digits = 0
        for byte in line.readableBytesView {
            let value: Int
            switch byte {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): value = Int(byte - UInt8(ascii: "0"))
            case UInt8(ascii: "a")...UInt8(ascii: "f"): value = Int(byte - UInt8(ascii: "a")) + 10
            case UInt8(ascii: "A")...UInt8(ascii: "F"): value = Int(byte - UInt8(ascii: "A")) + 10
            case UInt8(ascii: ";"), UInt8(ascii: " "), UInt8(ascii: "\t"):
                return digits > 0 ? size : nil
            default: return nil
            }
            digits += 1
            guard digits <= 15 else { return nil }
            size = size << 4 | value
        }
        return digits > 0 ? size : nil
    }
}
