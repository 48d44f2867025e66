// Runs the generated KwsBlock1 layer on a fixed input and prints its output,
// in the same format as ../../../make/main.c and ../../../cmake/main.c.

let batch = 2
let inputSize = KwsBlock1.inputSteps * KwsBlock1.inputChannels
let outputSize = KwsBlock1.outputSteps * KwsBlock1.outputChannels

// A fixed input, exact in binary: values k/8 for k in -8...8.
var input = [Float](repeating: 0, count: batch * inputSize)
for b in 0..<batch {
    for t in 0..<KwsBlock1.inputSteps {
        for c in 0..<KwsBlock1.inputChannels {
            input[(b * KwsBlock1.inputSteps + t) * KwsBlock1.inputChannels + c] =
                Float((t * 7 + c * 13 + b * 5) % 17 - 8) / 8
        }
    }
}

let output = KwsBlock1.forward(input, batch: batch)

/// `x` with six decimals, as C's `printf("%.6f")` prints it.
func fixed6(_ x: Double) -> String {
    let scaled = (x * 1_000_000).rounded()
    let micros = Int64(scaled.magnitude)
    let fraction = String(micros % 1_000_000)
    let sign = x.sign == .minus ? "-" : ""
    return sign + String(micros / 1_000_000) + "."
        + String(repeating: "0", count: 6 - fraction.count) + fraction
}

func printStep(item: Int, step: Int) {
    let start = item * outputSize + step * KwsBlock1.outputChannels
    let values = output[start..<start + KwsBlock1.outputChannels].map { " " + fixed6(Double($0)) }
    print("item \(item) step \(step):" + values.joined())
}

print("kws_block1: batch \(batch), input \(KwsBlock1.inputSteps) x \(KwsBlock1.inputChannels)"
    + " -> output \(KwsBlock1.outputSteps) x \(KwsBlock1.outputChannels)")
for b in 0..<batch {
    var sum = 0.0, sumSq = 0.0, checksum = 0.0
    printStep(item: b, step: 0)
    printStep(item: b, step: KwsBlock1.outputSteps - 1)
    for i in 0..<outputSize {
        let y = Double(output[b * outputSize + i])
        sum += y
        sumSq += y * y
        checksum += y * Double(1 + i % 13)
    }
    print("item \(b) sum \(fixed6(sum)) sum_sq \(fixed6(sumSq)) checksum \(fixed6(checksum))")
}
