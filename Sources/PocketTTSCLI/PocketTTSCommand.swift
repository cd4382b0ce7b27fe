import ArgumentParser
import Kernels

/// What `BLAS.useKernelsForThisCPU` changed (nil: nothing), first thing in `main`; `serve` logs it.
let openBLASNote = BLAS.useKernelsForThisCPU()

/// `pocket-tts`: the command line. Thin: every subcommand parses flags and calls into the
/// libraries; no model or protocol logic lives here.
@main
struct PocketTTSCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "pocket-tts",
        abstract: "Kyutai Pocket TTS in Swift: generate speech, manage weights and voices, serve it.",
        subcommands: [
            Models.self,
            MakeRandomWeights.self,
            Download.self,
            Generate.self,
            ExportVoice.self,
            Tokenize.self,
            Normalize.self,
            Serve.self,
            Say.self,
        ]
    )

    /// Picks OpenBLAS's kernels for this CPU before anything runs, then parses and runs.
    static func main() {
        _ = openBLASNote
        main(nil)
    }
}
