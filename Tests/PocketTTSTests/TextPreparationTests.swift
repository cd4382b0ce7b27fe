// Text pipeline parity with pocket-tts 1.1.1, from the JSON fixtures written by
// Scripts/reference/make_text_fixture.py (never edited by hand), plus hand-written checks of
// the Python string semantics it relies on.
import Foundation
import Testing
@testable import PocketTTS

/// One fixture file: per corpus text, the reference's prepared text and, per max_tokens, the
/// chunks `generate_audio_stream` prompts the model with (or the error it raises).
struct TextFixture: Decodable, Sendable {
    struct Chunk: Decodable, Sendable {
        let text: String
        let tokens: [Int]
        let framesAfterEos: Int
        let maxGenLen: Int
    }
    struct Split: Decodable, Sendable {
        let maxTokens: Int
        let chunks: [Chunk]?
        let error: String?
    }
    struct Case: Decodable, Sendable {
        let text: String
        let prepared: String?
        let framesAfterEosGuess: Int?
        let error: String?
        let splits: [Split]
    }
    let vocabSize: Int
    let frameRate: Double
    let endOfSentenceTokens: [Int]
    let cases: [Case]

    static func load(_ name: String) throws -> TextFixture {
        let url = try #require(Bundle.module.url(forResource: name, withExtension: "json", subdirectory: "Fixtures/text"))
        let decoder = JSONDecoder()
        decoder.keyDecodingStrategy = .convertFromSnakeCase
        return try decoder.decode(TextFixture.self, from: Data(contentsOf: url))
    }
}

/// Strings compared as UTF-8 bytes: Swift's `==` ignores canonical differences.
func same(_ a: String, _ b: String) -> Bool { Array(a.utf8) == Array(b.utf8) }

/// Checks every corpus entry against the reference: prepare, split, and the chunks.
private func expectParity(_ tokenizer: Tokenizer, _ fixture: TextFixture) {
    #expect(tokenizer.vocabularySize == fixture.vocabSize)
    #expect(Array(tokenizer.encode(".!...?").dropFirst()) == fixture.endOfSentenceTokens)
    #expect(fixture.cases.count >= 120)
    var chunkCount = 0
    for item in fixture.cases {
        let label = item.text.debugDescription
        do {
            let (prepared, guess) = try prepareTextPrompt(item.text)
            #expect(item.error == nil, "prepare \(label) should fail")
            #expect(same(prepared, item.prepared ?? ""), "prepare \(label): \(prepared.debugDescription)")
            #expect(guess == item.framesAfterEosGuess, "guess \(label)")
        } catch {
            #expect(item.error != nil && error == .empty, "prepare \(label) failed: \(error)")
        }
        for split in item.splits {
            let context = "\(label) at max_tokens \(split.maxTokens)"
            do {
                let sentences = try splitIntoBestSentences(item.text, tokenizer: tokenizer, maxTokens: split.maxTokens)
                let chunks = try TextChunk.chunks(
                    for: item.text, tokenizer: tokenizer, maxTokens: split.maxTokens, frameRate: fixture.frameRate)
                let expected = try #require(split.chunks, "\(context) should fail")
                chunkCount += expected.count
                #expect(sentences.map { Array($0.utf8) } == expected.map { Array($0.text.utf8) }, "split \(context)")
                #expect(chunks.count == expected.count, "chunk count \(context)")
                for (chunk, reference) in zip(chunks, expected) {
                    #expect(same(chunk.text, reference.text), "chunk text \(context)")
                    #expect(chunk.tokens == reference.tokens, "chunk tokens \(context): \(reference.text.debugDescription)")
                    #expect(chunk.framesAfterEOS == reference.framesAfterEos, "frames after EOS \(context)")
                    #expect(chunk.maxGenerationFrames == reference.maxGenLen, "max gen len \(context)")
                }
            } catch let error as TextError {
                #expect(split.error != nil && error == .empty, "\(context) failed: \(error)")
            } catch {
                Issue.record("\(context): \(error)")
            }
        }
    }
    #expect(chunkCount > 2 * fixture.cases.count, "the corpus has multi-chunk texts")
}

