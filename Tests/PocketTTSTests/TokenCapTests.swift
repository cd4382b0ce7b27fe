import Testing
@testable import PocketTTS

/// One token per character: cuts are easy to predict.
private struct CharacterTokens: TokenCounting {
    func tokenCount(_ text: String) -> Int { text.unicodeScalars.count }
}

private func scalars(_ text: String) -> ArraySlice<Unicode.Scalar> { Array(text.unicodeScalars)[...] }

@Suite struct TokenCapTests {
    @Test func wordsClausesAndTheirEnds() {
        #expect(TokenCap.wordCount(scalars("Hello, big  world — ok 3.5 !")) == 5)
        #expect(TokenCap.wordCount(scalars("你好世界")) == 4)
        #expect(TokenCap.wordEnds(scalars("one two thr")) == [3, 7])  // "thr" may still grow
        #expect(TokenCap.clauseEnds(scalars("a, b; c: 1,000 d—e (f) g")) == [2, 5, 8, 17, 22])
    }

    @Test func cutPrefersAClauseThenAWordThenCharacters() {
        // The last word end within 28 tokens is 23; the clause end at 17 keeps more than half.
        #expect(TokenCap.cut(scalars("alpha beta gamma, delta epsilon zeta"), cap: 28, counter: CharacterTokens()) == 17)
        // A clause end after fewer than 3 words is not used...
        #expect(TokenCap.cut(scalars("alpha beta, gamma delta epsilon"), cap: 20, counter: CharacterTokens()) == 17)
        // ... nor one keeping less than half of what fits.
        #expect(TokenCap.cut(scalars("ab cd ef, gh ij kl mn op qr st uv wx"), cap: 30, counter: CharacterTokens()) == 30)
        // No word end leaves 3 words within the cap: characters.
        #expect(TokenCap.cut(scalars("abcdefghijklmnopqrstuvwxyz"), cap: 10, counter: CharacterTokens()) == 10)
    }

    @Test func splitGivesBalancedPiecesWithinTheCap() {
        let text = "one two three four five six seven eight nine ten eleven twelve"  // 62 characters
        let pieces = TokenCap.split(scalars(text), cap: 40, counter: CharacterTokens())
        #expect(pieces == ["one two three four five six", "seven eight nine ten eleven twelve"])
        #expect(TokenCap.split(scalars("  short  "), cap: 40, counter: CharacterTokens()) == ["short"])
        #expect(TokenCap.split(scalars(" ... "), cap: 40, counter: CharacterTokens()) == [])
    }

    /// `TextChunk.chunks(tokenCap:)` keeps the reference's chunks within the cap exactly and
    /// splits only a chunk above it.
    @Test func textChunksKeepReferenceChunksWithinTheCap() throws {
        let tokenizer = try Tokenizer(modelPath: TokenizerPaths.testModel)
        let text = "The cat sat on the mat. It was warm. The dog slept by the door and did not move at all."
        let reference = try TextChunk.chunks(for: text, tokenizer: tokenizer, options: TextOptions(), maxTokens: 12, frameRate: 12.5)
        let largest = reference.map(\.tokens.count).max() ?? 0
        #expect(try TextChunk.chunks(for: text, tokenizer: tokenizer, options: TextOptions(), maxTokens: 12, tokenCap: largest, frameRate: 12.5) == reference)

        // (A cap of 14: "The cat sat." is 13 prompt tokens with this tokenizer, so every piece
        // can end at a word.)
        let capped = try TextChunk.chunks(for: text, tokenizer: tokenizer, options: TextOptions(), maxTokens: 12, tokenCap: 14, frameRate: 12.5)
        #expect(capped.allSatisfy { $0.tokens.count <= 14 })
        #expect(capped.count > reference.count)
        // Chunks within the cap are the reference's own.
        for chunk in reference where chunk.tokens.count <= 14 { #expect(capped.contains(chunk)) }
        // Nothing is lost: the same words, in order (each piece is prepared again: capitalized,
        // made to end with ".").
        let words = { (chunks: [TextChunk]) in
            chunks.flatMap { $0.text.split(separator: " ").map { $0.lowercased().filter { $0.isLetter || $0.isNumber } } }
        }
        #expect(words(capped) == words(reference))
        // Each piece gets its own length limit, from its own tokens.
        for chunk in capped {
            #expect(chunk.maxGenerationFrames == TextChunk.maxGenerationFrames(tokenCount: chunk.tokens.count, frameRate: 12.5))
        }
    }

    @Test func aRunOnTextBecomesBoundedChunks() throws {
        let tokenizer = try Tokenizer(modelPath: TokenizerPaths.testModel)
        let text = Array(repeating: "and the river ran on", count: 200).joined(separator: " ")
        let reference = try TextChunk.chunks(for: text, tokenizer: tokenizer, options: TextOptions(), frameRate: 12.5)
        #expect(reference.count == 1)  // the reference keeps a run-on sentence whole
        let capped = try TextChunk.chunks(for: text, tokenizer: tokenizer, options: TextOptions(), tokenCap: 50, frameRate: 12.5)
        #expect(capped.allSatisfy { $0.tokens.count <= 50 && $0.tokens.count >= 25 })
        #expect(capped.map(\.tokens.count).reduce(0, +) >= reference[0].tokens.count - capped.count)
    }
}
