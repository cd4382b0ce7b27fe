import Foundation
import Kernels
import Testing

@testable import PocketTTS

@Suite struct RandomWeightsTests {
    /// A small model with the same structure, so whole files are made in milliseconds.
    static let tinyConfig = PocketTTSConfig(
        flowLM: FlowLMConfig(
            dtype: "float32", flow: FlowConfig(dimension: 16, depth: 2),
            transformer: FlowLMTransformerConfig(hiddenScale: 2, maxPeriod: 10_000, modelDimension: 32, headCount: 4, layerCount: 2),
            lookupTable: LookupTableConfig(dimension: 32, binCount: 10, tokenizer: "sentencepiece", tokenizerPath: "t.model")),
        mimi: MimiConfig(
            dtype: "float32", sampleRate: 240, channels: 1, frameRate: 5,
            seanet: SEANetConfig(
                dimension: 16, channels: 1, filterCount: 4, residualLayerCount: 1, ratios: [3, 2], kernelSize: 7,
                residualKernelSize: 3, lastKernelSize: 3, dilationBase: 2, padMode: "constant", compress: 2),
            transformer: MimiTransformerConfig(
                modelDimension: 16, inputDimension: 16, outputDimensions: [16], headCount: 2, layerCount: 1,
                layerScale: 0.01, context: 10, feedForwardDimension: 32),
            quantizer: QuantizerConfig(dimension: 8, outputDimension: 16)))

    static func temporaryURL() -> URL {
        FileManager.default.temporaryDirectory.appendingPathComponent("random-\(UUID().uuidString).safetensors")
    }

    @Test func tinyConfigIsValid() throws {
        try Self.tinyConfig.validate()
        #expect(Self.tinyConfig.mimi.resampleStride == 8)
    }

    @Test func deterministicPerSeedAndName() {
        let spec = TensorSpec(name: "a.weight", shape: [64, 32], initialization: .uniform(bound: 0.25))
        let first = RandomWeights.values(for: spec, seed: 0)
        #expect(RandomWeights.values(for: spec, seed: 0) == first)
        #expect(RandomWeights.values(for: spec, seed: 1) != first)
        var renamed = spec
        renamed.name = "b.weight"
        #expect(RandomWeights.values(for: renamed, seed: 0) != first)
        // First output of xoshiro256** seeded by SplitMix64(0), as computed by an independent
        // implementation: a change to the generator would change every file.
        var generator = Xoshiro256(seed: 0)
        #expect(generator.next() == 0x99EC_5F36_CB75_F2B4)
    }

    @Test func uniformFillsItsRange() {
        let bound: Float = 0.03125
        let spec = TensorSpec(name: "w", shape: [100_000], initialization: .uniform(bound: bound))
        let values = RandomWeights.values(for: spec, seed: 7)
        #expect(values.allSatisfy { abs($0) <= bound })
        #expect(values.min()! < -0.999 * bound && values.max()! > 0.999 * bound)
        let mean = values.reduce(0, +) / Float(values.count)
        let variance = values.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Float(values.count)
        #expect(abs(mean) < 0.01 * bound)
        #expect(abs(variance / (bound * bound / 3) - 1) < 0.02)
    }

    @Test func normalHasUnitVariance() {
        let spec = TensorSpec(name: "e", shape: [100_001], initialization: .normal(mean: 0, standardDeviation: 1))
        let values = RandomWeights.values(for: spec, seed: 3)
        #expect(values.count == 100_001 && values.allSatisfy(\.isFinite))
        let mean = values.reduce(0, +) / Float(values.count)
        let variance = values.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Float(values.count)
        #expect(abs(mean) < 0.02)
        #expect(abs(variance - 1) < 0.02)
        #expect(values.filter { abs($0) > 2 }.count > 4_000)  // ~4.55% beyond 2σ
    }

    @Test func constantsAndBuffers() throws {
        let tensors = RandomWeights.tensors(for: Self.tinyConfig, seed: 0)
        #expect(tensors["flow_lm.emb_std"]!.data.allSatisfy { $0 == 1 })
        #expect(tensors["flow_lm.emb_mean"]!.data.allSatisfy { $0 == 0 })
        #expect(tensors["flow_lm.out_norm.weight"]!.data.allSatisfy { $0 == 1 })
        #expect(tensors["flow_lm.flow_net.time_embed.1.mlp.3.alpha"]!.data.allSatisfy { $0 == 1 })
        #expect(tensors["mimi.decoder_transformer.transformer.layers.0.layer_scale_2.scale"]!.data.allSatisfy { $0 == 0.01 })
        let frequencies = tensors["flow_lm.flow_net.time_embed.0.freqs"]!.data
        #expect(frequencies.count == 128 && frequencies[0] == 1)
        #expect(zip(frequencies, frequencies.dropFirst()).allSatisfy { $0 > $1 })
        #expect(tensors.values.allSatisfy { $0.data.allSatisfy(\.isFinite) })
    }

    @Test(arguments: [SafetensorsDType.float32, .bfloat16])
    func writtenFileHoldsTheLayout(dtype: SafetensorsDType) throws {
        let url = Self.temporaryURL()
        defer { try? FileManager.default.removeItem(at: url) }
        let count = try RandomWeights.write(config: Self.tinyConfig, seed: 5, dtype: dtype, to: url, metadata: ["seed": "5"])
        let specs = ModelLayout.tensors(for: Self.tinyConfig)
        #expect(count == specs.reduce(0) { $0 + $1.elementCount })
        let file = try SafetensorsFile(contentsOf: url)
        #expect(file.names == specs.map(\.name).sorted())
        #expect(file.metadata == ["seed": "5"])
        let expected = RandomWeights.tensors(for: Self.tinyConfig, seed: 5)
        for spec in specs {
            #expect(try file.shape(of: spec.name) == spec.shape)
            #expect(try file.dtype(of: spec.name) == dtype)
            let exact = expected[spec.name]!.data
            let stored = try file.floats(named: spec.name)
            let rounded = dtype == .float32 ? exact : exact.map { FloatConversion.float(fromBFloat16: FloatConversion.bfloat16(from: $0)) }
            #expect(stored == rounded, "\(spec.name)")
        }
    }
}