@Suite struct TextPreparationTests {
    @Test func corpusMatchesReferenceWithTestTokenizer() throws {
        let tokenizer = try Tokenizer(modelPath: TokenizerPaths.testModel)
        expectParity(tokenizer, try TextFixture.load("test_tokenizer_text"))
    }

    @Test func emptyOrWhitespaceTextThrows() throws {
        let tokenizer = try Tokenizer(modelPath: TokenizerPaths.testModel)
        for text in ["", " ", "\r\n", " \t\n\u{0B}\u{0C}", "\u{A0}\u{3000}\u{2028}\u{85}", "\u{1C}\u{1F}"] {
            #expect(throws: TextError.empty) { try prepareTextPrompt(text) }
            #expect(throws: TextError.empty) { try splitIntoBestSentences(text, tokenizer: tokenizer, maxTokens: 50) }
            #expect(throws: TextError.empty) { try TextChunk.chunks(for: text, tokenizer: tokenizer, frameRate: 12.5) }
        }
        // Not whitespace for Python: a zero-width space is a (silent) prompt.
        #expect(throws: Never.self) { try prepareTextPrompt("\u{200B}") }
    }

    @Test func preparationFollowsPythonStringSemantics() throws {
        func prepared(_ text: String) throws -> String { try prepareTextPrompt(text).text }
        // Upper-case of the first code point, full mapping; titlecase is not upper case.
        #expect(same(try prepared("ß"), "        SS."))
        #expect(same(try prepared("ǆemal"), "        Ǆemal."))
        #expect(same(try prepared("ǅemal"), "        Ǆemal."))
        #expect(same(try prepared("ŉ"), "        ʼN."))
        #expect(same(try prepared("élan"), "        Élan."))
        // Last code point: a combining mark is not alphanumeric; CJK and numerals are.
        #expect(same(try prepared("cafe\u{301}"), "        Cafe\u{301}"))
        #expect(same(try prepared("三"), "        三."))
        #expect(same(try prepared("½"), "        ½."))
        #expect(same(try prepared("ok 😀"), "        Ok 😀"))
        // "\r\n" is one Swift Character but two code points; one pass of "  " → " ".
        #expect(same(try prepared("a\r\nb"), "        A b."))
        #expect(same(try prepared("a   b"), "        A  b."))
        #expect(same(try prepared("a    b"), "        A  b."))
        // Word counts split on Unicode whitespace runs; 5 words get no padding.
        #expect(try prepareTextPrompt("one\u{3000}two\u{2003}three\u{85}four").framesAfterEOSGuess == 3)
        #expect(try prepareTextPrompt("one two three four five") == ("One two three four five.", 1))
        #expect(try prepareTextPrompt("\u{1C} x \u{1F}") == ("        X.", 3))
    }

    @Test func maxGenerationFramesMatchesEstimate() {
        // ceil((n / 3 + 2) * 12.5)
        #expect(TextChunk.maxGenerationFrames(tokenCount: 0, frameRate: 12.5) == 25)
        #expect(TextChunk.maxGenerationFrames(tokenCount: 1, frameRate: 12.5) == 30)
        #expect(TextChunk.maxGenerationFrames(tokenCount: 3, frameRate: 12.5) == 38)
        #expect(TextChunk.maxGenerationFrames(tokenCount: 6, frameRate: 12.5) == 50)
        #expect(TextChunk.maxGenerationFrames(tokenCount: 50, frameRate: 12.5) == 234)
    }
}

/// The real Pocket TTS tokenizer (4000 pieces), when the shared assets are present.
@Suite(.enabled(if: TokenizerPaths.realModel != nil, "needs ../shared/assets/tokenizer.model"))
struct RealTokenizerTextTests {
    @Test func corpusMatchesReferenceWithRealTokenizer() throws {
        let tokenizer = try Tokenizer(modelPath: try #require(TokenizerPaths.realModel))
        expectParity(tokenizer, try TextFixture.load("real_tokenizer_text"))
    }

    @Test func knownChunks() throws {
        let tokenizer = try Tokenizer(modelPath: try #require(TokenizerPaths.realModel))
        let chunks = try TextChunk.chunks(for: "hello world", tokenizer: tokenizer, frameRate: 12.5)
        #expect(chunks == [TextChunk(text: "Hello world.", tokens: [2994, 578, 263], framesAfterEOS: 5, maxGenerationFrames: 38)])
    }
}
