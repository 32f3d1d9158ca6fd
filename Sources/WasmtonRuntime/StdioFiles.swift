#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// The three host descriptors a guest's stdin, stdout and stderr are wired to.
///
/// Captured output goes to unlinked temporary files rather than pipes: a pipe holds 64 KiB, and
/// a guest writing more would block forever with nobody reading the other end.
final class StdioFiles: Sendable {
    let stdin: CInt
    let stdout: CInt
    let stderr: CInt
    private let owned: Bool

    private init(stdin: CInt, stdout: CInt, stderr: CInt, owned: Bool) {
        self.stdin = stdin
        self.stdout = stdout
        self.stderr = stderr
        self.owned = owned
    }

    static func make(_ stdio: Stdio) throws(GuestError) -> StdioFiles {
        switch stdio {
        case .inherit:
            return StdioFiles(stdin: 0, stdout: 1, stderr: 2, owned: false)
        case .discard:
            let null = open("/dev/null", O_RDWR | O_CLOEXEC)
            guard null >= 0 else { throw .sandboxSetup("cannot open /dev/null") }
            let out = dup(null)
            let err = dup(null)
            return StdioFiles(stdin: null, stdout: out, stderr: err, owned: true)
        case .capture:
            let null = open("/dev/null", O_RDONLY | O_CLOEXEC)
            guard null >= 0 else { throw .sandboxSetup("cannot open /dev/null") }
            let out = try temporaryFile()
            let err = try temporaryFile()
            return StdioFiles(stdin: null, stdout: out, stderr: err, owned: true)
        }
    }

    /// Reads and clears what was written to a captured descriptor.
    func take(_ fd: CInt) -> [UInt8] {
        guard owned else { return [] }
        let size = lseek(fd, 0, SEEK_END)
        guard size > 0 else { return [] }
        var bytes = [UInt8](repeating: 0, count: Int(size))
        var done = 0
        while done < bytes.count {
            let n = bytes.withUnsafeMutableBytes { buffer in
                pread(fd, buffer.baseAddress! + done, buffer.count - done, off_t(done))
            }
            if n <= 0 { break }
            done += n
        }
        _ = ftruncate(fd, 0)
        _ = lseek(fd, 0, SEEK_SET)
        return Array(bytes.prefix(done))
    }

    func close() {
        guard owned else { return }
        _ = Glibc.close(stdin)
        _ = Glibc.close(stdout)
        _ = Glibc.close(stderr)
    }

    private static func temporaryFile() throws(GuestError) -> CInt {
        var template = Array("/tmp/wasmton-stdio-XXXXXX".utf8CString)
        let fd = template.withUnsafeMutableBufferPointer { mkstemp($0.baseAddress!) }
        guard fd >= 0 else { throw .sandboxSetup("cannot create a temporary file for captured output") }
        template.withUnsafeBufferPointer { _ = unlink($0.baseAddress!) }
        _ = fcntl(fd, F_SETFD, FD_CLOEXEC)
        return fd
    }
}
