import ArgumentParser
import Foundation
import PocketTTS

/// `pocket-tts tokenize`: the chunks `generate` would speak for a text, with their token ids,
/// as JSON on stdout. Needs only the tokenizer (and the config's frame rate).
struct Tokenize: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Print, as JSON, the text chunks the generator would speak, with their token ids.",
        discussion: """
            Each chunk has its text, tokens, frames_after_eos (the default frames generated after EOS) \
            and max_gen_len (the cap on generated frames), as pocket-tts 4.0.1 computes them with the \
            config's text options (each chunk's text is the one the model is prompted with).
            """)

    /// --tokenizer, --config, --cache-dir, --no-download as for the model commands (--weights and
    /// --voice-cloning are accepted and unused).
    @OptionGroup var files: ModelFileOptions

    @Option(help: "Text to split; '-' reads standard input.")
    var text: String

    @Option(help: "Maximum number of tokens per chunk.")
    var maxTokens = TextChunk.defaultMaxTokens

    @Option(help: ArgumentHelp(
        "Hard cap on a chunk's tokens (at least --max-tokens).",
        discussion: "Chunks of the reference within it are kept exactly; a longer sentence is split at clause, then word boundaries."))
    var maxTokensPerChunk = TextChunk.defaultTokenCap

    @Flag(help: "Indent the JSON (one value per line).")
    var pretty = false

    @OptionGroup var normalization: NormalizationOptions

    func validate() throws {
        guard maxTokens > 0 else { throw ValidationError("--max-tokens must be positive") }
        guard maxTokensPerChunk > 0 else { throw ValidationError("--max-tokens-per-chunk must be positive") }
    }

    func run() throws {
        var text = self.text
        if text == "-" { text = String(decoding: FileHandle.standardInput.readDataToEndOfFile(), as: UTF8.self) }
        let modelConfig = try files.modelConfig()
        let tokenizer = try Tokenizer(
            path: try files.resolveTokenizer(config: modelConfig), configKind: modelConfig.flowLM.lookupTable.tokenizer)
        text = try normalization.apply(to: text)
        let chunks = try TextChunk.chunks(
            for: text, tokenizer: tokenizer, config: modelConfig, maxTokens: maxTokens,
            tokenCap: max(maxTokens, maxTokensPerChunk))
        print(try TextChunk.json(chunks, maxTokens: maxTokens, pretty: pretty))
    }
}
