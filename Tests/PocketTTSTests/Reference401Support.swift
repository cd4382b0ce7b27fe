import Foundation
import Kernels
import Testing
@testable import PocketTTS

/// The pocket-tts 4.0.1 FlowLM fixtures (Fixtures/reference401, made by
/// Scripts/reference/make_fixtures_401.py): configs, weights regenerated from the manifest, and
/// the reference's outputs.
enum Reference401 {
    static let modelNames = [
        "english_2m_2026-10", "english_7m_2026-10", "english_18m_2026-10", "shrunk_english",
        "shrunk_english_drifting_26-09", "shrunk_english_2026-01", "shrunk_flow_matching",
    ]
    /// The three tiny configs at their full size.
    static let tinyNames = Array(modelNames.prefix(3))

    static let directory = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .appendingPathComponent("Fixtures/reference401")

    struct Model: Decodable {
        struct Initialisation: Decodable {
            var center: Double
            var halfWidth: Double
            enum CodingKeys: String, CodingKey { case center, halfWidth = "half_width" }
        }
        var config: String
        var decodeSteps: Int
        var textTokens: [Int]
        var frames: Int
        var initialisation: [String: Initialisation]
        var kept: [String]
        enum CodingKeys: String, CodingKey {
            case config, frames, initialisation, kept
            case decodeSteps = "decode_steps"
            case textTokens = "text_tokens"
        }
    }

    struct Manifest: Decodable {
        var seed: UInt64
        var models: [String: Model]
    }

    static let manifest: Manifest = {
        let data = try! Data(contentsOf: directory.appendingPathComponent("manifest.json"))
        return try! JSONDecoder().decode(Manifest.self, from: data)
    }()

    /// `make_fixtures_401.fixture_values`: center + (2u − 1)·halfWidth in float32, u the top 24
    /// bits of the SplitMix64 outputs of state (seed ^ FNV-1a(stream)).
    static func values(stream: String, seed: UInt64, count: Int, center: Float, halfWidth: Float) -> [Float] {
        var key: UInt64 = 0xCBF2_9CE4_8422_2325
        for byte in stream.utf8 { key = (key ^ UInt64(byte)) &* 0x0000_0100_0000_01B3 }
        key ^= seed
        return (0..<count).map { i in
            var z = key &+ UInt64(i + 1) &* 0x9E37_79B9_7F4A_7C15
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            z ^= z >> 31
            let u = Float(z >> 40) * 0x1p-24
            let t = 2 * u - 1
            let scaled = t * halfWidth
            return center + scaled
        }
    }

    static func config(_ name: String) throws -> PocketTTSConfig {
        let source = try #require(manifest.models[name]).config
        if source.hasSuffix(".yaml") { return try PocketTTSConfig(contentsOf: directory.appendingPathComponent(source)) }
        return try ModelCatalog.config(named: source)
    }

    static func fixture(_ name: String) throws -> SafetensorsFile {
        try SafetensorsFile(contentsOf: directory.appendingPathComponent("\(name).safetensors"))
    }

    /// Every `flow_lm.*` tensor of the model (ModelLayout's names and shapes): made up as the
    /// script made them, the kept `freqs` buffers from the fixture file.
    static func flowLMTensors(_ name: String) throws -> [String: Tensor] {
        let model = try #require(manifest.models[name])
        let file = try fixture(name)
        var tensors: [String: Tensor] = [:]
        for spec in ModelLayout.tensors(for: try config(name)) where spec.name.hasPrefix("flow_lm.") {
            let key = String(spec.name.dropFirst("flow_lm.".count))
            if let initialisation = model.initialisation[key] {
                tensors[spec.name] = Tensor(shape: spec.shape, data: values(
                    stream: spec.name, seed: manifest.seed, count: spec.elementCount,
                    center: Float(initialisation.center), halfWidth: Float(initialisation.halfWidth)))
            } else {
                tensors[spec.name] = try file.tensor(named: "weights/" + key)
            }
        }
        return tensors
    }

    static func flowLM(_ name: String, precision: Precision = .exact) throws -> FlowLM {
        let reader = WeightReader(tensors: try flowLMTensors(name))
        let model = try FlowLM(weights: reader.scoped("flow_lm."), dimensions: try FlowLMDimensions(config: config(name)),
                               precision: precision)
        try reader.finish()
        return model
    }

    /// The reference's voice state (`export_model_state`), as tensors.
    static func voiceTensors(_ name: String) throws -> [String: Tensor] {
        let file = try SafetensorsFile(contentsOf: directory.appendingPathComponent("\(name)_voice.safetensors"))
        return try Dictionary(uniqueKeysWithValues: file.names.map { ($0, try file.tensor(named: $0)) })
    }

    /// Steps `frames` latents from BOS at temperature 0 (EOS ignored) from `state`: latents
    /// [frames · ldim] and EOS logits [frames].
    static func generate(_ model: FlowLM, state: inout FlowLM.State, frames: Int, steps: Int) -> ([Float], [Float]) {
        var latent = [Float](repeating: .nan, count: model.dimensions.latentDim)
        var rng = SplitMix64(seed: 0)
        var (latents, logits) = ([Float](), [Float]())
        for _ in 0..<frames {
            let out = model.step(latent: latent, state: &state, sampling: FlowLMSampling(temperature: 0, lsdSteps: steps),
                                 using: &rng)
            latents += out.latent
            logits.append(out.eosLogit)
            latent = out.latent
        }
        return (latents, logits)
    }
}
