import Kernels
import Testing
@testable import PocketTTS

@Suite struct MimiEncoderTests {
    typealias S = MimiTestSupport

    @Test func seanetEncoderChunksEqualOnePass() throws {
        let seanet = try S.randomMimi().encoder.seanet
        #expect(seanet.hopLength == 120)
        let x = Tensor.random([1, 120 * 9], seed: 21)
        var whole = seanet.makeState()
        let expected = seanet.step(x, state: &whole)
        #expect(expected.shape == [32, 9])
        for seed in UInt64(1)..<3 {
            var state = seanet.makeState()
            var parts: [Tensor] = []
            var offset = 0
            for n in S.randomChunks(total: 120 * 9, unit: 120, maxUnits: 4, seed: seed) {
                parts.append(seanet.step(S.columns(x, offset, n), state: &state))
                offset += n
            }
            #expect(S.scaledError(S.concatColumns(parts), expected) <= 1e-5)
        }
    }

    @Test func encodePadsToWholeFrames() throws {
        let encoder = try S.randomMimi().encoder
        let audio = Tensor.random([3000], seed: 22).data
        let latents = try encoder.encode(audio: audio)
        #expect(latents.shape == [2, 32])
        let padded = try encoder.encode(audio: audio + [Float](repeating: 0, count: 3840 - 3000))
        #expect(latents == padded)
        let longer = try encoder.encode(audio: audio + [Float](repeating: 0.5, count: 840))
        #expect(Tensor.maxAbsDifference(latents, longer) > 1e-4)
        #expect(try encoder.encode(audio: [0.1]).shape == [1, 32])
    }

    @Test func encodeRejectsEmptyAudio() throws {
        let encoder = try S.randomMimi().encoder
        #expect(throws: MimiError.emptyAudio) { try encoder.encode(audio: []) }
    }

    @Test func speakerProjectionIsALinearMap() {
        let latents = Tensor(shape: [1, 2], data: [1, 2])
        let w = Tensor(shape: [3, 2], data: [1, 0, 0, 1, 1, 1])
        #expect(MimiEncoder.projectToSpeaker(latents, weight: w).data == [1, 2, 3])
    }
}
