import Kernels
import Testing
@testable import PocketTTS

@Suite struct MimiLoadingTests {
    typealias S = MimiTestSupport

    @Test func loadsEveryTensorOfTheTinyConfig() throws {
        let mimi = try S.randomMimi()  // finish() inside: nothing left over
        #expect(mimi.decoder.frameLength == 1920)
        #expect(mimi.encoder.frameLength == 1920)
        #expect(mimi.decoder.transformer.context == 20)
    }

    @Test func fullSizeConfigHasTheReferenceKeyCount() {
        // TTSModel.state_dict() of b6369a24 has 87 `mimi.*` tensors; a few of them, as listed
        // by the reference.
        let shapes = S.expectedShapes(S.fullModelConfig.mimi)
        #expect(shapes.count == 87)
        #expect(shapes["mimi.encoder.model.9.conv.weight"] == [512, 256, 12])
        #expect(shapes["mimi.encoder.model.11.conv.weight"] == [512, 512, 3])
        #expect(shapes["mimi.decoder.model.8.convtr.weight"] == [128, 64, 8])
        #expect(shapes["mimi.decoder.model.9.block.1.conv.weight"] == [32, 64, 3])
        #expect(shapes["mimi.decoder.model.11.conv.weight"] == [1, 64, 3])
        // The same keys and shapes as the io layout, derived independently.
        var layout: [String: [Int]] = [:]
        for spec in ModelLayout.tensors(for: S.fullModelConfig) where spec.name.hasPrefix("mimi.") {
            layout[spec.name] = spec.shape
        }
        #expect(layout == shapes)
    }

    @Test func loadsEveryMimiTensorAtFullSize() throws {
        var tensors: [String: Tensor] = [:]
        for spec in ModelLayout.tensors(for: S.fullModelConfig) where spec.name.hasPrefix("mimi.") {
            tensors[spec.name] = Tensor.zeros(spec.shape)
        }
        let reader = WeightReader(tensors: tensors)
        let mimi = try Mimi(config: S.fullModelConfig.mimi, weights: reader.scoped("mimi."), geluApproximation: .none)
        try reader.finish()
        #expect(mimi.decoder.transformer.context == 250)
        #expect(mimi.decoder.latentDimension == 32 && mimi.encoder.dimension == 512)
    }

    @Test func missingTensorIsNamed() {
        var tensors = S.randomWeights(S.tinyConfig, seed: 1)
        tensors["mimi.decoder.model.5.convtr.bias"] = nil
        let reader = WeightReader(tensors: tensors)
        #expect(throws: WeightError.missingTensor("mimi.decoder.model.5.convtr.bias")) {
            try Mimi(config: S.tinyConfig, weights: reader.scoped("mimi."), geluApproximation: .none)
        }
    }

    @Test func extraTensorIsNamed() throws {
        var tensors = S.randomWeights(S.tinyConfig, seed: 1)
        tensors["mimi.decoder_transformer.transformer.layers.2.norm1.weight"] = Tensor.zeros([32])
        let reader = WeightReader(tensors: tensors)
        _ = try Mimi(config: S.tinyConfig, weights: reader.scoped("mimi."), geluApproximation: .none)
        #expect(throws: WeightError.unusedTensors(["mimi.decoder_transformer.transformer.layers.2.norm1.weight"])) {
            try reader.finish()
        }
    }

    @Test func misShapedTensorIsNamed() {
        var tensors = S.randomWeights(S.tinyConfig, seed: 1)
        tensors["mimi.upsample.convtr.convtr.weight"] = Tensor.zeros([32, 32, 32])
        let reader = WeightReader(tensors: tensors)
        #expect(throws: WeightError.shape(name: "mimi.upsample.convtr.convtr.weight", expected: [32, 1, 32], got: [32, 32, 32])) {
            try Mimi(config: S.tinyConfig, weights: reader.scoped("mimi."), geluApproximation: .none)
        }
    }

    @Test func unsupportedConfigIsRejected() {
        var config = S.tinyConfig
        config.transformer.outputDimensions = [32, 32]
        #expect(throws: MimiError.self) { try config.checkSupportedByMimi() }
        config = S.tinyConfig
        config.frameRate = 7
        #expect(throws: MimiError.self) { try config.checkSupportedByMimi() }
        config = S.tinyConfig
        config.seanet.padMode = "reflect"
        #expect(throws: MimiError.self) { try Mimi(config: config, weights: WeightReader(tensors: S.randomWeights(S.tinyConfig, seed: 1)).scoped("mimi."), geluApproximation: .none) }
        #expect(throws: Never.self) { try S.tinyConfig.checkSupportedByMimi() }
    }
}
