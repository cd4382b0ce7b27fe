import ArgumentParser
import Foundation
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

    /// Picks OpenBLAS's kernels for this CPU before anything runs, then parses and runs. A bad
    /// command line gets ArgumentParser's error and usage; an error while running (a file that
    /// cannot be had, a model that does not load) gets one line, without the usage, and exit 1.
    static func main() {
        _ = openBLASNote
        var command: any ParsableCommand
        do {
            command = try parseAsRoot()
        } catch {
            exit(withError: error)
        }
        do {
            try command.run()
        } catch let error as ExitCode {
            exit(withError: error)
        } catch let error as CleanExit {
            exit(withError: error)
        } catch let error as ValidationError {
            FileHandle.standardError.write(Data("Error: \(error.message)\n".utf8))
            Foundation.exit(1)
        } catch {
            FileHandle.standardError.write(Data("Error: \(error)\n".utf8))
            Foundation.exit(1)
        }
    }
}
