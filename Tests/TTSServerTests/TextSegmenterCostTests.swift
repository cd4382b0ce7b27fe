import PocketTTS
import TextNormalization
import Synchronization
import Testing
@testable import TTSServer

/// Counts the characters a segmenter asks to have tokenized (the work it does on the event loop).
final class CountingTokens: TokenCounting {
    let characters = Atomic<Int>(0)
    func tokenCount(_ text: String) -> Int {
        characters.add(text.unicodeScalars.count, ordering: .relaxed)
        return FakeTokens().tokenCount(text)
    }
}

/// The segmenter runs on the event-loop thread: its work must stay linear in the text, whatever
/// the text (no letters, no spaces) and however it is cut into pieces. Once, 10,000 ". " in a
/// message stalled every session for seconds (a rescan of the whole buffer for every dot).
@Suite struct TextSegmenterCostTests {
    private func run(_ pieces: [String], counter: CountingTokens) -> [String] {
        var segmenter = TextSegmenter(rules: .init(maxBufferDelay: 1, maxTokens: 50), counter: counter)
        var chunks: [String] = []
        for (i, piece) in pieces.enumerated() { chunks += segmenter.append(piece, now: Double(i) * 1e-6) }
        return chunks + segmenter.flush()
    }

    @Test(arguments: [1, 2, 10_000])
    func textWithoutWordsIsDroppedWithoutCounting(pieceLength: Int) {
        let text = String(repeating: ". ", count: 10_000)
        let pieces = stride(from: 0, to: text.count, by: pieceLength).map {
            String(text.dropFirst($0).prefix(pieceLength))
        }
        let counter = CountingTokens()
        let chunks = run(pieces, counter: counter)
        #expect(chunks.allSatisfy { TokenCap.wordCount(Array($0.unicodeScalars)[...]) == 0 } )
        // Before: every piece had the whole buffer counted (2·10^8 characters for 1-character pieces).
        #expect(counter.characters.load(ordering: .relaxed) <= text.count)
    }

    @Test func sentencesWithoutWordsDoNotSlowTheSentenceScan() {
        var sentences = SentenceSegmenter()
        // A dot then a space is a would-be sentence end; none has a word, so none is cut, and
        // each must not rescan the text before it.
        #expect(sentences.append(String(repeating: ". ", count: 50_000)) == [])
        #expect(sentences.append("Done. ") == [String(repeating: ". ", count: 50_000) + "Done."])
    }

    @Test func wordsArrivingOneCharacterAtATimeCostLinearWork() {
        let text = String(repeating: "word ", count: 4_000)
        let counter = CountingTokens()
        let chunks = run(text.map(String.init), counter: counter)
        #expect(chunks.joined(separator: " ").split(separator: " ").count == 4_000)
        // Each piece counts at most one window (51 words here): linear in the text.
        #expect(counter.characters.load(ordering: .relaxed) <= 51 * 5 * text.count)
    }
}

/// Each chunk is normalized on its own, so no chunk may end inside what the normalizer reads
/// as one expression (issue 13: "never split inside a normalized expression").
@Suite struct TextSegmenterExpressionTests {
    private func segmenter(normalize: Bool) -> TextSegmenter {
        TextSegmenter(rules: .init(maxBufferDelay: 1, maxTokens: 50), counter: FakeTokens(),
                      normalizer: normalize ? TextNormalizer() : nil)
    }

    @Test func theFirstClauseDoesNotEndInsideADate() {
        let text = "We met on May 1st, 2024 at the harbour and then we left together. "
        var plain = segmenter(normalize: false)
        #expect(plain.append(text, now: 0).first == "We met on May 1st,")  // the clause rule alone
        var normalizing = segmenter(normalize: true)
        let chunks = normalizing.append(text, now: 0) + normalizing.flush()
        #expect(chunks == ["We met on", "May 1st, 2024 at the harbour and then we left together."])
    }
}
