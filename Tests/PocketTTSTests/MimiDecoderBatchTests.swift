import Kernels
import Testing
@testable import PocketTTS

/// `MimiDecoder.forwardBatch` against each stream decoded alone.
@Suite struct MimiDecoderBatchTests {
    typealias S = MimiTestSupport

    /// Streams at different positions (0, 3 and 7 frames in: the ring of 20 has wrapped for
    /// the last) decode their next frames together as they would alone, within 1e-5 of the
    /// largest sample (the transformer's products are summed in another order), and their
    /// states stay their own: afterwards each decodes alone as if never batched.
    @Test(arguments: [1, 3])
    func batchedFramesEqualEachStreamAlone(streams: Int) throws {
        let decoder = try S.randomMimi().decoder
        let (n, latentDim) = (decoder.frameLength, decoder.latentDimension)
        let warmUp = [0, 3, 7].prefix(streams)
        let rounds = 4  // batched passes
        var alone: [MimiDecoder.State] = []
        var batched: [MimiDecoder.State] = []
        for (s, frames) in warmUp.enumerated() {
            var state = decoder.makeState()
            if frames > 0 { _ = decoder.step(Tensor.random([frames, latentDim], seed: UInt64(20 + s)), state: &state) }
            alone.append(state)
            batched.append(state)
        }
        var scratch = MimiDecoder.BatchScratch()
        for round in 0..<rounds {
            let latents = Tensor.random([streams, latentDim], seed: UInt64(40 + round))
            let audio = S.forwardBatch(decoder, latents, &batched, &scratch)
            for s in 0..<streams {
                let want = decoder.step(S.rows(latents, s, 1), state: &alone[s])
                let got = Tensor(shape: [1, n], data: Array(audio[s * n..<(s + 1) * n]))
                #expect(S.scaledError(got, want) <= 1e-5, "round \(round), stream \(s)")
                #expect(batched[s].frameCount == alone[s].frameCount)
                #expect(batched[s].transformer.position == alone[s].transformer.position)
            }
        }
        // Then alone again: nothing of one stream leaked into another's state.
        for s in 0..<streams {
            let next = Tensor.random([2, latentDim], seed: UInt64(60 + s))
            #expect(S.scaledError(decoder.step(next, state: &batched[s]), decoder.step(next, state: &alone[s])) <= 1e-5)
        }
    }
}
