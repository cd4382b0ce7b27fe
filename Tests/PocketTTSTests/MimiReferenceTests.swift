// Golden parity of the Mimi codec with pocket-tts 1.1.1 on the tiny model
// (Fixtures/reference, made by Scripts/reference/make_fixtures.py; see its MANIFEST.md).
import Foundation
import Kernels
import Testing
@testable import PocketTTS

@Suite struct MimiReferenceTests {
    typealias S = MimiTestSupport

    /// Shared, read-only fixture data.
    struct Reference: Sendable {
        let mimi: Mimi
        let weights: [String: Tensor]  // flow_lm.emb_std, flow_lm.emb_mean, flow_lm.speaker_proj_weight
        let golden: [String: Tensor]  // modules.safetensors: mimi_dec/*, mimi_enc/*, voice/*

        init() throws {
            let file = try SafetensorsFile(contentsOf: S.referenceDirectory.appendingPathComponent("tiny_weights.safetensors"))
            var mimiTensors: [String: Tensor] = [:]
            var other: [String: Tensor] = [:]
            for name in file.names {
                if name.hasPrefix("mimi.") {
                    mimiTensors[name] = try file.tensor(named: name)
                } else if ["flow_lm.emb_std", "flow_lm.emb_mean", "flow_lm.speaker_proj_weight"].contains(name) {
                    other[name] = try file.tensor(named: name)
                }
            }
            let reader = WeightReader(tensors: mimiTensors)
            mimi = try Mimi(config: S.tinyConfig, weights: reader.scoped("mimi."), geluApproximation: .none)
            try reader.finish()  // every mimi.* tensor of the file is used
            weights = other
            let modules = try SafetensorsFile(contentsOf: S.referenceDirectory.appendingPathComponent("modules.safetensors"))
            var golden: [String: Tensor] = [:]
            for name in modules.names where name.hasPrefix("mimi_") || name.hasPrefix("voice/") {
                golden[name] = try modules.tensor(named: name)
            }
            self.golden = golden
        }

        func tensor(_ name: String) throws -> Tensor { try #require(golden[name], "fixture \(name)") }

        /// mimi_dec/latents de-normalised as `_decode_audio_worker` does. [T, 32]
        func decoderInput() throws -> Tensor {
            let std = try #require(weights["flow_lm.emb_std"]).data
            let mean = try #require(weights["flow_lm.emb_mean"]).data
            let latents = try tensor("mimi_dec/latents")
            var input: [Float] = []
            LatentNormalization(mean: mean, std: std).denormalize(latents.data, appendingTo: &input)
            return Tensor(shape: latents.shape, data: input)
        }
    }

    static let reference = Result { try Reference() }

    func expectClose(_ got: Tensor, _ expected: Tensor, _ name: String, tolerance: Float = 1e-5) {
        #expect(got.shape == expected.shape, "\(name) shape")
        guard got.shape == expected.shape else { return }
        let error = S.scaledError(got, expected)
        #expect(error <= tolerance, "\(name): scaled error \(error)")
    }

    // MARK: Decoder, one latent per call as the reference worker

    @Test func decoderStagesMatchFramebyFrame() throws {
        let ref = try Self.reference.get()
        let decoder = ref.mimi.decoder
        let latents = try ref.decoderInput()
        let T = latents.shape[0]
        #expect(T == 30)
        var upsampleState = decoder.upsample.makeState()
        var transformerState = decoder.transformer.makeState(capacity: decoder.transformer.context)
        var quantized: [Tensor] = [], upsampled: [Tensor] = [], transformed: [Tensor] = []
        for f in 0..<T {
            let q = decoder.outputProjection(S.rows(latents, f, 1)).transposed()  // [C, 1]
            let u = decoder.upsample.step(q, state: &upsampleState)  // [C, 16]
            let t = decoder.transformer.step(u.transposed(), state: &transformerState).transposed()
            quantized.append(q)
            upsampled.append(u)
            transformed.append(t)
        }
        expectClose(S.concatColumns(quantized), try ref.tensor("mimi_dec/quantizer_out"), "quantizer_out")
        expectClose(S.concatColumns(upsampled), try ref.tensor("mimi_dec/upsample_out"), "upsample_out")
        // 480 steps through a ring of 20: wraps 24 times.
        expectClose(S.concatColumns(transformed), try ref.tensor("mimi_dec/transformer_out"), "transformer_out")
    }

    @Test func decoderAudioMatchesFrameByFrameAndAtOnce() throws {
        let ref = try Self.reference.get()
        let decoder = ref.mimi.decoder
        let latents = try ref.decoderInput()
        let expected = try ref.tensor("mimi_dec/seanet_out")
        var state = decoder.makeState(fadingIn: false)  // 1.1.1 had no fade-in
        var frames: [Tensor] = []
        for f in 0..<latents.shape[0] { frames.append(decoder.step(S.rows(latents, f, 1), state: &state)) }
        expectClose(S.concatColumns(frames), expected, "audio (frame by frame)")
        expectClose(decoder.decode(frames: latents, fadingIn: false), expected, "audio (decode(frames:))")
    }

