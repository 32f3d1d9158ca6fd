import Foundation

/// The WASI preview 1 error numbers the socket extension answers with.
enum SocketErrno: UInt16, Error {
    case success = 0
    case accessDenied = 2  // EACCES: the allow-list denies the destination
    case addressNotAvailable = 4  // EADDRNOTAVAIL
    case again = 6  // EAGAIN
    case badDescriptor = 8  // EBADF
    case connectionRefused = 14  // ECONNREFUSED
    case connectionReset = 15  // ECONNRESET
    case hostUnreachable = 23  // EHOSTUNREACH
    case invalid = 28  // EINVAL
    case io = 29  // EIO
    case tooManySockets = 33  // EMFILE
    case networkUnreachable = 40  // ENETUNREACH
    case notFound = 44  // ENOENT: the name does not resolve
    case notConnected = 53  // ENOTCONN
    case notASocket = 57  // ENOTSOCK
    case brokenPipe = 64  // EPIPE
    case timedOut = 73  // ETIMEDOUT

    /// The WASI number for a host `errno`; anything without a close match is `EIO`.
    init(posix code: Int32) {
        switch code {
        case ECONNREFUSED: self = .connectionRefused
        case ECONNRESET, ECONNABORTED: self = .connectionReset
        case EHOSTUNREACH: self = .hostUnreachable
        case ENETUNREACH, ENETDOWN: self = .networkUnreachable
        case ETIMEDOUT: self = .timedOut
        case EPIPE: self = .brokenPipe
        case ENOTCONN: self = .notConnected
        case EADDRNOTAVAIL: self = .addressNotAvailable
        case EAGAIN: self = .again
        case EINVAL: self = .invalid
        default: self = .io
        }
    }

    /// The value a guest function returns.
    var result: Int32 { Int32(rawValue) }
}
