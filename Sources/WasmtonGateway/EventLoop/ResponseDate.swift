import Glibc
import Synchronization

/// The `date` header of direct answers (RFC 9110's IMF-fixdate), formatted once a second and
/// shared by every event loop, as Hummingbird's own date cache does for its responses.
enum ResponseDate {
    private static let cache = Mutex<(second: Int, text: String)>((-1, ""))

    /// The current time as an HTTP date.
    static var now: String {
        let second = time(nil)
        return cache.withLock { cache in
            if cache.second != second {
                cache = (second, format(second))
            }
            return cache.text
        }
    }

    private static func format(_ second: Int) -> String {
        var clock = time_t(second)
        var parts = tm()
        gmtime_r(&clock, &parts)
        var buffer = [CChar](repeating: 0, count: 64)
        let length = strftime(&buffer, buffer.count, "%a, %d %b %Y %H:%M:%S GMT", &parts)
        return String(decoding: buffer[..<length].map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }
}
