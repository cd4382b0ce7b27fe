// MimiCheckpoint: a codec checkpoint (`mimi.weights_path`) to this package's `mimi.*` tensors,
// as pocket-tts 4.0.1's utils/weights_loading.py `get_mimi_state_dict` maps it.
import Foundation
import Kernels

/// The codec weights of a `mimi.weights_path` file in the layout `Mimi.init` reads.
public enum MimiCheckpoint {
    /// Every tensor `get_mimi_state_dict` keeps from `file`, keyed `prefix` + its `MimiModel`
    /// name (pass the result to `WeightReader(tensors:)` and read it with `scoped(prefix)`):
    /// - a file with `mimi.*` keys (e.g. a whole TTSModel checkpoint) gives those, `mimi.` removed;
    /// - otherwise the training layout: `model.` removed, `.conv.conv.` → `.conv.`,
    ///   `.convtr.convtr.` → `.convtr.`, `in_proj_weight` → `in_proj.weight`; weight norm folded
    ///   (`<name>_g`, `<name>_v` → `<name>` = g · v / ‖v‖, the norm over all dims but the first:
    ///   `torch._weight_norm(v, g, dim=0)`; these keys keep a `model.` prefix, as in the reference);
    ///   the quantizer's codebooks and log-variance, `_codebook` and `wavlm_*` tensors skipped.
    /// Tensors are decoded to Float32. Throws `WeightError.missingTensor` for a `_g` without its `_v`.
    public static func tensors(from file: SafetensorsFile, prefix: String = "mimi.") throws -> [String: Tensor] {
        var out: [String: Tensor] = [:]
        if file.names.contains(where: { $0.hasPrefix("mimi.") }) {
            for name in file.names where name.hasPrefix("mimi.") {
                out[prefix + String(name.dropFirst("mimi.".count))] = try file.tensor(named: name)
            }
            return out
        }
        for key in file.names {
            if isSkipped(key) { continue }
            if key.hasSuffix(".weight_g") {
                let name = String(key.dropLast(2))  // removesuffix("_g")
                let vName = name + "_v"
                guard file.contains(vName) else { throw WeightError.missingTensor(vName) }
                let folded = foldWeightNorm(v: try file.tensor(named: vName), g: try file.tensor(named: key))
                out[prefix + renamed(name, removingModelPrefix: false)] = folded
                continue
            }
            if droppedAfterWeightNorm.contains(key) || key.contains("wavlm_emb_downsample") { continue }
            out[prefix + renamed(key, removingModelPrefix: true)] = try file.tensor(named: key)
        }
        return out
    }

    /// Keys skipped before anything else (the vector quantizer, its log-variance, weight-norm `_v`s).
    static func isSkipped(_ key: String) -> Bool {
        key.hasPrefix("model.quantizer.vq.") || key == "model.quantizer.logvar_proj.weight" || key.contains("_codebook")
            || key.hasSuffix(".weight_v") || key == "quantizer.logvar_proj.weight"
    }

    /// Keys skipped after the weight-norm branch (the WavLM distillation heads).
    static let droppedAfterWeightNorm: Set<String> = [
        "wavlm_emb_downsample.conv.conv.weight", "wavlm_input_resample.kernel", "wavlm_proj.weight", "quantizer.logvar_param",
    ]

    /// The reference's renaming (Python `str.replace`: every non-overlapping occurrence, left to right).
    static func renamed(_ key: String, removingModelPrefix: Bool) -> String {
        var name = key
        if removingModelPrefix && name.hasPrefix("model.") { name.removeFirst("model.".count) }
        name = name.replacingOccurrences(of: ".conv.conv.", with: ".conv.")
            .replacingOccurrences(of: ".convtr.convtr.", with: ".convtr.")
        if removingModelPrefix { name = name.replacingOccurrences(of: "in_proj_weight", with: "in_proj.weight") }
        return name
    }

    /// `torch._weight_norm(v, g, dim=0)`: v · (g / ‖v‖) per index of the first dimension, the
    /// norm over all the others (computed in double, then each factor in float as torch does).
    public static func foldWeightNorm(v: Tensor, g: Tensor) -> Tensor {
        let rows = v.shape.first ?? 1
        let width = rows == 0 ? 0 : v.count / rows
        precondition(g.count == rows, "MimiCheckpoint: weight_g \(g.shape) for weight_v \(v.shape)")
        var out = v
        for r in 0..<rows {
            var sum = 0.0
            for i in 0..<width { sum += Double(v.data[r * width + i]) * Double(v.data[r * width + i]) }
            let scale = g.data[r] / Float(sum.squareRoot())
            for i in 0..<width { out.data[r * width + i] = v.data[r * width + i] * scale }
        }
        return out
    }
}
