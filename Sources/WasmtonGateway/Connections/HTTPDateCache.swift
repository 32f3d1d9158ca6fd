#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// The `date` header value (IMF-fixdate), formatted at most once a second: what Hummingbird adds
/// to every response, without formatting a date per request. Confined to one event loop (the
/// proxy keeps one per loop, serve's ``EventLoopResponder`` one per connection), so it needs no lock.
final class HTTPDateCache {
    private var second: time_t = -1
    private var text = ""

    var now: String {
        let current = time(nil)
        if current != second {
            second = current
            var parts = tm()
            var seconds = current
            gmtime_r(&seconds, &parts)
            var buffer = [CChar](repeating: 0, count: 64)
            let count = strftime(&buffer, buffer.count, "%a, %d %b %Y %H:%M:%S GMT", &parts)
            text = String(decoding: buffer[..<count].map { UInt8(bitPattern: $0) }, as: UTF8.self)
        }
        return text
    }
}
