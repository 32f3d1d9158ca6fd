/// Placeholder: the MessagePack codec lands here.
public enum MessagePackValue: Sendable {}
