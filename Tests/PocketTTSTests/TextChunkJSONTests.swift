import Foundation
import Testing
@testable import PocketTTS

/// The JSON of `pocket-tts tokenize`: its shape, and values equal to the chunks it describes.
@Suite struct TextChunkJSONTests {
    let tokenizer: Tokenizer

    init() throws {
        let url = try #require(Bundle.module.url(forResource: "test_tokenizer", withExtension: "model", subdirectory: "Fixtures/tokenizer"))
        tokenizer = try Tokenizer(modelPath: url.path)
    }

    func parse(_ json: String) throws -> [String: Any] {
        try #require(try JSONSerialization.jsonObject(with: Data(json.utf8)) as? [String: Any])
    }

    @Test(arguments: [false, true])
    func jsonDescribesEveryChunk(pretty: Bool) throws {
        let text = "Hello world. This is a longer sentence, with more words in it. Café « déjà » vu!"
        let chunks = try TextChunk.chunks(for: text, tokenizer: tokenizer, options: TextOptions(), maxTokens: 8, frameRate: 12.5)
        #expect(chunks.count == 4)  // 4.0.1 cuts the sentence over 8 tokens at its comma
        let json = try TextChunk.json(chunks, maxTokens: 8, pretty: pretty)
        #expect(json.contains("\n") == pretty)
        let root = try parse(json)
        #expect(Set(root.keys) == ["chunks", "max_tokens"])
        #expect(root["max_tokens"] as? Int == 8)
        let items = try #require(root["chunks"] as? [[String: Any]])
        #expect(items.count == chunks.count)
        for (item, chunk) in zip(items, chunks) {
            #expect(Set(item.keys) == ["text", "tokens", "frames_after_eos", "max_gen_len"])
            #expect(item["text"] as? String == chunk.text)
            #expect(item["tokens"] as? [Int] == chunk.tokens)
            #expect(item["frames_after_eos"] as? Int == chunk.framesAfterEOS)
            #expect(item["max_gen_len"] as? Int == chunk.maxGenerationFrames)
        }
        #expect(json.contains("« déjà »"))  // UTF-8, not \u escapes
    }

    @Test func emptyChunkListIsStillADocument() throws {
        let root = try parse(try TextChunk.json([], maxTokens: 50))
        #expect(root["chunks"] as? [Any] != nil && (root["chunks"] as? [Any])?.isEmpty == true)
    }
}
