import Foundation
import Testing
import Yams

@testable import PocketTTS

@Suite struct PocketTTSConfigTests {
    /// The shipped config, found relative to this source file (repository layout).
    static let shippedURL = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Configs/b6369a24.yaml")

    static func shippedText() throws -> String { try String(contentsOf: shippedURL, encoding: .utf8) }

    /// The shipped text with `old` replaced by `new` (which must occur exactly once).
    static func edited(_ old: String, _ new: String) throws -> String {
        let text = try shippedText()
        precondition(text.components(separatedBy: old).count == 2, "'\(old)' must occur once")
        return text.replacingOccurrences(of: old, with: new)
    }

    @Test func loadsShippedConfig() throws {
        let config = try PocketTTSConfig(contentsOf: Self.shippedURL)
        #expect(config.weightsPath == "hf://kyutai/pocket-tts/tts_b6369a24.safetensors@427e3d61b276ed69fdd03de0d185fa8a8d97fc5b")
        #expect(config.weightsPathWithoutVoiceCloning?.hasPrefix("hf://kyutai/pocket-tts-without-voice-cloning/") == true)
        #expect(config.flowLM.dtype == "float32")
        #expect(config.flowLM.flow == FlowConfig(dimension: 512, depth: 6))
        #expect(config.flowLM.transformer == FlowLMTransformerConfig(
            hiddenScale: 4, maxPeriod: 10_000, modelDimension: 1024, headCount: 16, layerCount: 6))
        #expect(config.flowLM.lookupTable.binCount == 4000)
        #expect(config.flowLM.lookupTable.dimension == 1024)
        #expect(config.flowLM.lookupTable.tokenizer == "sentencepiece")
        #expect(config.flowLM.lookupTable.tokenizerPath.hasSuffix("tokenizer.model@d4fdd22ae8c8e1cb3634e150ebeff1dab2d16df3"))
        #expect(config.flowLM.weightsPath == nil && config.mimi.weightsPath == nil)
        #expect(config.mimi.sampleRate == 24_000 && config.mimi.channels == 1 && config.mimi.frameRate == 12.5)
        #expect(config.mimi.seanet == SEANetConfig(
            dimension: 512, channels: 1, filterCount: 64, residualLayerCount: 1, ratios: [6, 5, 4], kernelSize: 7,
            residualKernelSize: 3, lastKernelSize: 3, dilationBase: 2, padMode: "constant", compress: 2))
        #expect(config.mimi.transformer == MimiTransformerConfig(
            modelDimension: 512, inputDimension: 512, outputDimensions: [512], headCount: 8, layerCount: 2,
            layerScale: 0.01, context: 250, maxPeriod: 10_000, feedForwardDimension: 2048))
        #expect(config.mimi.quantizer == QuantizerConfig(dimension: 32, outputDimension: 512))
    }

    @Test func defaultsAndOptionals() throws {
        // The shipped file has no mimi max_period: the default applies; an explicit one is read.
        let explicit = try PocketTTSConfig(yaml: Self.edited("    context: 250\n", "    context: 250\n    max_period: 5000\n"))
        #expect(explicit.mimi.transformer.maxPeriod == 5000)
        // Top-level weights paths are optional; per-model ones may be given.
        let noWeights = try Self.edited(
            "weights_path: hf://kyutai/pocket-tts/tts_b6369a24.safetensors@427e3d61b276ed69fdd03de0d185fa8a8d97fc5b\n", "")
            .replacingOccurrences(of: "  #weights_path: mimi_b6369a24.safetensors", with: "  weights_path: mimi.safetensors")
        let config = try PocketTTSConfig(yaml: noWeights)
        #expect(config.weightsPath == nil)
        #expect(config.weightsPathWithoutVoiceCloning != nil)
        #expect(config.mimi.weightsPath == "mimi.safetensors")
    }

    @Test func unknownKeysNameTheFullPath() throws {
        #expect(throws: ConfigError.unknownKey(path: "mimi.seanet.ratioz")) {
            try PocketTTSConfig(yaml: Self.edited("    ratios:\n", "    ratioz: [1]\n    ratios:\n"))
        }
        #expect(throws: ConfigError.unknownKey(path: "flow_lm.lookup_table.vocab")) {
            try PocketTTSConfig(yaml: Self.edited("    n_bins: 4000\n", "    n_bins: 4000\n    vocab: 3\n"))
        }
        #expect(throws: ConfigError.unknownKey(path: "sample_rate")) {
            try PocketTTSConfig(yaml: Self.edited("flow_lm:\n", "sample_rate: 1\nflow_lm:\n"))
        }
        #expect(ConfigError.unknownKey(path: "mimi.seanet.ratioz").description == "mimi.seanet.ratioz: unknown key")
    }

    @Test func missingKeysNameTheFullPath() throws {
        #expect(throws: ConfigError.missingKey(path: "flow_lm.transformer.num_heads")) {
            try PocketTTSConfig(yaml: Self.edited("    num_heads: 16\n", ""))
        }
        #expect(throws: ConfigError.missingKey(path: "mimi.quantizer.output_dimension")) {
            try PocketTTSConfig(yaml: Self.edited("    output_dimension: 512\n", ""))
        }
        #expect(throws: ConfigError.missingKey(path: "flow_lm")) {
            try PocketTTSConfig(yaml: "mimi: {}\n")
        }
    }

    @Test func wrongTypesNameThePath() throws {
        #expect(throws: ConfigError.typeMismatch(path: "mimi.seanet.n_filters", expected: "an integer")) {
            try PocketTTSConfig(yaml: Self.edited("    n_filters: 64\n", "    n_filters: many\n"))
        }
        #expect(throws: ConfigError.typeMismatch(path: "mimi.seanet.ratios[1]", expected: "an integer")) {
            try PocketTTSConfig(yaml: Self.edited("    - 5\n", "    - 5.5\n"))
        }
        #expect(performing: { try PocketTTSConfig(yaml: Self.edited("  quantizer:\n", "  quantizer: 3\n  unused:\n")) },
                throws: { error in
            // `unused` comes after the scalar: whichever is found first, the path is named.
            guard let error = error as? ConfigError else { return false }
            switch error {
            case .typeMismatch(let path, _): return path == "mimi.quantizer"
            case .unknownKey(let path): return path == "mimi.unused"
            default: return false
            }
        })
    }

    @Test func invalidValuesAndFiles() throws {
        #expect(throws: ConfigError.invalidValue(path: "flow_lm.transformer.num_heads", reason: "15 heads do not divide d_model 1024")) {
            try PocketTTSConfig(yaml: Self.edited("    num_heads: 16\n", "    num_heads: 15\n"))
        }
        #expect(throws: ConfigError.invalidValue(path: "mimi.seanet.pad_mode", reason: "must be constant or replicate, got reflect")) {
            try PocketTTSConfig(yaml: Self.edited("    pad_mode: constant\n", "    pad_mode: reflect\n"))
        }
        #expect(throws: ConfigError.fileNotFound(path: "/nonexistent/config.yaml")) {
            try PocketTTSConfig(contentsOf: URL(fileURLWithPath: "/nonexistent/config.yaml"))
        }
        #expect(performing: { try PocketTTSConfig(yaml: "flow_lm: [unclosed\n") }, throws: { error in
            if case .invalidYAML = error as? ConfigError { return true }
            return false
        })
    }

    @Test func encodesBackToTheSameConfig() throws {
        let config = try PocketTTSConfig(contentsOf: Self.shippedURL)
        let text = try YAMLEncoder().encode(config)
        #expect(text.contains("n_bins: 4000") && text.contains("dim_feedforward: 2048"))
        #expect(try PocketTTSConfig(yaml: text) == config)
    }
}

