import ArgumentParser
import Kernels
import PocketTTS
import TTSEngine

struct ExportVoice: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "export-voice",
        abstract: "Encode an audio file into a voice-state .safetensors (the reference's format), reusable with --voice.")

    @OptionGroup var model: ModelOptions

    @Argument(help: "Audio file to clone (any format and rate libsndfile reads).")
    var audioPath: String

    @Argument(help: "Output voice-state file (.safetensors).")
    var exportPath: String

    func run() throws {
        let tts = try model.load()
        // As the reference's export-voice: prompts longer than 30 s are truncated.
        let state = try tts.voiceState(file: audioPath, truncate: true, pool: WorkerPool())
        try tts.exportVoice(state, to: exportPath)
        Log.info("wrote \(exportPath) (\(state.length) positions)")
    }
}
