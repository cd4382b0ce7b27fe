// Golden parity of the Mimi codec with pocket-tts 4.0.1, one fixture per distinct Mimi
// configuration (Fixtures/reference401, made by Scripts/reference/make_mimi_fixtures_401.py):
// decoding frame by frame and at once, the decoding worker's fade-in, end_on_pause and encoding
// of a voice prompt, and the codec checkpoint's training layout (get_mimi_state_dict).
import Foundation
import Kernels
import Testing
@testable import PocketTTS

@Suite struct MimiReference401Tests {
    typealias S = MimiTestSupport

    static let names = ["english_2026-01", "english", "english_2m_2026-10", "grouped"]
    static let tolerance: Float = 1e-4

    static func file(_ name: String) throws -> SafetensorsFile {
        try SafetensorsFile(contentsOf: S.reference401Directory.appendingPathComponent(name))
    }

    /// The fixture's `mimi:` config.
    static func config(_ name: String) throws -> MimiConfig {
        let data = try Data(contentsOf: S.reference401Directory.appendingPathComponent("mimi_configs.json"))
        let configs = try JSONDecoder().decode([String: MimiConfig].self, from: data)
        return try #require(configs[name], "config \(name)")
    }

    /// The fixture's codec (4.0.1: tanh GELU), every tensor of its file used.
    static func mimi(_ name: String, precision: Precision = .exact) throws -> Mimi {
        let tensors = try MimiCheckpoint.tensors(from: try file("mimi_\(name).safetensors"))
        let reader = WeightReader(tensors: tensors)
        let mimi = try Mimi(config: try config(name), weights: reader.scoped("mimi."), geluApproximation: .tanh,
                            precision: precision)
        try reader.finish()
        return mimi
    }

    static func golden(_ name: String, _ tensor: String) throws -> Tensor {
        try file("mimi_\(name)_golden.safetensors").tensor(named: tensor)
    }

    /// max |got − want|, shapes checked.
    static func maxError(_ got: Tensor, _ want: Tensor, _ what: String) -> Float {
        #expect(got.shape == want.shape, "\(what): shape \(got.shape), expected \(want.shape)")
        guard got.shape == want.shape else { return .infinity }
        return Tensor.maxAbsDifference(got, want)
    }

    @Test(arguments: names)
    func decoderMatchesFrameByFrameAtOnceAndFaded(name: String) throws {
        let decoder = try Self.mimi(name).decoder
        let latents = try Self.golden(name, "latents")  // [12, 32]
        var state = decoder.makeState(fadingIn: false)
        var frames: [Tensor] = []
        for f in 0..<latents.shape[0] { frames.append(decoder.step(S.rows(latents, f, 1), state: &state)) }
        let byFrame = Self.maxError(S.concatColumns(frames), try Self.golden(name, "audio_frames"), "frames")
        let atOnce = Self.maxError(decoder.decode(frames: latents, fadingIn: false), try Self.golden(name, "audio_all"), "all")
        var faded = decoder.makeState()
        frames = (0..<latents.shape[0]).map { decoder.step(S.rows(latents, $0, 1), state: &faded) }
        let fade = Self.maxError(S.concatColumns(frames), try Self.golden(name, "audio_faded"), "faded")
        print("mimi401 \(name): decoder max error frame by frame \(byFrame), at once \(atOnce), faded \(fade)")
        #expect(byFrame <= Self.tolerance && atOnce <= Self.tolerance && fade <= Self.tolerance)
    }

    /// The fade-in's ramp is torch.linspace's, bit for bit: 4.0.1's faded audio is its own raw
    /// audio times `AudioFades.linspace(0, 1, 120)` exactly.
    @Test func fadeInRampIsTorchLinspace() throws {
        let raw = try Self.golden("english", "audio_frames").data
        let faded = try Self.golden("english", "audio_faded").data
        let ramp = AudioFades.linspace(0, 1, count: 120)
        #expect((0..<120).allSatisfy { raw[$0] * ramp[$0] == faded[$0] })
        #expect(raw[120...] == faded[120...])
    }

    @Test func endOnPauseMatchesReference() throws {
        let voice = try Self.file("voice.safetensors")
        let audio = try voice.tensor(named: "voice_audio").data
        let trimmed = try voice.tensor(named: "voice_trimmed").data
        let ours = AudioFades.endOnPause(audio, sampleRate: 24000)
        #expect(ours.count == trimmed.count && ours.count < audio.count)
        #expect(ours == trimmed)
        #expect(AudioFades.endOnPause(Array(audio.prefix(100)), sampleRate: 24000) == Array(audio.prefix(100)))
    }

    @Test(arguments: names)
    func encoderMatchesOnTheTrimmedVoice(name: String) throws {
        let encoder = try Self.mimi(name).encoder
        let trimmed = try Self.file("voice.safetensors").tensor(named: "voice_trimmed").data
        let latents = try encoder.encode(audio: trimmed)
        let error = Self.maxError(latents, try Self.golden(name, "voice_latents"), "voice latents")
        print("mimi401 \(name): encoder max error \(error)")
        #expect(error <= Self.tolerance)
    }

    /// get_mimi_state_dict on the training layout (model. prefix, .conv.conv., .convtr.convtr.,
    /// in_proj_weight, weight norm, skipped keys) gives the tensors 4.0.1 loaded from it.
    @Test func trainingLayoutCheckpointMapsOntoThePackageLayout() throws {
        let training = try MimiCheckpoint.tensors(from: try Self.file("mimi_grouped_training.safetensors"))
        let package = try MimiCheckpoint.tensors(from: try Self.file("mimi_grouped.safetensors"))
        #expect(Set(training.keys) == Set(package.keys))
        #expect(training.keys.allSatisfy { $0.hasPrefix("mimi.") })
        var worst: Float = 0
        for (name, want) in package {
            guard let got = training[name] else { continue }
            worst = max(worst, Self.maxError(got, want, name))
        }
        print("mimi401: training layout max error \(worst)")
        #expect(worst <= 1e-6)
        let reader = WeightReader(tensors: training)
        _ = try Mimi(config: try Self.config("grouped"), weights: reader.scoped("mimi."), geluApproximation: .tanh)
        try reader.finish()
    }

    @Test func renamingFollowsPythonReplace() {
        #expect(MimiCheckpoint.renamed("model.downsample.conv.conv.conv.weight", removingModelPrefix: true)
            == "downsample.conv.conv.weight")
        #expect(MimiCheckpoint.renamed("model.upsample.convtr.convtr.convtr.weight", removingModelPrefix: true)
            == "upsample.convtr.convtr.weight")
        #expect(MimiCheckpoint.renamed("model.decoder_transformer.transformer.layers.0.self_attn.in_proj_weight",
                                       removingModelPrefix: true)
            == "decoder_transformer.transformer.layers.0.self_attn.in_proj.weight")
        #expect(MimiCheckpoint.renamed("model.encoder.model.0.conv.conv.weight", removingModelPrefix: false)
            == "model.encoder.model.0.conv.weight")
    }
}
