import ArgumentParser
import Foundation
import ModelHub
import PocketTTS

/// `pocket-tts download`: fetch the official model files into the Hugging Face cache (resuming
/// partial downloads, checking SHA-256) and print where they are, one `role<TAB>path` per line.
struct Download: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "download",
        abstract: "Download the model weights, tokenizer and predefined voices into the Hugging Face cache.",
        discussion: """
            Files come from HF_ENDPOINT (default https://huggingface.co) at the revisions pinned in the \
            config. The default weights (kyutai/pocket-tts-without-voice-cloning) need no account; \
            --voice-cloning fetches kyutai/pocket-tts, which is gated: accept its terms on Hugging Face \
            and set HF_TOKEN. Interrupted downloads resume where they stopped.
            """
    )

    @OptionGroup var files: ModelFileOptions
    @OptionGroup var output: ProgressOptions

    @Option(help: "Predefined voices of the model to fetch: comma-separated names, 'all' or 'none'. Default: the model's default voice. (\(PredefinedVoices.modelNames.joined(separator: ", ")))")
    var voices: String?

    func validate() throws {
        _ = try voiceNames()
    }

    func voiceNames() throws -> [String] {
        let set = try files.voiceSet()
        let modelName = try files.modelName()
        switch voices ?? ModelCatalog.defaultVoice(for: modelName) {
        case "all": return PredefinedVoices.names(in: set)
        case "none", "": return []
        case let list:
            let names = list.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }
            if let unknown = names.first(where: { PredefinedVoices.source($0, in: set) == nil }) {
                throw ValidationError("unknown voice '\(unknown)'; predefined voices: \(PredefinedVoices.names(in: set).joined(separator: ", "))")
            }
            return names
        }
    }

    func run() throws {
        let sources = try files.sources()
        var wanted: [(role: String, location: String)] = [
            ("weights", files.weights ?? sources.weights), ("tokenizer", files.tokenizer ?? sources.tokenizer),
        ]
        for name in try voiceNames() {
            if let source = PredefinedVoices.source(name, in: try files.voiceSet()) { wanted.append(("voice \(name)", source)) }
        }
        let bar = output.makeBar()
        let paths: [URL]
        do {
            defer { bar?.finish() }
            paths = try ModelFiles.resolveAll(wanted, allowDownload: !files.noDownload, client: files.client(), progress: bar?.handler)
        }
        for ((role, _), path) in zip(wanted, paths) {
            print("\(role)\t\(path.path)")
        }
    }
}
