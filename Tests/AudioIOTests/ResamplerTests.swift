import Foundation
import Testing
@testable import AudioIO

@Suite struct ResamplerTests {
    func sine(_ n: Int, rate: Int, hz: Double) -> [Float] {
        (0..<n).map { 0.5 * Float(sin(2 * Double.pi * hz * Double($0) / Double(rate))) }
    }

    @Test func downsamplesASineFaithfully() throws {
        let input = sine(48000, rate: 48000, hz: 440)
        let out = try Resampler.resample(input, from: 48000, to: 24000)
        #expect(abs(out.count - 24000) <= 2)
        // Away from the edges the output is the same sine at the new rate (delay compensated by soxr).
        let ideal = sine(out.count, rate: 24000, hz: 440)
        var err: Float = 0
        for i in 1000..<(out.count - 1000) { err = max(err, abs(out[i] - ideal[i])) }
        #expect(err < 1e-3)
    }

    @Test func streamingEqualsOneShot() throws {
        let input = sine(44100, rate: 44100, hz: 1000)
        let whole = try Resampler.resample(input, from: 44100, to: 24000)
        let r = try Resampler(inputRate: 44100, outputRate: 24000)
        var chunked: [Float] = []
        var i = 0
        for size in [1, 100, 3000, 7, 441, 20000] + [Int](repeating: 4000, count: 10) where i < input.count {
            let end = min(i + size, input.count)
            chunked += try r.process(Array(input[i..<end]))
            i = end
        }
        if i < input.count { chunked += try r.process(Array(input[i...])) }
        chunked += try r.flush()
        #expect(chunked.count == whole.count)
        var err: Float = 0
        for k in 0..<min(chunked.count, whole.count) { err = max(err, abs(chunked[k] - whole[k])) }
        #expect(err < 1e-5)
    }

    @Test func sameRateIsIdentity() throws {
        let input = sine(100, rate: 24000, hz: 300)
        #expect(try Resampler.resample(input, from: 24000, to: 24000) == input)
    }

    @Test func invalidRatesAreRejected() {
        #expect(throws: ResamplerError.invalidRates(input: 0, output: 24000)) { try Resampler(inputRate: 0, outputRate: 24000) }
    }
}
