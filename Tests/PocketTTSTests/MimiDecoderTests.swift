import Kernels
import Testing
@testable import PocketTTS

@Suite struct MimiDecoderTests {
    typealias S = MimiTestSupport

    @Test func steppingRandomFrameChunksEqualsDecodingAtOnce() throws {
        let decoder = try S.randomMimi().decoder
        let T = 6  // 96 transformer steps: the ring of 20 wraps several times
        let latents = Tensor.random([T, 32], seed: 11)
        let whole = decoder.decode(frames: latents)
        #expect(whole.shape == [1, T * 1920])
        #expect(whole.maxAbs > 1e-3)
        for seed in UInt64(1)..<4 {
            var state = decoder.makeState()
            var parts: [Tensor] = []
            var frame = 0
            for n in S.randomChunks(total: T, unit: 1, maxUnits: 3, seed: seed) {
                parts.append(decoder.step(S.rows(latents, frame, n), state: &state))
                frame += n
            }
            #expect(state.frameCount == T)
            #expect(S.scaledError(S.concatColumns(parts), whole) <= 1e-5)
        }
    }

    /// The decoder equals its stages run one after the other, the transformer one reference
    /// call (16 rows) at a time with a ring of `context`.
    @Test func decoderEqualsItsStagesChained() throws {
        let decoder = try S.randomMimi().decoder
        let T = 4
        let latents = Tensor.random([T, 32], seed: 12)
        let projected = decoder.outputProjection(latents).transposed()  // [C, T]
        var upState = decoder.upsample.makeState()
        let upsampled = decoder.upsample.step(projected, state: &upState)  // [C, 16T]
        var trState = decoder.transformer.makeState(capacity: decoder.transformer.context)
        var rows: [Tensor] = []
        let timeMajor = upsampled.transposed()
        for f in 0..<T { rows.append(decoder.transformer.step(S.rows(timeMajor, 16 * f, 16), state: &trState)) }
        let transformed = S.concatRows(rows).transposed()  // [C, 16T]
        var seState = decoder.seanet.makeState()
        let audio = decoder.seanet.step(transformed, state: &seState)
        #expect(S.scaledError(decoder.decode(frames: latents, fadingIn: false), audio) <= 1e-5)
    }

    /// A fresh state fades its first 120 samples in (4.0.1's decoding worker), on its first call
    /// only, whatever the frames per call; `fadingIn: false` leaves the audio as decoded.
    @Test func freshStateFadesItsFirstFiveMillisecondsIn() throws {
        let decoder = try S.randomMimi().decoder
        #expect(decoder.fadeInLength == 120)
        let latents = Tensor.random([3, 32], seed: 15)
        let raw = decoder.decode(frames: latents, fadingIn: false)
        let ramp = AudioFades.linspace(0, 1, count: 120)
        var expected = raw
        for i in 0..<120 { expected.data[i] *= ramp[i] }
        #expect(decoder.decode(frames: latents) == expected)
        var state = decoder.makeState()
        #expect(state.fadeInPending)
        let first = decoder.step(S.rows(latents, 0, 1), state: &state)
        #expect(!state.fadeInPending)
        let rest = decoder.step(S.rows(latents, 1, 2), state: &state)
        #expect(S.scaledError(S.concatColumns([first, rest]), expected) <= 1e-5)
        #expect(Array(first.data.prefix(120)) == Array(expected.data.prefix(120)))
    }

    @Test func freshStatesGiveTheSameAudio() throws {
        let decoder = try S.randomMimi().decoder
        let latents = Tensor.random([2, 32], seed: 13)
        var a = decoder.makeState()
        _ = decoder.step(Tensor.random([3, 32], seed: 14), state: &a)
        a = decoder.makeState()
        #expect(decoder.step(latents, state: &a) == decoder.decode(frames: latents))
    }

    @Test func denormalizeScalesAndShiftsEachChannel() {
        let normalization = LatentNormalization(mean: [1, 0, -1], std: [2, 3, 0.5])
        var y: [Float] = [7]  // appended to
        normalization.denormalize([1, 2, 3, 4, 5, 6], appendingTo: &y)  // [2, 3]
        #expect(y == [7, 3, 6, 0.5, 9, 15, 2])
    }
}
