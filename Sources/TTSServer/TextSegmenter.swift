// TextSegmenter.swift: decides when text that is still arriving is handed to the engine, and
// in which pieces ("chunks"), with a latency budget. One segmenter per turn, used by every
// protocol; a pure value: time comes in as `now` (seconds, any monotonic clock).
//
// The buffered text becomes a chunk at the first of:
//   1. a sentence end (`SentenceSegmenter`'s rules): every complete sentence goes, packed into
//      chunks of at most `maxTokens` tokens as the reference packs them. The turn's FIRST chunk
//      is only its first sentence, or its first clause ("Sure, here is the plan:") if that comes
//      sooner: a short first prompt is spoken sooner, later ones are longer for better prosody;
//   2. the buffer going over `maxTokens` tokens: it is cut where `TokenCap.cut` says (a clause
//      end, else a word end, else between characters for a "word" longer than the cap);
//   3. `maxBufferDelay` seconds since the first character still buffered arrived: the text up to
//      the last clause end (or sentence end) after at least `minimumWords` words goes, else up
//      to the last whole word (one followed by a space: the last may still be growing).
// A chunk of fewer than `TokenCap.minimumWords` words is never handed over before the turn
// ends (Pocket TTS garbles one- and two-word prompts): a short sentence waits and goes with
// what follows. `flush` hands everything over, in chunks within the cap.
//
// `deadline` says when rule 3 will next release something, so the session can set one timer
// instead of polling; it is nil while the buffer holds fewer than `minimumWords` whole words
// (more text or the flush decides then).
import PocketTTS
import TextNormalization

public struct TextSegmenter: Sendable {
    public struct Rules: Sendable, Equatable {
        /// Seconds text may wait for a sentence end; 0 speaks every group of
        /// `minimumWords` whole words at once.
        public var maxBufferDelay: Double
        /// Hard cap on a chunk's tokens (counted by the segmenter's `TokenCounting`).
        public var maxTokens: Int
        /// Fewest words in a chunk that does not end the turn.
        public var minimumWords: Int
        /// Whether the turn's first chunk may end at a clause end (rule 1).
        public var firstChunkAtClause: Bool

        public init(maxBufferDelay: Double, maxTokens: Int, minimumWords: Int = TokenCap.minimumWords,
                    firstChunkAtClause: Bool = true) {
            precondition(maxBufferDelay >= 0 && maxTokens > 0 && minimumWords >= 1)
            self.maxBufferDelay = maxBufferDelay
            self.maxTokens = maxTokens
            self.minimumWords = minimumWords
            self.firstChunkAtClause = firstChunkAtClause
        }
    }

    public let rules: Rules
    private let counter: any TokenCounting
    /// The turn's normalizer: no chunk ends inside what it reads as one expression ("May 1st,
    /// 2024", "$4.50", a pronunciation), since each chunk is normalized on its own. nil: cut anywhere.
    private let normalizer: TextNormalizer?
    /// The unreleased text and its complete sentences.
    private var text = SentenceSegmenter()
    /// Where each received piece starts in `text.pending`, and when it arrived. [pieces]
    private var arrivals: [(start: Int, time: Double)] = []
    /// Chunks released so far in the turn.
    public private(set) var chunkCount = 0
    /// When rule 3 next releases text; nil: not before more text comes.
    public private(set) var deadline: Double?

    public init(rules: Rules, counter: any TokenCounting, normalizer: TextNormalizer? = nil) {
        self.rules = rules
        self.counter = counter
        self.normalizer = normalizer
    }

    /// The text held back, as received.
    public var pendingText: String { text.pendingText }

    /// Adds `piece`, received at `now`; returns the chunks to speak now, in order.
    public mutating func append(_ piece: String, now: Double) -> [String] {
        arrivals.append((text.pending.count, now))
        text.receive(piece)
        return release(now: now)
    }

    /// The chunks due at `now` (call when `deadline` has come).
    public mutating func release(now: Double) -> [String] {
        var chunks: [String] = []
        while let end = nextCut(now: now) { chunks += take(end) }
        deadline = nextDeadline()
        return chunks
    }

