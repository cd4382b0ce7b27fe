import ArgumentParser
import Foundation
import PocketTTS
import TextNormalization

/// `pocket-tts normalize`: the text as the normalizer would have it spoken, one line in, one
/// line out (for checking rules and pronunciations; `tokenize --normalize` shows the chunks).
struct Normalize: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Print text as the normalizer would have it spoken (numbers, money, dates, units, ...).",
        discussion: "Each line of the text is normalized on its own and printed on one line.")

    @Option(help: "Text to normalize; '-' reads standard input.")
    var text: String

    @Option(help: "A YAML or JSON file mapping words (or /patterns/) to spoken forms, applied before the rules.")
    var pronunciations: String?

    @Option(help: "Whose reading rules: en, fr, de, es, it, pt or nl (a code such as fr-FR or a name such as french works too).")
    var language = "en"

    func run() throws {
        var text = self.text
        if text == "-" { text = String(decoding: FileHandle.standardInput.readDataToEndOfFile(), as: UTF8.self) }
        let normalizer = try TextNormalizer(languageCode: language, pronunciations: try loadPronunciations(pronunciations))
        for line in text.split(separator: "\n", omittingEmptySubsequences: false).dropLast(text.hasSuffix("\n") ? 1 : 0) {
            print(normalizer.normalize(String(line)).text)
        }
    }
}

/// The pronunciation dictionary of `--pronunciations FILE` (none without the flag).
func loadPronunciations(_ path: String?) throws -> Pronunciations {
    guard let path else { return Pronunciations() }
    return try Pronunciations(contentsOfFile: path)
}

/// `--normalize` and `--pronunciations` of `generate` and `tokenize`. Off by default, so the
/// text goes to the model exactly as the reference would send it.
struct NormalizationOptions: ParsableArguments {
    @Flag(help: "Say numbers, money, dates, times, units, abbreviations and acronyms as words first (as the service does by default).")
    var normalize = false

    @Option(help: "A YAML or JSON file mapping words (or /patterns/) to spoken forms, applied first (also without --normalize).")
    var pronunciations: String?

    @Option(name: .customLong("normalize-language"), help: "Whose reading rules --normalize applies: en, fr, de, es, it, pt or nl.")
    var normalizeLanguage = "en"

    /// The text as it will be spoken.
    func apply(to text: String) throws -> String {
        guard normalize || pronunciations != nil else { return text }
        let normalizer = try TextNormalizer(languageCode: normalizeLanguage, pronunciations: try loadPronunciations(pronunciations),
                                            readsRules: normalize)
        return normalizer.normalize(text).text
    }
}
