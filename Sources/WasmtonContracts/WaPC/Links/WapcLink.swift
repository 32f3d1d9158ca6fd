/// One host-call link, `[BINDING@]NAMESPACE[/OPERATION]=TARGET`: the `__host_call`s it answers
/// and where they go.
///
/// Without a binding the link answers every binding, without an operation every operation of
/// the namespace; among the links (and built-in capabilities) that match a call, the most
/// specific wins: binding and operation, then operation alone, then binding alone, then the
/// namespace.
public struct WapcLink: Sendable, Equatable, CustomStringConvertible {
    /// The binding it answers, or `nil` for every binding.
    public var binding: String?
    public var namespace: String
    /// The operation it answers, or `nil` for every operation of the namespace.
    public var operation: String?
    public var target: WapcLinkTarget

    public init(binding: String? = nil, namespace: String, operation: String? = nil, target: WapcLinkTarget) {
        self.binding = binding
        self.namespace = namespace
        self.operation = operation
        self.target = target
    }

    /// Parses `[BINDING@]NAMESPACE[/OPERATION]=TARGET`, e.g. `sample/hello=echo`,
    /// `myBinding@sample:namespace/pong=pong.wasm#reply`, `wasmcloud:kv=https://kv.internal/call`.
    public init(parsing spec: String) throws(WapcLinkError) {
        guard let equals = spec.firstIndex(of: "=") else {
            throw .badSpec(spec, reason: "no '=' between what to link and the target")
        }
        var key = spec[..<equals]
        let targetText = String(spec[spec.index(after: equals)...])
        guard !targetText.isEmpty else { throw .badSpec(spec, reason: "the target after '=' is empty") }
        if let at = key.firstIndex(of: "@") {
            guard at != key.startIndex else { throw .badSpec(spec, reason: "the binding before '@' is empty") }
            binding = String(key[..<at])
            key = key[key.index(after: at)...]
        }
        if let slash = key.firstIndex(of: "/") {
            let operation = key[key.index(after: slash)...]
            guard !operation.isEmpty else { throw .badSpec(spec, reason: "the operation after '/' is empty") }
            self.operation = String(operation)
            key = key[..<slash]
        }
        guard !key.isEmpty else { throw .badSpec(spec, reason: "the namespace is empty") }
        namespace = String(key)
        do {
            target = try WapcLinkTarget(parsing: targetText)
        } catch {
            guard case .badSpec(_, let reason) = error else { throw error }
            throw .badSpec(spec, reason: reason)
        }
    }

    /// Parses several specs, refusing two for the same key.
    public static func parse(_ specs: [String]) throws(WapcLinkError) -> [WapcLink] {
        var links: [WapcLink] = []
        for spec in specs {
            let link = try WapcLink(parsing: spec)
            guard !links.contains(where: { $0.key == link.key }) else { throw .duplicate(key: link.key) }
            links.append(link)
        }
        return links
    }

    /// What the link answers, as written: `[BINDING@]NAMESPACE[/OPERATION]`.
    public var key: String {
        (binding.map { "\($0)@" } ?? "") + namespace + (operation.map { "/\($0)" } ?? "")
    }

    /// The link as written: `KEY=TARGET`.
    public var description: String { "\(key)=\(target)" }
}
