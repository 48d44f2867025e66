/// Places a chain's intermediate tensors in one workspace by their lifetimes.
///
/// In a chain, the output of step i is live from step i until step i + 1 has
/// read it, so at most two tensors are live at once: each new tensor goes at
/// the lowest offset that does not overlap the tensor it is computed from
/// (greedy first fit, as TFLite Micro's planner does for a chain). A step that
/// works in place (BatchNormalization, an elementwise or row-wise activation)
/// writes over its input, and `Flatten`/`Reshape` take their input's place,
/// when that input is in the workspace; the last step writes the caller's output.
enum WorkspacePlanner {
    static func plan(_ steps: [NetworkStep]) -> WorkspacePlan {
        var outputs: [WorkspacePlan.Place] = []
        var size = 0
        var current: (place: WorkspacePlan.Place, size: Int) = (.input, steps.first?.inputSize ?? 0)
        for (index, step) in steps.enumerated() {
            let place: WorkspacePlan.Place
            if index == steps.count - 1 {
                place = .output
            } else if case .workspace = current.place, step.operation.worksInPlace, step.outputSize <= current.size {
                place = current.place
            } else if case .workspace(let offset) = current.place, offset < step.outputSize {
                // The input sits where the new tensor would start: put it just after the input.
                place = .workspace(offset: offset + current.size)
            } else {
                place = .workspace(offset: 0)
            }
            if case .workspace(let offset) = place { size = max(size, offset + step.outputSize) }
            outputs.append(place)
            current = (place, step.outputSize)
        }
        return WorkspacePlan(outputs: outputs, size: max(size, 1))
    }
}
