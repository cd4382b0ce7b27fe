import AudioIO
import Foundation
import PocketTTS
import Testing
@testable import TTSEngine

/// `TTSModel.voiceState(file:)` / `voiceState(audio:)`: read, resample and encode in one place.
@Suite struct TTSModelVoiceAudioTests {
    let model: TTSModel

    init() throws { model = try VoiceFixtures.tinyModel() }

    @Test func audioFileMatchesTheReferenceVoiceState() throws {
        let fromAudio = try model.voiceState(file: VoiceFixtures.voiceWAV)
        let reference = try model.voiceState(stateFile: VoiceFixtures.voiceState)
        #expect(fromAudio.length == reference.length)
        expectSameVoice(fromAudio, reference, model: model, tolerance: 1e-4)
        // A 24 kHz file goes to the model unchanged.
        let samples = try AudioFile.read(VoiceFixtures.voiceWAV).samples
        expectSameVoice(fromAudio, try model.voiceState(samples24k: samples), model: model, tolerance: 0)
    }

    @Test func otherRatesAreResampledFirst() throws {
        let audio = try AudioFile.read(VoiceFixtures.voiceWAV)
        let at16k = Audio(samples: try Resampler.resample(audio.samples, from: 24000, to: 16000), sampleRate: 16000)
        let expected = try model.voiceState(samples24k: try Resampler.resample(at16k.samples, from: 16000, to: 24000))
        expectSameVoice(try model.voiceState(audio: at16k), expected, model: model, tolerance: 0)
    }

    @Test func stateFilesLoadAsTheModelLoadsThem() throws {
        let viaFile = try model.voiceState(file: VoiceFixtures.voiceState)
        #expect(model.flowLM.voiceTensors(of: viaFile) == model.flowLM.voiceTensors(of: try model.voiceState(stateFile: VoiceFixtures.voiceState)))
    }
}
