import Kernels
import Testing
@testable import PocketTTS

/// SEANet's working buffers lent by a decoding thread (`MimiDecoder.Scratch`,
/// `BatchScratch.lent`) instead of kept per stream: the same audio, and small states.
@Suite struct MimiScratchTests {
    typealias S = MimiTestSupport

    static func decoder(_ precision: Precision) throws -> MimiDecoder {
        try MimiDecoderPrecisionTests.mimi(precision).decoder
    }

    static func forward(_ decoder: MimiDecoder, _ latents: Tensor, _ state: inout MimiDecoder.State,
                        scratch: inout MimiDecoder.Scratch?) -> [UInt32] {
        let T = latents.shape[0]
        var audio = [Float](repeating: .nan, count: T * decoder.frameLength)
        latents.data.withUnsafeBufferPointer { x in
            audio.withUnsafeMutableBufferPointer { y in
                if scratch != nil {
                    decoder.forward(latents: x.baseAddress!, frames: T, into: y.baseAddress!, state: &state, scratch: &scratch!)
                } else {
                    decoder.forward(latents: x.baseAddress!, frames: T, into: y.baseAddress!, state: &state)
                }
            }
        }
        return audio.map(\.bitPattern)
    }

    /// Two streams take turns on one thread's scratch, in calls of 1, 2 and 3 frames (so the
    /// buffers change size between streams): each stream's audio is bit for bit its audio with
    /// buffers of its own, and its state holds no SEANet scratch between calls.
    @Test(arguments: [Precision.exact, .int8])
    func streamsSharingAThreadsScratchGetTheirOwnAudio(precision: Precision) throws {
        let decoder = try Self.decoder(precision)
        let latentDim = decoder.latentDimension
        let calls = [[1, 2, 1, 3], [2, 1, 3, 1]]  // frames per call, per stream
        var shared: MimiDecoder.Scratch? = MimiDecoder.Scratch()
        var own: MimiDecoder.Scratch? = nil
        var lent = [decoder.makeState(), decoder.makeState()]
        var kept = [decoder.makeState(), decoder.makeState()]
        for call in 0..<calls[0].count {
            for s in 0..<2 {
                let latents = Tensor.random([calls[s][call], latentDim], seed: UInt64(100 * s + call))
                let got = Self.forward(decoder, latents, &lent[s], scratch: &shared)
                let want = Self.forward(decoder, latents, &kept[s], scratch: &own)
                #expect(got == want, "stream \(s), call \(call)")
                #expect(lent[s].seanetScratchCount == 0)
                #expect(kept[s].seanetScratchCount > 0)
            }
        }
    }

    /// `forwardBatch` lends SEANet's buffers too: the batched streams keep none.
    @Test func batchedStreamsKeepNoScratch() throws {
        let decoder = try Self.decoder(.int8)
        var states = [decoder.makeState(), decoder.makeState(), decoder.makeState()]
        var scratch = MimiDecoder.BatchScratch()
        let latents = Tensor.random([states.count, decoder.latentDimension], seed: 3)
        let audio = S.forwardBatch(decoder, latents, &states, &scratch)
        #expect(audio.allSatisfy { $0.isFinite })
        #expect(states.allSatisfy { $0.seanetScratchCount == 0 && $0.frameCount == 1 })
        #expect((scratch.lent.seanet.buffers?.scratchCount ?? 0) > 0)
    }
}
