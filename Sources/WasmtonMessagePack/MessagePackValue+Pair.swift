extension MessagePackValue {
    /// One key/value entry of a MessagePack map.
    ///
    /// Why a list of pairs rather than a dictionary: MessagePack maps are ordered on the wire,
    /// their keys may be of any type (including arrays and maps), and a decoder must not drop
    /// duplicates, so re-encoding reproduces the input.
    public struct Pair: Hashable, Sendable {
        /// The entry's key, of any MessagePack type.
        public var key: MessagePackValue
        /// The entry's value.
        public var value: MessagePackValue

        /// Makes an entry from its key and value.
        public init(key: MessagePackValue, value: MessagePackValue) {
            self.key = key
            self.value = value
        }
    }
}
