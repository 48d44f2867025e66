/// The arguments of a SeparableConv1D that shape the emitted code, read from
/// its Keras config (`get_config()` in a model file) within the limits a
/// written spec's `layer` mapping is held to (`Limits`). Initializers and
/// training-only keys are left out: the model gives the weights.
struct SeparableArguments {
    var filters, kernelSize, strides, dilationRate, depthMultiplier: Int
    var padding: Padding
    var dataFormat: DataFormat
    var activation: Activation
    var useBias: Bool

    /// Reads `config`, the config of the layer `what` names in messages.
    /// - Throws: `ModelError` naming the first argument out of range or of the wrong kind.
    init(config: JSONValue, what: String) throws(ModelError) {
        func integer(_ key: String, _ limit: Int, default value: Int? = nil) throws(ModelError) -> Int {
            // Keras saves tuples of one (`kernel_size: [3]`) as lists.
            let given = config[key] ?? value.map(JSONValue.int)
            guard let given, let number = given.int ?? (given.array?.count == 1 ? given.array?.first?.int : nil),
                  (1...limit).contains(number) else {
                throw ModelError("\(what): \(key) must be an integer (or a list of one) from 1 to \(limit)")
            }
            return number
        }
        filters = try integer("filters", Limits.maxChannels)
        kernelSize = try integer("kernel_size", Limits.maxExtent)
        strides = try integer("strides", Limits.maxExtent, default: 1)
        dilationRate = try integer("dilation_rate", Limits.maxExtent, default: 1)
        depthMultiplier = try integer("depth_multiplier", Limits.maxChannels, default: 1)
        let paddingName = config["padding"] == nil ? "valid" : config["padding"]?.string
        guard let padding = paddingName.flatMap({ Padding(rawValue: $0.lowercased()) }) else {
            throw ModelError("\(what): padding must be 'valid' or 'same' (Keras's SeparableConv1D takes no other)")
        }
        self.padding = padding
        let formatName = (config["data_format"] ?? .null) == .null ? "channels_last" : config["data_format"]?.string
        guard let dataFormat = formatName.flatMap({ DataFormat(rawValue: $0.lowercased()) }) else {
            throw ModelError("\(what): data_format must be 'channels_last' or 'channels_first'")
        }
        self.dataFormat = dataFormat
        // A name, null, or the mapping Keras serialises a built-in function as.
        let activationValue = config["activation"] ?? .null
        let name: String? = switch activationValue {
        case .null: "linear"
        case .string(let text): text
        case .object where activationValue["class_name"]?.string == "function": activationValue["config"]?.string
        default: nil
        }
        guard let name, let activation = Activation.named(name) else {
            let shown = name.map { " '\(Identifier.printable($0))'" } ?? ""
            throw ModelError("\(what): activation\(shown) is not one sepconv-gen knows (\(Activation.acceptedNames.joined(separator: ", ")))")
        }
        self.activation = activation
        guard let useBias = (config["use_bias"] ?? .bool(true)).bool else { throw ModelError("\(what): use_bias must be true or false") }
        self.useBias = useBias
    }
}
