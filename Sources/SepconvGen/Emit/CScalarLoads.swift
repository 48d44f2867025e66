/// The macros through which the C kernel's scalar path loads a register
/// tile's weights of one depthwise channel (`KernelSchedule.loadsWeightsTogether`)
/// and each step's depthwise values of `KernelSchedule.channelsPerLoad`
/// channels: on an Arm M-profile FPU one `vldm` each into fixed
/// single-precision registers (the weights the top ones, step r's values
/// the 4 below s24 - 4r), which gcc 12 never forms from consecutive loads;
/// elsewhere one load a value.
enum CScalarLoads {
    /// The lines that define `<name>_LOAD_WEIGHTS_<count>(p)` for each of
    /// `counts`, which declares the weights `w0`, `w1`, ... as the floats at
    /// `p`, and `<name>_LOAD_DEPTHWISE_<r>(p)` for each step r below
    /// `depthwiseSteps`, which declares `v<r>_0`, `v<r>_1`, ... as the
    /// floats at the pointer `p` and advances it past them.
    static func macros(_ name: String, counts: [Int], depthwiseSteps: Int) -> [String] {
        guard !counts.isEmpty || depthwiseSteps > 0 else { return [] }
        let weights = { (count: Int) in (0..<count).map { "w\($0)" } }
        let U = KernelSchedule.channelsPerLoad
        let values = { (r: Int) in (0..<U).map { "v\(r)_\($0)" } }
        let pinned = { (names: [String], first: Int) in names.enumerated().map { "\($0.element) __asm__(\"s\(first + $0.offset)\")" } }
        return [
            "#if " + VectorGuard.mProfileFPU.cCondition,
            "/* An M-profile FPU: a register tile's weights of one channel, and a step's depthwise values, in one multiple load into fixed registers. */",
        ] + counts.map { count in
            let first = 32 - count
            let registers = pinned(weights(count), first)
            let outputs = weights(count).map { "\"=t\"(\($0))" }
            return "#define \(name)_LOAD_WEIGHTS_\(count)(p) register float " + registers.joined(separator: ", ") + "; "
                + "__asm__(\"vldmia %\(count), {s\(first)-s31}\" : " + outputs.joined(separator: ", ")
                + " : \"r\"(p), \"m\"(*(const float (*)[\(count)])(p)))"
        } + (0..<depthwiseSteps).map { r in
            let first = 32 - KernelSchedule.loadedTile.filters - U * (r + 1)
            return "#define \(name)_LOAD_DEPTHWISE_\(r)(p) register float " + pinned(values(r), first).joined(separator: ", ") + "; "
                + "__asm__(\"vldmia %\(U)!, {s\(first)-s\(first + U - 1)}\" : " + values(r).map { "\"=t\"(\($0))" }.joined(separator: ", ")
                + ", \"+r\"(p) : \"m\"(*(const float (*)[\(U)])(p)))"
        } + ["#else"] + counts.map { count in
            "#define \(name)_LOAD_WEIGHTS_\(count)(p) const float " + weights(count).enumerated().map { "\($0.element) = (p)[\($0.offset)]" }.joined(separator: ", ")
        } + (0..<depthwiseSteps).map { r in
            "#define \(name)_LOAD_DEPTHWISE_\(r)(p) const float " + values(r).enumerated().map { "\($0.element) = (p)[\($0.offset)]" }.joined(separator: ", ")
                + "; (p) += \(U)"
        } + ["#endif"]
    }
}
