import AudioIO
import Foundation
import Kernels
import PocketTTS
import Testing

/// The tiny reference model and its fixtures, read in place from Tests/PocketTTSTests/Fixtures
/// (located from this file's path, not copied into this target).
enum VoiceFixtures {
    static let directory = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("PocketTTSTests/Fixtures")
    static func reference(_ name: String) -> String { directory.appendingPathComponent("reference/\(name)").path }

    static var voiceWAV: String { reference("voice.wav") }
    static var voiceState: String { reference("voice_state.safetensors") }

    /// The tiny model as pocket-tts 1.1.1 ran it (its voice states are the references here):
    /// exact GELU, Mimi's attention ring of `context`, voice prompts not trimmed.
    static func tinyModel() throws -> TTSModel {
        var config = try PocketTTSConfig(contentsOf: URL(fileURLWithPath: reference("tiny.yaml")))
        config = config.asPocketTTS111()
        return try TTSModel.load(
            config: config, weightsPath: reference("tiny_weights.safetensors"),
            tokenizerPath: directory.appendingPathComponent("tokenizer/test_tokenizer.model").path, precision: .exact)
    }
}

/// A temporary directory removed when the value goes away.
final class TemporaryDirectory {
    let url = FileManager.default.temporaryDirectory.appendingPathComponent("voices-\(UUID().uuidString)")

    init() throws { try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true) }
    deinit { try? FileManager.default.removeItem(at: url) }

    var path: String { url.path }
    func path(_ name: String) -> String { url.appendingPathComponent(name).path }

    func copy(_ source: String, as name: String) throws {
        try FileManager.default.copyItem(atPath: source, toPath: path(name))
    }

    func write(_ bytes: [UInt8], as name: String) throws {
        try Data(bytes).write(to: url.appendingPathComponent(name))
    }

    func remove(_ name: String) throws { try FileManager.default.removeItem(atPath: path(name)) }
}

/// A sine (`seconds` long at `rate`) whose frequency makes each test voice distinct.
func sine(seconds: Double, hz: Double, rate: Int = 24000) -> Audio {
    let n = Int(seconds * Double(rate))
    return Audio(samples: (0..<n).map { 0.3 * Float(sin(2 * Double.pi * hz * Double($0) / Double(rate))) }, sampleRate: rate)
}

/// max |got − want| ≤ tolerance · max(1, max |want|), value by value of every voice-state tensor.
func expectSameVoice(_ got: FlowLM.State, _ want: FlowLM.State, model: TTSModel, tolerance: Float = 1e-4,
                     sourceLocation: SourceLocation = #_sourceLocation) {
    #expect(got.length == want.length, "length \(got.length), expected \(want.length)", sourceLocation: sourceLocation)
    let ours = model.flowLM.voiceTensors(of: got)
    for (name, expected) in model.flowLM.voiceTensors(of: want) {
        guard let tensor = ours[name], tensor.shape == expected.shape else {
            Issue.record("\(name): missing or shape \(ours[name]?.shape ?? [])", sourceLocation: sourceLocation)
            continue
        }
        let scale = max(1, expected.data.reduce(0) { max($0, abs($1)) })
        let error = Tensor.maxAbsDifference(tensor.data, expected.data)
        #expect(error <= tolerance * scale, "\(name): max error \(error)", sourceLocation: sourceLocation)
    }
}
