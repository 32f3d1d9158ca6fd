import HTTPTypes
import Hummingbird
import WasmtonMessagePack

/// How request bodies become waPC payloads and guest responses become HTTP bodies.
///
/// waPC payloads are MessagePack by convention: a JSON body (the default) is converted to
/// MessagePack with the lossless mapping of `MessagePackJSON`; `application/msgpack` passes
/// through after a check; `application/octet-stream` passes through untouched. Responses follow
/// `Accept`: MessagePack or raw bytes as-is, otherwise JSON (raw bytes if the guest's answer is
/// not MessagePack).
enum PayloadFormat {
    static let messagePackTypes = ["application/msgpack", "application/x-msgpack", "application/vnd.msgpack"]

    /// The payload for a request body with content type `contentType`.
    static func payload(body: ByteBuffer, contentType: String?) throws(GatewayError) -> [UInt8] {
        let bytes = Array(buffer: body)
        let type = mediaType(contentType)
        if messagePackTypes.contains(type) {
            do {
                _ = try MessagePack.decode(bytes)
            } catch {
                throw .badPayload("body is not valid MessagePack: \(error)")
            }
            return bytes
        }
        if type == "application/octet-stream" { return bytes }
        if bytes.allSatisfy({ $0 == 0x20 || $0 == 0x0A || $0 == 0x0D || $0 == 0x09 }) { return [] }
        return try json(bytes)
    }

    /// JSON text as a MessagePack payload.
    static func json(_ bytes: [UInt8]) throws(GatewayError) -> [UInt8] {
        do {
            return try MessagePack.fromJSON(bytes)
        } catch {
            throw .badPayload("body is not valid JSON: \(error)")
        }
    }

    /// The answer for a guest's result, in the format `accept` asks for.
    static func answer(_ result: [UInt8], accept: String?) -> GatewayAnswer {
        let accepted = accept?.lowercased() ?? ""
        if !accepted.isEmpty, messagePackTypes.contains(where: { accepted.contains($0) }) {
            return GatewayAnswer(
                status: .ok, headers: Fields.messagePack, body: ByteBuffer(bytes: result))
        }
        if !accepted.isEmpty, accepted.contains("application/octet-stream") {
            return GatewayAnswer(
                status: .ok, headers: Fields.octetStream, body: ByteBuffer(bytes: result))
        }
        if result.isEmpty { return GatewayAnswer(status: .noContent) }
        guard let value = try? MessagePack.decode(result) else {
            return GatewayAnswer(
                status: .ok, headers: Fields.octetStream, body: ByteBuffer(bytes: result))
        }
        return GatewayAnswer(
            status: .ok, headers: Fields.json, body: ByteBuffer(string: value.jsonText() + "\n"))
    }

    /// The book's answer: a string result as plain text (`true`), anything else as JSON.
    static func plainAnswer(_ result: [UInt8]) -> GatewayAnswer {
        if let text = MessagePack.stringBytes(result) {
            return GatewayAnswer(status: .ok, headers: Fields.plainText, body: ByteBuffer(bytes: text))
        }
        return answer(result, accept: nil)
    }

    /// Answers' content types, made once: building `HTTPFields` for each answer cost more than
    /// writing the whole head.
    private enum Fields {
        static let plainText: HTTPFields = [.contentType: "text/plain; charset=utf-8"]
        static let json: HTTPFields = [.contentType: "application/json"]
        static let messagePack: HTTPFields = [.contentType: "application/msgpack"]
        static let octetStream: HTTPFields = [.contentType: "application/octet-stream"]
    }

    /// A form body (`name=foo&x=1`) as a MessagePack map of strings, as the book's hosts build it.
    static func form(_ body: ByteBuffer) throws(GatewayError) -> [UInt8] {
        let text = String(buffer: body)
        var pairs: [MessagePackValue.Pair] = []
        for field in text.split(separator: "&", omittingEmptySubsequences: true) {
            let parts = field.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            guard let name = decodeFormComponent(parts[0]),
                let value = decodeFormComponent(parts.count > 1 ? parts[1] : "")
            else { throw .badPayload("form field '\(field)' is not valid URL encoding") }
            pairs.append(.init(key: .string(name), value: .string(value)))
        }
        guard !pairs.isEmpty else { throw .badPayload("the form body has no fields (expected e.g. name=foo)") }
        return MessagePack.encode(.map(pairs))
    }

    static func mediaType(_ contentType: String?) -> String {
        guard let contentType else { return "" }
        // Byte by byte: Foundation's trimming costs more than the rest of a cheap request.
        let type = contentType.utf8.prefix { $0 != UInt8(ascii: ";") }
        let blank: (UInt8) -> Bool = { $0 == UInt8(ascii: " ") || $0 == UInt8(ascii: "\t") }
        guard let first = type.firstIndex(where: { !blank($0) }), let last = type.lastIndex(where: { !blank($0) }) else {
            return ""
        }
        let trimmed = Substring(type[first...last])
        return trimmed.utf8.contains { $0 >= UInt8(ascii: "A") && $0 <= UInt8(ascii: "Z") }
            ? trimmed.lowercased() : String(trimmed)
    }

    private static func decodeFormComponent(_ text: Substring) -> String? {
        String(text.replacingOccurrences(of: "+", with: " ")).removingPercentEncoding
    }
}
