import Foundation

/// What `--demo` needs besides random weights, when nothing else is given: the small tokenizer and
/// the speech sample the repository ships for its tests (also what `make run` uses offline). They
/// are found beside the executable's checkout (`.build/<config>/pocket-tts` → the repository) or
/// under the current directory, so a fresh clone works offline with nothing downloaded.
enum DemoAssets {
    static let tokenizer = "Tests/PocketTTSTests/Fixtures/tokenizer/test_tokenizer.model"
    static let voice = "Tests/PocketTTSTests/Fixtures/reference/voice.wav"

    /// The first existing `relative` path under the current directory or an ancestor of the
    /// executable's folder; nil when neither has it (an installed binary without its checkout).
    static func find(_ relative: String) -> String? {
        var roots = [URL(fileURLWithPath: FileManager.default.currentDirectoryPath)]
        var folder = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath().deletingLastPathComponent()
        for _ in 0..<5 {
            roots.append(folder)
            folder = folder.deletingLastPathComponent()
        }
        return roots.map { $0.appendingPathComponent(relative).path }.first { FileManager.default.fileExists(atPath: $0) }
    }

    /// Why a demo asset could not be had, with what to pass instead.
    static func missing(_ what: String, flag: String) -> String {
        "--demo needs a \(what): none was given, the model's is not cached and cannot be downloaded, and the repository's (\(what == "tokenizer" ? tokenizer : voice)) is not beside this executable; pass \(flag) FILE"
    }
}
