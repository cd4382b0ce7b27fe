// Text pipeline parity with pocket-tts 4.0.1 for the text options of every built-in config, from
// the JSON fixtures written by Scripts/reference/make_text_fixtures_401.py (never edited by
// hand): prepare, split, and the chunks the model is prompted with.
import Foundation
import Testing
@testable import PocketTTS

/// One fixture file: the config groups (configs with the same text options), and per corpus
/// text what each group's options make of it.
struct TextFixture401: Decodable, Sendable {
    struct Options: Decodable, Sendable {
        let padWithSpacesForShortInputs: Bool
        let removeSemicolons: Bool
        let appendTerminalPunctuation: Bool
        let capitalizeFirstLetter: Bool
        let replaceCharacters: [String: String]

        var textOptions: TextOptions {
            TextOptions(padWithSpacesForShortInputs: padWithSpacesForShortInputs, removeSemicolons: removeSemicolons,
                        appendTerminalPunctuation: appendTerminalPunctuation, capitalizeFirstLetter: capitalizeFirstLetter,
                        replaceCharacters: replaceCharacters)
        }
    }
    struct Group: Decodable, Sendable {
        let name: String
        let configs: [String]
        let options: Options
        let modelRecommendedFramesAfterEos: Int?
        let frameRate: Double
    }
    struct Chunk: Decodable, Sendable {
        let text: String
        let tokens: [Int]
        let framesAfterEos: Int
        let maxGenLen: Int
    }
    /// The same result for every `maxTokens` listed: the chunks (indices into the case's
    /// `chunkTable`), or the error of the split or of a chunk prepared again.
    struct Split: Decodable, Sendable {
        let maxTokens: [Int]
        let chunks: [Int]?
        let sentences: [String]?  // the split's texts, where the prompted texts differ
        let chunksError: String?
        let error: String?
    }
    struct Result: Decodable, Sendable {
        let groups: [String]
        let prepared: String?
        let framesAfterEosGuess: Int?
        let error: String?
        let splits: [Split]
    }
    struct Case: Decodable, Sendable {
        let text: String
        let chunkTable: [Chunk]
        let results: [Result]
    }
    struct EOSCase: Decodable, Sendable {
        let eosSteps: [Int]
        let maxGenLen: Int
        let framesAfterEos: Int
        let framesEmitted: Int
    }
    let vocabSize: Int
    let minFramesBeforeEos: Int
    let endOfSentenceTokens: [Int]
    let fallbackTokens: [Int]
    let groups: [Group]
    let eosCases: [EOSCase]
    let cases: [Case]

    static func load(_ name: String) throws -> TextFixture401 {
        let url = try #require(Bundle.module.url(forResource: name, withExtension: "json", subdirectory: "Fixtures/text"))
        let decoder = JSONDecoder()
        decoder.keyDecodingStrategy = .convertFromSnakeCase
        return try decoder.decode(TextFixture401.self, from: Data(contentsOf: url))
    }
}

/// Strings compared as UTF-8 bytes: Swift's `==` ignores canonical differences.
func same(_ a: String, _ b: String) -> Bool { Array(a.utf8) == Array(b.utf8) }
func same(_ a: [String], _ b: [String]) -> Bool { a.map { Array($0.utf8) } == b.map { Array($0.utf8) } }

enum TextParity {
    /// Checks every corpus entry of `fixture` for `group`: prepare, split, and the chunks.
    /// Returns the number of chunks checked.
    static func expectGroup(_ group: TextFixture401.Group, _ fixture: TextFixture401, tokenizer: Tokenizer) -> Int {
        let options = group.options.textOptions
        var chunkCount = 0
        for item in fixture.cases {
            guard let result = item.results.first(where: { $0.groups.contains(group.name) }) else {
                Issue.record("\(group.name): no result for \(item.text.debugDescription)")
                continue
            }
            let label = "\(group.name) \(item.text.debugDescription)"
            do {
                let (prepared, guess) = try prepareTextPrompt(item.text, options: options)
                #expect(result.error == nil, "prepare \(label) should fail")
                #expect(same(prepared, result.prepared ?? ""), "prepare \(label): \(prepared.debugDescription)")
                #expect(guess == result.framesAfterEosGuess, "guess \(label)")
            } catch {
                #expect(result.error != nil && error == .empty, "prepare \(label) failed: \(error)")
            }
            for split in result.splits {
                for maxTokens in split.maxTokens {
                    chunkCount += expectSplit(split, maxTokens: maxTokens, item: item, group: group, tokenizer: tokenizer,
                                              context: "\(label) at max_tokens \(maxTokens)")
                }
            }
        }
        return chunkCount
    }

    private static func expectSplit(
        _ split: TextFixture401.Split, maxTokens: Int, item: TextFixture401.Case, group: TextFixture401.Group,
        tokenizer: Tokenizer, context: String
    ) -> Int {
        let options = group.options.textOptions
        let sentences: [String]
        do {
            sentences = try splitIntoBestSentences(item.text, tokenizer: tokenizer, maxTokens: maxTokens, options: options)
            #expect(split.error == nil, "split \(context) should fail")
        } catch {
            #expect(split.error != nil && error == .empty, "split \(context) failed: \(error)")
            return 0
        }
        let chunks: [TextChunk]
        do {
            chunks = try TextChunk.chunks(for: item.text, tokenizer: tokenizer, options: options, maxTokens: maxTokens,
                                          frameRate: group.frameRate,
                                          recommendedFramesAfterEOS: group.modelRecommendedFramesAfterEos)
            #expect(split.chunksError == nil, "chunks \(context) should fail")
        } catch {
            #expect(split.chunksError != nil && error == .empty, "chunks \(context) failed: \(error)")
            return 0
        }
        let expected = (split.chunks ?? []).map { item.chunkTable[$0] }
        #expect(same(sentences, split.sentences ?? expected.map(\.text)), "split \(context): \(sentences)")
        #expect(chunks.count == expected.count, "chunk count \(context)")
        for (chunk, reference) in zip(chunks, expected) {
            #expect(same(chunk.text, reference.text), "chunk text \(context): \(chunk.text.debugDescription)")
            #expect(chunk.tokens == reference.tokens, "chunk tokens \(context): \(reference.text.debugDescription)")
            #expect(chunk.framesAfterEOS == reference.framesAfterEos, "frames after EOS \(context)")
            #expect(chunk.maxGenerationFrames == reference.maxGenLen, "max gen len \(context)")
        }
        return expected.count
    }
}

