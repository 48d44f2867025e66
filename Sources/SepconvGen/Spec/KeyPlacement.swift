/// Where each key of a spec's four sections belongs, so that a key given in
/// the wrong one (`data_format` at the top level, `weights` under `layer`)
/// is answered with where to move it rather than a bare "unknown key".
enum KeyPlacement {
    /// Each section, by the path `NodeReader` names it with, and its keys.
    static var sections: [(path: String, keys: [String])] {
        [("spec", SpecDecoder.topKeys), ("input", SpecDecoder.inputKeys),
         ("layer", SpecDecoder.acceptedLayerKeys), ("weights", SpecDecoder.weightKeys)]
    }

    /// `it belongs under 'layer:'` (or `at the top level`) when `key`, unknown
    /// in the section at `path`, is a key of another section, with the path the
    /// key belongs at (`input.steps`); nil otherwise.
    static func hint(for key: String, in path: String) -> (text: String, path: String)? {
        guard sections.contains(where: { $0.path == path }),
              let home = sections.first(where: { $0.path != path && $0.keys.contains(key) }) else { return nil }
        return home.path == "spec" ? ("it belongs at the top level of the spec", key) : ("it belongs under '\(home.path):'", "\(home.path).\(key)")
    }
}
