public import WasmtonCapture

/// The entries of a capture file, records or waPC requests.
public final class CaptureFileInput: ReplayInput {
    public let expectedCount: Int?
    private let reader: CaptureReader

    /// Opens `path`, reads its header and counts its entries.
    public init(path: String) throws(ReplayError) {
        do throws(CaptureError) {
            reader = try CaptureReader(path: path)
            expectedCount = try CaptureReader.count(path)
        } catch {
            throw .capture(error)
        }
    }

    /// What the file holds.
    public var kind: CaptureKind { reader.kind }

    public func next() throws(ReplayError) -> ReplayItem? {
        do throws(CaptureError) {
            switch reader.kind {
            case .records: return try reader.nextRecord().map(ReplayItem.record)
            case .wapc: return try reader.nextRequest().map(ReplayItem.request)
            }
        } catch {
            throw .capture(error)
        }
    }
}