@Suite struct TextPreparationTests {
    static let multilingual = Result { try TextFixture401.load("text_401_multilingual") }

    @Test func fixtureCoversEveryBuiltinConfig() throws {
        let fixture = try Self.multilingual.get()
        #expect(fixture.cases.count >= 150)
        #expect(fixture.minFramesBeforeEos == GenerationOptions.referenceMinFramesBeforeEOS)
        let named = fixture.groups.flatMap(\.configs)
        #expect(Set(named) == Set(ModelCatalog.names), "every built-in config is in one group")
        #expect(named.count == Set(named).count)
        // Each config's own text options are its group's: the fixture's groups are the configs'.
        for group in fixture.groups {
            for name in group.configs {
                let config = try ModelCatalog.config(named: name)
                #expect(config.text == group.options.textOptions, "\(name) text options")
                #expect(config.recommendedFramesAfterEOS == group.modelRecommendedFramesAfterEos, "\(name)")
                #expect(config.mimi.frameRate == group.frameRate, "\(name) frame rate")
            }
        }
    }

    @Test func corpusMatchesReferenceForEveryConfigGroup() throws {
        let fixture = try Self.multilingual.get()
        let tokenizer = try Tokenizer(modelPath: TokenizerPaths.multilingualModel)
        #expect(tokenizer.vocabularySize == fixture.vocabSize)
        #expect(Array(tokenizer.encode(".!...?").dropFirst()) == fixture.endOfSentenceTokens)
        #expect(Array(tokenizer.encode(",;:").dropFirst()) == fixture.fallbackTokens)
        for group in fixture.groups {
            let chunks = TextParity.expectGroup(group, fixture, tokenizer: tokenizer)
            #expect(chunks > 3 * fixture.cases.count, "\(group.name): the corpus has multi-chunk texts")
        }
    }

    @Test func emptyOrWhitespaceTextThrows() throws {
        let tokenizer = try Tokenizer(modelPath: TokenizerPaths.multilingualModel)
        let french = try ModelCatalog.config(named: "french")
        for text in ["", " ", "\r\n", " \t\n\u{0B}\u{0C}", "\u{A0}\u{3000}\u{2028}\u{85}", "\u{1C}\u{1F}"] {
            #expect(throws: TextError.empty) { try prepareTextPrompt(text, options: TextOptions()) }
            #expect(throws: TextError.empty) {
                try splitIntoBestSentences(text, tokenizer: tokenizer, maxTokens: 50, options: TextOptions())
            }
            #expect(throws: TextError.empty) { try TextChunk.chunks(for: text, tokenizer: tokenizer, config: french) }
        }
        // Nothing left once the config's characters are deleted.
        #expect(throws: TextError.empty) { try prepareTextPrompt("« » “ ”", options: french.text) }
        #expect(try prepareTextPrompt("« » “ ”", options: TextOptions()).text == "« » “ ”.")
        // Not whitespace for Python: a zero-width space is a (silent) prompt.
        #expect(throws: Never.self) { try prepareTextPrompt("\u{200B}", options: TextOptions()) }
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

/// The real Pocket TTS tokenizer (4000 pieces), when the shared assets are present: the English
/// groups (`english_2026-01` pads short chunks; `english` does not).
@Suite(.enabled(if: TokenizerPaths.realModel != nil, "needs ../shared/assets/tokenizer.model"))
struct RealTokenizerTextTests {
    @Test func corpusMatchesReferenceWithRealTokenizer() throws {
        let fixture = try TextFixture401.load("text_401_real_tokenizer")
        let tokenizer = try Tokenizer(modelPath: try #require(TokenizerPaths.realModel))
        #expect(Array(tokenizer.encode(".!...?").dropFirst()) == fixture.endOfSentenceTokens)
        #expect(Set(fixture.groups.map(\.name)) == ["english_2026-01", "english"])
        for group in fixture.groups {
            #expect(TextParity.expectGroup(group, fixture, tokenizer: tokenizer) > 2 * fixture.cases.count)
        }
    }

    /// 4.0.1 prompts `english_2026-01` (b6369a24) with a short chunk padded: 1.1.1 did not.
    @Test func knownChunks() throws {
        let tokenizer = try Tokenizer(modelPath: try #require(TokenizerPaths.realModel))
        let english = try TextChunk.chunks(for: "hello world", tokenizer: tokenizer, config: ModelCatalog.config(named: "english"))
        #expect(english == [TextChunk(text: "Hello world.", tokens: [2994, 578, 263], framesAfterEOS: 5, maxGenerationFrames: 38)])
        let january = try TextChunk.chunks(for: "hello world", tokenizer: tokenizer,
                                           config: ModelCatalog.config(named: "english_2026-01"))
        #expect(january == [TextChunk(text: "        Hello world.", tokens: Array(repeating: 260, count: 8) + [2994, 578, 263],
                                      framesAfterEOS: 5, maxGenerationFrames: 71)])
    }
}
