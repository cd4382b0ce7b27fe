import CSoxr

/// Errors from libsoxr, with its message.
public enum ResamplerError: Error, Equatable, CustomStringConvertible {
    case invalidRates(input: Int, output: Int)
    case soxr(String)

    public var description: String {
        switch self {
        case .invalidRates(let i, let o): "resampler: invalid rates \(i) Hz -> \(o) Hz"
        case .soxr(let message): "resampler: \(message)"
        }
    }
}

/// Streaming mono float resampler over libsoxr (high quality): the only file that imports it.
/// One instance per stream; feed chunks with `process`, then `flush` at the end of the stream.
public final class Resampler {
    public let inputRate: Int
    public let outputRate: Int
    private let soxr: soxr_t
    private var output: [Float] = []

    public init(inputRate: Int, outputRate: Int) throws(ResamplerError) {
        guard inputRate > 0, outputRate > 0 else { throw .invalidRates(input: inputRate, output: outputRate) }
        var error: soxr_error_t?
        var io = soxr_io_spec(SOXR_FLOAT32_I, SOXR_FLOAT32_I)
        var quality = soxr_quality_spec(UInt(SOXR_HQ), 0)
        let handle = soxr_create(Double(inputRate), Double(outputRate), 1, &error, &io, &quality, nil)
        if let error { throw .soxr(String(cString: error)) }
        guard let handle else { throw .soxr("soxr_create returned no resampler") }
        self.soxr = handle
        self.inputRate = inputRate
        self.outputRate = outputRate
    }

    deinit { soxr_delete(soxr) }

    /// Resamples the next chunk of input; returns what is ready (may be empty at first).
    public func process(_ input: [Float]) throws(ResamplerError) -> [Float] {
        try run(input, final: false)
    }

    /// Ends the stream: returns the samples still held in the filter.
    public func flush() throws(ResamplerError) -> [Float] {
        try run([], final: true)
    }

    /// Resamples a whole signal in one go.
    public static func resample(_ samples: [Float], from inputRate: Int, to outputRate: Int) throws(ResamplerError) -> [Float] {
        if inputRate == outputRate { return samples }
        let r = try Resampler(inputRate: inputRate, outputRate: outputRate)
        var out = try r.process(samples)
        out += try r.flush()
        return out
    }

    private func run(_ input: [Float], final: Bool) throws(ResamplerError) -> [Float] {
        var result: [Float] = []
        let expected = Int((Double(input.count) * Double(outputRate) / Double(inputRate)).rounded(.up)) + 64
        if output.count < expected { output = [Float](repeating: 0, count: expected) }
        var consumedTotal = 0
        while true {
            var consumed = 0
            var produced = 0
            let error: soxr_error_t? = input.withUnsafeBufferPointer { inBuf in
                output.withUnsafeMutableBufferPointer { outBuf in
                    let remaining = inBuf.count - consumedTotal
                    // A nil input pointer tells soxr that the input has ended.
                    let inPtr = final ? nil : UnsafeRawPointer(inBuf.baseAddress.map { $0 + consumedTotal })
                    return soxr_process(soxr, inPtr, final ? 0 : remaining, &consumed, outBuf.baseAddress, outBuf.count, &produced)
                }
            }
            if let error { throw .soxr(String(cString: error)) }
            consumedTotal += consumed
            result.append(contentsOf: output[0..<produced])
            // Done once all input is taken and the output buffer was not filled to the brim.
            if consumedTotal >= input.count && produced < output.count { break }
        }
        return result
    }
}
