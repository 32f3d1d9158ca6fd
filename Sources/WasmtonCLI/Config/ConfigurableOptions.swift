/// Options (a group of them, or a command's) that a config file can set: each key it may use,
/// named as the flag without `--`, and the typed option that key's values go into.
protocol ConfigurableOptions {
    /// The options a config file may set, by name.
    static var configFields: [String: ConfigField<Self>] { get }
}
