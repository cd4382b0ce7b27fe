import PocketTTS
import Testing
@testable import TTSServer

/// A token counter for tests: every run of non-space characters is one token per 6 characters
/// (so a word is one token, a 60-character "word" ten).
struct FakeTokens: TokenCounting {
    func tokenCount(_ text: String) -> Int {
        text.split(whereSeparator: { $0.isWhitespace }).reduce(0) { $0 + ($1.unicodeScalars.count + 5) / 6 }
    }
}

private func segmenter(delay: Double = 1, maxTokens: Int = 50, firstAtClause: Bool = true) -> TextSegmenter {
    TextSegmenter(rules: .init(maxBufferDelay: delay, maxTokens: maxTokens, firstChunkAtClause: firstAtClause),
                  counter: FakeTokens())
}

/// At least 3 words, or a piece of a "word" too long to share a chunk with others.
private func hasEnoughWords(_ chunk: String) -> Bool {
    TokenCap.wordCount(Array(chunk.unicodeScalars)[...]) >= 3 || chunk.contains("zzzzzz")
}

private struct SplitMix: RandomNumberGenerator {
    var state: UInt64
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

/// One test per rule of `TextSegmenter` (see its header), on a fake clock.
@Suite struct TextSegmenterTests {
    // MARK: Rule 1: sentence ends

    @Test func aSentenceEndReleasesAtOnce() {
        var s = segmenter()
        #expect(s.append("The first sentence", now: 0) == [])
        #expect(s.append(" is here. And", now: 0.1) == ["The first sentence is here."])
        #expect(s.pendingText == " And")
    }

    @Test func firstChunkMayEndAtAClauseLaterOnesAtSentences() {
        var s = segmenter()
        // "Sure thing," has two words: too short; the next clause end is the first chunk.
        #expect(s.append("Sure thing, here is the plan, step one", now: 0) == ["Sure thing, here is the plan,"])
        #expect(s.append(". Then we go home, and rest. Ok", now: 0) == ["step one. Then we go home, and rest."])
        // Without the first-chunk rule the whole first sentence goes.
        var t = segmenter(firstAtClause: false)
        #expect(t.append("Sure thing, here is the plan, step one. Then", now: 0) == ["Sure thing, here is the plan, step one."])
    }

    @Test func sentencesCompleteTogetherArePackedWithinTheCap() {
        var s = segmenter(maxTokens: 6)
        #expect(s.append("One two three. ", now: 0) == ["One two three."])  // the first chunk: alone
        // Then every complete sentence goes, packed as the reference packs them (6 tokens here).
        #expect(s.append("Four five. Six seven. Eight nine ten eleven. X", now: 0)
            == ["Four five. Six seven.", "Eight nine ten eleven."])
    }

    @Test func aShortSentenceWaitsForTheNext() {
        var s = segmenter()
        #expect(s.append("Hi. ", now: 0) == [])
        #expect(s.append("How are you? ", now: 0.2) == ["Hi. How are you?"])
        #expect(s.append("Ok. ", now: 0.3) == [])
        #expect(s.release(now: 10) == [])  // one word: never alone before the turn ends
        #expect(s.deadline == nil)
        #expect(s.flush() == ["Ok."])
    }

    // MARK: Rule 2: the token cap

    @Test func theCapCutsAtTheLastWordThatFits() {
        var s = segmenter(maxTokens: 8, firstAtClause: false)
        let chunks = s.append("a b c d e f g h i j k l ", now: 0)
        #expect(chunks == ["a b c d e f g h"])
        #expect(s.pendingText == " i j k l ")
    }

    @Test func theCapPrefersAClauseEndKeepingHalf() {
        var s = segmenter(maxTokens: 8, firstAtClause: false)
        #expect(s.append("a b c d e, f g h i j k ", now: 0) == ["a b c d e,"])
        // A clause end keeping less than half of what fits is not used.
        var t = segmenter(maxTokens: 8, firstAtClause: false)
        #expect(t.append("a b c, d e f g h i j k ", now: 0) == ["a b c, d e f g h"])
    }

    @Test func aWordLongerThanTheCapIsSplitByTokens() {
        var s = segmenter(maxTokens: 5)
        let word = String(repeating: "x", count: 100)  // 17 fake tokens
        var chunks = s.append(word, now: 0)
        chunks += s.flush()
        #expect(chunks.count == 4)
        #expect(chunks.allSatisfy { FakeTokens().tokenCount($0) <= 5 })
        #expect(chunks.joined() == word)
    }

    // MARK: Rule 3: the buffer delay

    @Test func theDelaySpeaksUpToTheLastWholeWord() {
        var s = segmenter(delay: 1)
        #expect(s.append("one ", now: 0) == [])
        #expect(s.deadline == nil)  // fewer than 3 whole words
        #expect(s.append("two ", now: 0.33) == [])
        #expect(s.append("three ", now: 0.67) == [])
        #expect(s.deadline == 1)  // the first word's arrival + 1 s
        #expect(s.append("fo", now: 0.9) == [])
        #expect(s.release(now: 0.99) == [])
        #expect(s.release(now: 1) == ["one two three"])  // "fo" may still grow
        #expect(s.deadline == nil)
        #expect(s.append("ur five six ", now: 1.2) == [])
        #expect(s.deadline == 1.9)  // "fo" came at 0.9
        #expect(s.release(now: 1.9) == ["four five six"])
    }

    @Test func theDelayPrefersTheLastClauseEnd() {
        var s = segmenter(delay: 0.5, firstAtClause: false)
        #expect(s.append("well I think, you know, that we should ", now: 0) == [])
        // The rest has waited as long: it goes too, as its own chunk.
        #expect(s.release(now: 0.5) == ["well I think, you know,", "that we should"])
        #expect(s.pendingText == " ")
    }

