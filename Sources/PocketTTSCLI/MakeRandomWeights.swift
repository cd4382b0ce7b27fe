import ArgumentParser
import Foundation
import PocketTTS

/// `pocket-tts make-random-weights`: a weights file with the official tensor names and shapes
/// and seeded made-up values (torch-default-like init), for tests and benchmarks.
struct MakeRandomWeights: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "make-random-weights",
        abstract: "Write seeded random weights with the official tensor names, shapes and dtypes."
    )

    enum DType: String, ExpressibleByArgument, CaseIterable {
        case bf16, f32

        var safetensors: SafetensorsDType { self == .bf16 ? .bfloat16 : .float32 }
    }

    @Option(help: "Model config yaml.")
    var config: String = "Configs/b6369a24.yaml"

    @Option(help: "Random seed (same seed, same file).")
    var seed: UInt64 = 0

    @Option(help: "Stored dtype: bf16 (as the official file) or f32.")
    var dtype: DType = .bf16

    @Option(help: "Output .safetensors path.")
    var out: String

    func run() throws {
        let start = Date()
        let modelConfig: PocketTTSConfig
        do {
            modelConfig = try PocketTTSConfig(contentsOf: URL(fileURLWithPath: config))
        } catch let error as ConfigError {
            switch error {
            case .fileNotFound, .unreadable: throw error
            default: throw CommandFailure("\(config): \(error)")
            }
        }
        let metadata = [
            "generator": "pocket-tts make-random-weights",
            "config": URL(fileURLWithPath: config).lastPathComponent,
            "seed": String(seed),
        ]
        let count = try RandomWeights.write(
            config: modelConfig, seed: seed, dtype: dtype.safetensors, to: URL(fileURLWithPath: out), metadata: metadata)
        let tensors = ModelLayout.tensors(for: modelConfig).count
        let seconds = Date().timeIntervalSince(start)
        print("wrote \(out): \(tensors) tensors, \(count) values, \(dtype.rawValue), seed \(seed), in \(String(format: "%.2f", seconds)) s")
    }
}

/// A failure to report as `Error: <message>` (without the usage text a ValidationError prints).
struct CommandFailure: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}