    /// decoder.model[i] outputs (ELU layers skipped) over the first 2 frames.
    @Test func seanetDecoderLayersMatch() throws {
        let ref = try Self.reference.get()
        let seanet = ref.mimi.decoder.seanet
        let input = S.columns(try ref.tensor("mimi_dec/transformer_out"), 0, 32)  // 2 frames
        var state = seanet.makeState()
        var outputs: [Int: [Tensor]] = [:]
        for f in 0..<2 {
            var x = seanet.inputConv.step(S.columns(input, 16 * f, 16), state: &state.inputConv)
            outputs[0, default: []].append(x)
            var index = 1
            for (s, stage) in seanet.stages.enumerated() {
                x = stage.upsample.step(Activation.elu(x), state: &state.upsample[s])
                outputs[index + 1, default: []].append(x)
                index += 2
                for (j, block) in stage.residuals.enumerated() {
                    let T = x.shape[1]
                    x.data.withUnsafeMutableBufferPointer { block.forward($0.baseAddress!, length: T, state: &state.residuals[s][j]) }
                    outputs[index, default: []].append(x)
                    index += 1
                }
            }
            outputs[index + 1, default: []].append(seanet.outputConv.step(Activation.elu(x), state: &state.outputConv))
        }
        #expect(outputs.keys.sorted() == [0, 2, 3, 5, 6, 8, 9, 11])
        for (i, parts) in outputs {
            expectClose(S.concatColumns(parts), try ref.tensor("mimi_dec/seanet_layer\(i)"), "seanet_layer\(i)")
        }
    }

    // MARK: Encoder (voice cloning), no state

    @Test func encoderStagesMatch() throws {
        let ref = try Self.reference.get()
        let encoder = ref.mimi.encoder
        let audio = try Self.readPCM16(S.referenceDirectory.appendingPathComponent("voice.wav"))
        #expect(audio.count == 36000)
        let padded = audio + [Float](repeating: 0, count: encoder.paddedLength(sampleCount: audio.count) - audio.count)
        #expect(padded.count == 36480)
        var seanetState = encoder.seanet.makeState()
        let features = encoder.seanet.step(Tensor(shape: [1, padded.count], data: padded), state: &seanetState)
        expectClose(features, try ref.tensor("mimi_enc/seanet_out"), "seanet_out")
        let transformed = encoder.transformer(try ref.tensor("mimi_enc/seanet_out").transposed()).transposed()
        expectClose(transformed, try ref.tensor("mimi_enc/transformer_out"), "transformer_out")
        var downsampleState = encoder.downsample.makeState()
        let down = encoder.downsample.step(try ref.tensor("mimi_enc/transformer_out"), state: &downsampleState)
        expectClose(down, try ref.tensor("mimi_enc/downsample_out"), "downsample_out")
    }

    @Test func encodeAndSpeakerProjectionMatch() throws {
        let ref = try Self.reference.get()
        let audio = try Self.readPCM16(S.referenceDirectory.appendingPathComponent("voice.wav"))
        let latents = try ref.mimi.encoder.encode(audio: audio)  // [19, 32]
        expectClose(latents, try ref.tensor("mimi_enc/downsample_out").transposed(), "latents")
        let weight = try #require(ref.weights["flow_lm.speaker_proj_weight"])
        expectClose(MimiEncoder.projectToSpeaker(latents, weight: weight), try ref.tensor("voice/conditioning"), "conditioning")
    }

    /// Samples of a PCM16 mono WAV as int16 / 32768 (the reference's reading).
    static func readPCM16(_ url: URL) throws -> [Float] {
        let bytes = [UInt8](try Data(contentsOf: url))
        func u32(_ i: Int) -> Int { Int(bytes[i]) | Int(bytes[i + 1]) << 8 | Int(bytes[i + 2]) << 16 | Int(bytes[i + 3]) << 24 }
        try #require(bytes.count > 12 && String(decoding: bytes[0..<4], as: UTF8.self) == "RIFF")
        var offset = 12
        while offset + 8 <= bytes.count {
            let id = String(decoding: bytes[offset..<offset + 4], as: UTF8.self)
            let size = u32(offset + 4)
            if id == "data" {
                return stride(from: offset + 8, to: offset + 8 + size - 1, by: 2).map { i in
                    Float(Int16(bitPattern: UInt16(bytes[i]) | UInt16(bytes[i + 1]) << 8)) / 32768
                }
            }
            offset += 8 + size + (size & 1)
        }
        throw WeightError.missingTensor("data chunk of \(url.lastPathComponent)")
    }
}