extension PocketTTSConfigTests {
    @Test func yamlSyntaxErrorsSayWhere() {
        #expect(performing: { try PocketTTSConfig(yaml: "flow_lm:\n  dtype: [unclosed\n") }, throws: { error in
            guard case .invalidYAML(let reason) = error as? ConfigError else { return false }
            return reason.contains("line")
        })
    }
}

@Suite struct BuiltinConfigTests {
    @Test func builtinConfigEqualsTheShippedFile() throws {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        let file = try String(contentsOf: root.appendingPathComponent("Configs/b6369a24.yaml"), encoding: .utf8)
        #expect(PocketTTSConfig.b6369a24YAML == file)
        var parsed = try PocketTTSConfig(yaml: file)
        #expect(parsed.geluApproximation == .tanh)  // a config file runs as 4.0.1 does
        parsed.geluApproximation = .none  // 1.1.1's exact GELU, which b6369a24() keeps
        #expect(parsed.mimi.attentionCache == .wholeContext)
        parsed.mimi.attentionCache = .contextRing  // and 1.1.1's Mimi attention ring
        #expect(parsed.endsVoicePromptOnPause)
        parsed.endsVoicePromptOnPause = false  // and 1.1.1's voice prompts, not trimmed
        #expect(try PocketTTSConfig.b6369a24() == parsed)
    }
}
