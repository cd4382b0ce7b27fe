import Foundation

/// The chunks of a text as JSON (`pocket-tts tokenize`): what the generator would speak, with
/// the reference's names for the per-chunk numbers.
extension TextChunk {
    /// One chunk in the JSON report.
    struct Report: Codable, Equatable {
        var text: String
        var tokens: [Int]
        var framesAfterEOS: Int
        var maxGenerationFrames: Int

        enum CodingKeys: String, CodingKey {
            case text, tokens
            case framesAfterEOS = "frames_after_eos"
            case maxGenerationFrames = "max_gen_len"
        }
    }

    struct Document: Codable, Equatable {
        var maxTokens: Int
        var chunks: [Report]

        enum CodingKeys: String, CodingKey {
            case maxTokens = "max_tokens"
            case chunks
        }
    }

    /// `{"chunks":[{"frames_after_eos":3,"max_gen_len":38,"text":"...","tokens":[...]},...],
    /// "max_tokens":50}`: sorted keys, UTF-8 text unescaped, on one line unless `pretty`.
    public static func json(_ chunks: [TextChunk], maxTokens: Int, pretty: Bool = false) throws -> String {
        let document = Document(
            maxTokens: maxTokens,
            chunks: chunks.map {
                Report(text: $0.text, tokens: $0.tokens, framesAfterEOS: $0.framesAfterEOS,
                       maxGenerationFrames: $0.maxGenerationFrames)
            })
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        if pretty { encoder.outputFormatting.insert(.prettyPrinted) }
        return String(decoding: try encoder.encode(document), as: UTF8.self)
    }
}