    /// Ends the turn's text: every chunk left, each within the cap (the last may be short).
    public mutating func flush() -> [String] {
        var chunks: [String] = []
        if chunkCount == 0, let end = firstChunkEnd() { chunks += take(end) }
        chunks += take(text.pending.count)
        text = SentenceSegmenter()
        arrivals = []
        deadline = nil
        return chunks
    }

    // MARK: Rules

    /// Where the next chunk ends in `text.pending`, or nil if nothing is due: the rules' cut,
    /// moved out of any expression it would split.
    private func nextCut(now: Double) -> Int? {
        guard let end = candidateCut(now: now) else { return nil }
        return outsideExpressions(end)
    }

    /// Where the rules cut next, ignoring expressions.
    private func candidateCut(now: Double) -> Int? {
        let pending = text.pending[...]
        if chunkCount == 0, let end = firstChunkEnd() { return end }  // rule 1, first chunk
        if chunkCount > 0, let end = text.sentenceEnds.last, words(before: end) >= rules.minimumWords {
            return end  // rule 1
        }
        // Rule 2. Only the first maxTokens + 1 words can matter (a word is a token at least),
        // and only so many characters (`TokenCap.charactersPerToken` per token at most), so a
        // long text costs each cut a pass over that much, not over the whole buffer: the buffer
        // never grows past one window, whatever the text (no words, no spaces) and its pieces.
        let window = Self.prefix(pending, words: rules.maxTokens + 1,
                                 characters: (rules.maxTokens + 1) * TokenCap.charactersPerToken)
        if !window.contains(where: TokenCap.isWordCharacter) {
            // No letter or digit: nothing to speak (`pack` drops it) and nothing to count; a
            // full window of it goes, so such text never piles up.
            return window.count < pending.count ? window.endIndex : nil
        }
        if window.count < pending.count || exceedsCap(window) {
            return TokenCap.cut(window, cap: rules.maxTokens, counter: counter)
        }
        if let since = firstCharacterArrival(), now >= since + rules.maxBufferDelay {
            return deadlineCut()  // rule 3
        }
        return nil
    }

    /// Whether `text` is over the cap, counting only when cheap bounds cannot tell: a token
    /// per word at least, and at most one per UTF-8 byte plus the 3 that preparing the prompt
    /// can add.
    private func exceedsCap(_ text: ArraySlice<Unicode.Scalar>) -> Bool {
        let bytes = text.reduce(0) { $0 + UTF8.width($1) }
        if bytes + 3 <= rules.maxTokens { return false }
        if TokenCap.wordCount(text) > rules.maxTokens { return true }
        return counter.tokenCount(TokenCap.string(text)) > rules.maxTokens
    }

    /// The turn's first chunk: its first sentence or (if allowed) clause of at least
    /// `minimumWords` words, whichever ends first.
    private func firstChunkEnd() -> Int? {
        let pending = text.pending[...]
        var ends = text.sentenceEnds
        if rules.firstChunkAtClause { ends = (ends + TokenCap.clauseEnds(pending)).sorted() }
        guard let end = ends.first(where: { words(before: $0) >= rules.minimumWords }) else { return nil }
        return exceedsCap(pending[..<end]) ? nil : end  // one over the cap is cut by rule 2 instead
    }

    /// Rule 3: the last clause or sentence end after enough words, else the last whole word;
    /// nil if fewer than `minimumWords` whole words are buffered.
    private func deadlineCut() -> Int? {
        let pending = text.pending[...]
        // Word counts grow with the end: only the last candidate of each kind needs checking.
        if let end = (TokenCap.clauseEnds(pending) + text.sentenceEnds).max(), words(before: end) >= rules.minimumWords {
            return end
        }
        if let end = TokenCap.wordEnds(pending).last, words(before: end) >= rules.minimumWords { return end }
        return nil
    }

    /// `end`, or the start of the expression it falls inside (the end of it when its start
    /// leaves too few words before and it is all here). Looks at the text around `end` only.
    private func outsideExpressions(_ end: Int) -> Int {
        let pending = text.pending
        guard let normalizer, end > 0, end < pending.count else { return end }
        let reach = 64
        var start = max(0, end - reach)
        // From a word start, but not further back than another `reach`: a run-on "word" would
        // make every cut in it normalize all of it.
        let floor = max(0, start - reach)
        while start > floor, !pending[start - 1].properties.isWhitespace { start -= 1 }
        let stop = min(pending.count, end + reach)
        let around = normalizer.normalize(TokenCap.string(pending[start..<stop]))
        guard let expression = around.expressions.first(where: { $0.contains(end - start) && $0.lowerBound != end - start })
        else { return end }
        let (before, after) = (start + expression.lowerBound, start + expression.upperBound)
        if before > 0, words(before: before) >= rules.minimumWords { return before }
        return after < stop || stop == pending.count ? after : end
    }