    @Test func zeroDelaySpeaksEachGroupOfThreeWords() {
        var s = segmenter(delay: 0)
        #expect(s.append("a b ", now: 0) == [])
        #expect(s.append("c ", now: 0.1) == ["a b c"])
        #expect(s.append("d e f g", now: 0.2) == ["d e f"])
        #expect(s.flush() == ["g"])
    }

    @Test func deadlineIsNilUntilThreeWholeWords() {
        var s = segmenter(delay: 2)
        #expect(s.append("lonely words", now: 5) == [])
        #expect(s.deadline == nil)
        #expect(s.append(" here ", now: 6) == [])
        #expect(s.deadline == 7)
    }

    // MARK: The README's worked examples

    @Test func readmeCaptionExample() {
        var s = segmenter(delay: 1)
        var spoken: [(Double, String)] = []
        let words = ["so", "the", "council", "met", "again", "this", "evening", "to", "talk"]
        for (i, word) in words.enumerated() {
            let now = Double(i) * 0.4
            while let deadline = s.deadline, deadline <= now {  // the timer
                spoken += s.release(now: deadline).map { (deadline, $0) }
            }
            spoken += s.append(word + " ", now: now).map { (now, $0) }
        }
        if let deadline = s.deadline { spoken += s.release(now: deadline).map { (deadline, $0) } }
        #expect(spoken.map(\.1) == ["so the council", "met again this", "evening to talk"])
        #expect(zip(spoken.map(\.0), [1.0, 2.2, 3.4]).allSatisfy { abs($0 - $1) < 1e-9 })
    }

    @Test func readmeLLMExample() {
        let text = "Well, as far as I know, the river runs for forty miles. It passes three towns. Yes."
        var streamed = segmenter()
        var chunks: [String] = []
        for piece in text.split(separator: " ", omittingEmptySubsequences: false).enumerated().map({ $0.offset == 0 ? String($0.element) : " " + $0.element }) {
            chunks += streamed.append(piece, now: 0)
        }
        chunks += streamed.flush()
        #expect(chunks == ["Well, as far as I know,", "the river runs for forty miles.", "It passes three towns.", "Yes."])

        var whole = segmenter()
        #expect(whole.append(text, now: 0) + whole.flush()
            == ["Well, as far as I know,", "the river runs for forty miles. It passes three towns.", "Yes."])
    }

    // MARK: flush and properties

    @Test func flushSpeaksTheRestEvenShortAndResets() {
        var s = segmenter(delay: 100, maxTokens: 10)
        #expect(s.append("a b c d e f g h i j k l", now: 0) == ["a b c d e f g h i j"])  // the cap, while streaming
        #expect(s.flush() == ["k l"])  // it ends the turn: short is fine
        #expect(s.pendingText == "")
        #expect(s.deadline == nil)
    }

    @Test func aShortSentenceIsPackedWithTheNextEvenOverTheCap() {
        var s = segmenter(delay: 100, maxTokens: 6)
        #expect(s.append("One two three. ", now: 0) == ["One two three."])
        // "Four." alone is too short: it goes with the next sentence, split in balanced pieces.
        #expect(s.append("Four. Five six seven eight nine ten. Ok", now: 0) == ["Four. Five six seven", "eight nine ten."])
    }

    @Test func flushWithNothingLeftSpeaksNothing() {
        var s = segmenter()
        _ = s.append("Three words here. ", now: 0)
        #expect(s.flush() == [])
        var t = segmenter()
        _ = t.append("  ... ", now: 0)
        #expect(t.flush() == [])
    }

    /// Random text fed in random pieces at random times: no chunk over the cap, none under
    /// 3 words before the flush unless it holds a piece of a word too long for the cap, and
    /// every word spoken once, in order.
    @Test func randomFeedsKeepEveryRule() {
        let vocabulary = ["the", "river", "was", "calm,", "today.", "Dr.", "3.14", "ok!", "why?", "and", "then;",
                          "a", String(repeating: "z", count: 40), "—", "(aside)", "\n\n", "e.g.", "x"]
        var rng = SplitMix(state: 7)
        for round in 0..<200 {
            let cap = Int.random(in: 12...40, using: &rng)
            var s = segmenter(delay: Double.random(in: 0...2, using: &rng), maxTokens: cap)
            var text = ""
            for _ in 0..<Int.random(in: 1...80, using: &rng) {
                text += vocabulary.randomElement(using: &rng)! + [" ", " ", "  ", "\n"].randomElement(using: &rng)!
            }
            var chunks: [String] = []
            var now = 0.0
            var rest = Substring(text)
            while !rest.isEmpty {
                let n = Int.random(in: 1...12, using: &rng)
                now += Double.random(in: 0...0.6, using: &rng)
                if let deadline = s.deadline, deadline <= now {
                    let due = s.release(now: deadline)
                    #expect(due.allSatisfy(hasEnoughWords),
                            "round \(round): \(due)")
                    chunks += due
                }
                let released = s.append(String(rest.prefix(n)), now: now)
                #expect(released.allSatisfy(hasEnoughWords),
                        "round \(round): \(released)")
                chunks += released
                rest = rest.dropFirst(n)
            }
            chunks += s.flush()
            #expect(chunks.allSatisfy { FakeTokens().tokenCount($0) <= cap }, "round \(round): \(chunks)")
            // Pieces without a letter or digit ("—") may be dropped; nothing else is.
            let letters = { (text: String) in text.filter { $0.isLetter || $0.isNumber } }
            #expect(letters(chunks.joined()) == letters(text),
                    "round \(round): \(text.debugDescription) -> \(chunks)")
        }
    }
}
