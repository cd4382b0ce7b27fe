// kernel-bench split: FlowLM's 24 bf16 matrices, one thread vs outputs split with a WorkerPool.
import Kernels
import PocketTTS

func benchmarkSplit(reps: Int) {
    let shapes: [(out: Int, in: Int)] = [(3072, 1024), (1024, 1024), (4096, 1024), (1024, 4096)]
    var weights: [[UInt16]] = []
    for i in 0..<24 {
        let values: [Float] = Tensor.random([shapes[i % 4].out * shapes[i % 4].in], seed: UInt64(i), in: -0.03...0.03).data
        weights.append(values.map { FloatConversion.bfloat16(from: $0) })
    }
    let x = Tensor.random([64 * 4096], seed: 99).data
    var y = [Float](repeating: 0, count: 64 * 4096)
    print("\nbf16 linears, 24 matrices: one thread vs outputs split over two (WorkerPool); ms per pass (min / median)")
    let pool = WorkerPool()
    func pass(_ rows: Int, split: Bool) -> () -> Void {
        {
            x.withUnsafeBufferPointer { xp in
                y.withUnsafeMutableBufferPointer { ybuf in
                    let yp = ybuf.baseAddress!
                    for i in 0..<24 {
                        let (n, k) = (shapes[i % 4].out, shapes[i % 4].in)
                        weights[i].withUnsafeBufferPointer { w in
                            let run = { (outputs: Range<Int>) in
                                _ = SkinnyLinear.forward(xp.baseAddress!, rows: rows, inFeatures: k, bfloat16Weight: w.baseAddress!,
                                                         outFeatures: n, bias: nil, into: yp, outputs: outputs)
                            }
                            if split {
                                let block = n / 8 / 24 * 24
                                pool.parallelFor((n + block - 1) / block) { i in
                                    run(i * block..<min(n, (i + 1) * block))
                                }
                            } else {
                                run(0..<n)
                            }
                        }
                    }
                }
            }
        }
    }
    for rows in [1, 2, 4, 8, 12, 16, 24, 43] {
        let variants = [("one thread", pass(rows, split: false)), ("two threads", pass(rows, split: true))]
        var samples = [[Sample]](repeating: [], count: variants.count)
        for _ in 0..<reps {
            for (v, variant) in variants.enumerated() { samples[v].append(measure(variant.1)) }
        }
        for (v, variant) in variants.enumerated() {
            print("rows \(String(format: "%2d", rows))  \(variant.0.padding(toLength: 12, withPad: " ", startingAt: 0))  \(summary(samples[v]))")
        }
    }
}
