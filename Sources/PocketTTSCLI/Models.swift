import ArgumentParser
import Foundation
import ModelHub
import PocketTTS

/// `pocket-tts models`: the built-in models (4.0.1's configs), with what each costs and whether
/// its files are already in the Hugging Face cache (nothing is downloaded).
struct Models: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "List the built-in models: name, language, parameters, default voice, whether cached.",
        discussion: "Pick one with --model NAME (or the reference's --language NAME) on generate, serve, export-voice, tokenize and download.")

    @Option(help: ArgumentHelp("Hugging Face cache directory (as download's).", valueName: "dir"))
    var cacheDir: String?

    @Flag(help: "Use the gated kyutai/pocket-tts weights' cache entries (voice cloning) instead of kyutai/pocket-tts-without-voice-cloning.")
    var voiceCloning = false

    @Flag(help: "Tab-separated, no header: name, language, speech parameters, parameters with the voice encoder, default voice, cached (yes/no), aliases.")
    var plain = false

    func run() throws {
        let client = HubClient(cacheDirectory: cacheDir)
        var rows: [[String]] = []
        for name in ModelCatalog.names {
            let config = try ModelCatalog.config(named: name)
            let parameters = ModelLayout.tensors(for: config).filter { !$0.isBuffer }
            let total = parameters.reduce(0) { $0 + $1.elementCount }
            let speech = parameters.filter { !Self.isVoiceCloningOnly($0.name) }.reduce(0) { $0 + $1.elementCount }
            let sources = try ModelFileSources(configYAML: ModelCatalog.yaml(named: name), voiceCloning: voiceCloning)
            let cached = (try? ModelFiles.resolveAll(
                [("weights", sources.weights), ("tokenizer", sources.tokenizer)], allowDownload: false, client: client)) != nil
            let aliases = ModelCatalog.aliases.filter { $0.value == name }.keys.sorted().joined(separator: ",")
            let marker = name == ModelCatalog.defaultModel ? " (default)" : ""
            rows.append([name + marker, ModelCatalog.language(of: name), Self.formatCount(speech), Self.formatCount(total),
                         ModelCatalog.defaultVoice(for: name), cached ? "yes" : "no", aliases])
        }
        if plain {
            for row in rows { print(row.joined(separator: "\t")) }
            return
        }
        let header = ["MODEL", "LANGUAGE", "SPEECH PARAMS", "WITH ENCODER", "DEFAULT VOICE", "CACHED", "ALIASES"]
        let widths = (0..<header.count).map { column in ([header] + rows).map { $0[column].count }.max() ?? 0 }
        for row in [header] + rows {
            print(zip(row, widths).map { $0.padding(toLength: $1, withPad: " ", startingAt: 0) }.joined(separator: "  "))
        }
    }

    /// The tensors only voice cloning reads (Mimi's encoder side and the speaker projection):
    /// speech from a voice state needs the rest, FlowLM and Mimi's decoder.
    static func isVoiceCloningOnly(_ name: String) -> Bool {
        ["mimi.encoder.", "mimi.encoder_transformer.", "mimi.downsample.", "flow_lm.speaker_proj_weight"]
            .contains { name.hasPrefix($0) }
    }

    /// 117.9 M, 1.9 M, 950 k.
    static func formatCount(_ count: Int) -> String {
        count >= 1_000_000 ? String(format: "%.1f M", Double(count) / 1e6) : String(format: "%.0f k", Double(count) / 1e3)
    }
}