    private func nextDeadline() -> Double? {
        guard let since = firstCharacterArrival(),
              let last = TokenCap.wordEnds(text.pending[...]).last, words(before: last) >= rules.minimumWords
        else { return nil }
        return since + rules.maxBufferDelay
    }

    /// `text` up to the space after its `count`-th word, and at most `characters` long (all of
    /// it if it is shorter and has fewer words).
    private static func prefix(_ text: ArraySlice<Unicode.Scalar>, words count: Int, characters: Int)
        -> ArraySlice<Unicode.Scalar> {
        var seen = 0
        var runHasWord = false
        for i in text.indices {
            if i - text.startIndex == characters { return text[..<i] }
            if text[i].properties.isWhitespace {
                if runHasWord {
                    seen += 1
                    if seen == count { return text[..<i] }
                }
                runHasWord = false
            } else if TokenCap.isWordCharacter(text[i]) {
                runHasWord = true
            }
        }
        return text
    }

    private func words(before end: Int) -> Int { TokenCap.wordCount(text.pending[..<end]) }

    /// When the first non-space character still buffered arrived; nil if there is none.
    private func firstCharacterArrival() -> Double? {
        guard let first = text.pending.firstIndex(where: { !$0.properties.isWhitespace }) else { return nil }
        return arrivals.last(where: { $0.start <= first })?.time
    }

    // MARK: Releasing

    /// Removes `text.pending[..<end]` and returns it as chunks: its sentences packed into
    /// chunks within the cap (one chunk, unless it holds several sentences over the cap).
    private mutating func take(_ end: Int) -> [String] {
        let sentenceEnds = text.sentenceEnds.filter { $0 < end } + [end]
        let released = text.pending[..<end]
        let covering = arrivals.last(where: { $0.start <= end })?.time
        text.removeFirst(end)
        arrivals = arrivals.filter { $0.start > end }.map { ($0.start - end, $0.time) }
        if let covering { arrivals.insert((0, covering), at: 0) }
        let chunks = pack(released, sentenceEnds: sentenceEnds)
        chunkCount += chunks.count
        return chunks
    }

    /// Packs the sentences of `released` (ending at `sentenceEnds`) into chunks within the cap,
    /// in order, as the reference packs them; a sentence over the cap is split (`TokenCap.split`).
    private func pack(_ released: ArraySlice<Unicode.Scalar>, sentenceEnds: [Int]) -> [String] {
        let cap = rules.maxTokens
        var chunks: [String] = []
        var current: ArraySlice<Unicode.Scalar>? = nil  // sentences packed so far
        var start = released.startIndex
        for end in sentenceEnds where end > start {
            let sentence = released[start..<end]
            start = end
            guard TokenCap.wordCount(sentence) > 0 || current != nil else { continue }
            if let packed = current {
                let joined = released[packed.startIndex..<end]
                // A short sentence goes with the next one even over the cap: `split` cuts them.
                if TokenCap.wordCount(packed) < rules.minimumWords
                    || counter.tokenCount(TokenCap.string(TokenCap.trimmed(joined))) <= cap {
                    current = joined
                    continue
                }
                chunks += TokenCap.split(packed, cap: cap, counter: counter)
            }
            current = sentence
        }
        if let packed = current { chunks += TokenCap.split(packed, cap: cap, counter: counter) }
        return chunks
    }
}

/// A token count never below a SentencePiece tokenizer's (byte fallback: at most one token per
/// UTF-8 byte, plus what preparing the prompt adds). The default of
/// `SessionMachine.Configuration`; the service counts with the engine's tokenizer.
public struct UTF8TokenBound: TokenCounting {
    public init() {}
    public func tokenCount(_ text: String) -> Int { text.utf8.count + 3 }
}
