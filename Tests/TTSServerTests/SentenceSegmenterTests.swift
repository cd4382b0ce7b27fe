import Testing
@testable import TTSServer

/// Feeds `pieces` in order; returns the released sentences and the flushed tail.
private func segment(_ pieces: [String]) -> [String] {
    var segmenter = SentenceSegmenter()
    var out: [String] = []
    for piece in pieces { out += segmenter.append(piece) }
    if let tail = segmenter.flush() { out.append(tail) }
    return out
}

/// Splits `text` after every whitespace run (how LLM tokens arrive: "Hello", " world", ...).
private func words(_ text: String) -> [String] {
    var pieces: [String] = []
    var current = ""
    for character in text {
        if character.isWhitespace, !current.isEmpty, !(current.last?.isWhitespace ?? false) {
            pieces.append(current)
            current = ""
        }
        current.append(character)
    }
    if !current.isEmpty { pieces.append(current) }
    return pieces
}

private struct SplitMix64: RandomNumberGenerator {
    var state: UInt64
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

@Suite struct SentenceSegmenterTests {
    @Test func releasesSentenceOnceWhitespaceFollows() {
        var s = SentenceSegmenter()
        #expect(s.append("Hello world.") == [])
        #expect(s.append(" How") == ["Hello world."])
        #expect(s.append(" are you? I am") == ["How are you?"])
        #expect(s.pendingText == " I am")
        #expect(s.flush() == "I am")
        #expect(s.flush() == nil)
    }

    @Test func eachTerminatorKind() {
        #expect(segment(["Stop! Why? Wait… Ok. End"]) == ["Stop!", "Why?", "Wait…", "Ok.", "End"])
        #expect(segment(["Really?! Yes!!! No... Maybe."]) == ["Really?!", "Yes!!!", "No...", "Maybe."])
    }

    @Test func decimalsAndDottedWordsAreNotEnds() {
        #expect(segment(["Pi is 3.14 and e is 2.718. Next."]) == ["Pi is 3.14 and e is 2.718.", "Next."])
        #expect(segment(["Visit example.com today. Bye"]) == ["Visit example.com today.", "Bye"])
    }

    @Test func abbreviationsAreNotEnds() {
        #expect(segment(["Dr. Smith met Mr. Jones. They talked."]) == ["Dr. Smith met Mr. Jones.", "They talked."])
        #expect(segment(["Fruit, e.g. apples, i.e. food. Yes."]) == ["Fruit, e.g. apples, i.e. food.", "Yes."])
        #expect(segment(["J. R. R. Tolkien wrote it. The U.S. Army."]) == ["J. R. R. Tolkien wrote it.", "The U.S. Army."])
        #expect(segment(["(Prof. X) spoke. Then"]) == ["(Prof. X) spoke.", "Then"])
        // The other normalized languages' titles and short forms.
        #expect(segment(["La Sra. López llegó. Bien."]) == ["La Sra. López llegó.", "Bien."])
        #expect(segment(["Rechnung Nr. 42 bzw. Nr. 43. Danke."]) == ["Rechnung Nr. 42 bzw. Nr. 43.", "Danke."])
        #expect(segment(["Dhr. Jansen belt. Dag."]) == ["Dhr. Jansen belt.", "Dag."])
        // An abbreviation followed by more punctuation is an end all the same.
        #expect(segment(["Ask the Dr.! Now."]) == ["Ask the Dr.!", "Now."])
    }

    @Test func closingQuotesAndBracketsStayWithTheirSentence() {
        #expect(segment(["He said \"Stop.\" Then left."]) == ["He said \"Stop.\"", "Then left."])
        #expect(segment(["(This is it.) Next ”one.” Last"]) == ["(This is it.)", "Next ”one.”", "Last"])
        #expect(segment(["**Bold.** Plain."]) == ["**Bold.**", "Plain."])
    }

    @Test func punctuationOnlyPiecesJoinTheNextSentence() {
        #expect(segment(["... Well. ?! Ok."]) == ["... Well.", "?! Ok."])
        #expect(segment(["Hi. ..."]) == ["Hi."])
        #expect(segment(["   "]) == [])
    }

    @Test func blankLineEndsASentenceSingleLineBreakDoesNot() {
        #expect(segment(["Title\n\nBody text\nsame sentence. End"]) == ["Title", "Body text\nsame sentence.", "End"])
        var s = SentenceSegmenter()
        #expect(s.append("Heading\n") == [])
        #expect(s.append("  ") == [])
        #expect(s.append("\nText") == ["Heading"])
    }

    @Test func cjkFullStopsNeedNoSpace() {
        #expect(segment(["你好。今天好吗？很好"]) == ["你好。", "今天好吗？", "很好"])
        var s = SentenceSegmenter()
        #expect(s.append("你好。") == [])  // the end is known only when more text comes
        #expect(s.append("再") == ["你好。"])
    }

    @Test func waitsWhileTheEndIsUndecided() {
        var s = SentenceSegmenter()
        #expect(s.append("It costs 3.") == [])
        #expect(s.append("50 dollars.\"") == [])
        #expect(s.append(")") == [])
        #expect(s.append("\t") == ["It costs 3.50 dollars.\")"])
    }

    @Test func flushReturnsTheTailAndResets() {
        var s = SentenceSegmenter()
        #expect(s.append("One. Two") == ["One."])
        #expect(s.flush() == "Two")
        #expect(s.pendingText == "")
        #expect(s.append("Three. ") == ["Three."])
    }

    @Test func wordByWordEqualsWholeText() {
        let texts = [
            "Hello there! This is Dr. Smith, e.g. a doctor. It costs $3.50... or so? \"Yes.\" (Maybe.) Ok",
            "First line.\nSecond line\n\nThird paragraph! 你好。再见 The U.S. is big. J. Doe said so…  Fine",
            "No punctuation at all just words",
            "Numbers 1. 2. 3. and 4.5.6 end. Wow!!!\" she said. ",
        ]
        for text in texts {
            let whole = segment([text])
            #expect(segment(words(text)) == whole)
            #expect(segment(text.map { String($0) }) == whole)
            #expect(segment(text.unicodeScalars.map { String($0) }) == whole)
        }
    }

    @Test func randomPiecesEqualWholeText() {
        let vocabulary = ["Hello", "Dr.", "3.14", "e.g.", "world.", "ok!", "why?", "\"quoted.\"", "(aside.)", "…", "...",
                          "\n", "\n\n", "。", "你好", "U.S.", "x", "!?", "J.", "end.", "  "]
        var rng = SplitMix64(state: 42)
        for _ in 0..<200 {
            var text = ""
            for _ in 0..<Int.random(in: 5...40, using: &rng) {
                text += vocabulary.randomElement(using: &rng)!
                text += ["", " ", " ", "  "].randomElement(using: &rng)!
            }
            let whole = segment([text])
            var pieces: [String] = []
            var rest = Substring(text)
            while !rest.isEmpty {
                let n = Int.random(in: 1...6, using: &rng)
                pieces.append(String(rest.prefix(n)))
                rest = rest.dropFirst(n)
            }
            #expect(segment(pieces) == whole, "text: \(text.debugDescription)")
            // Nothing is lost but whitespace and word-less pieces at the very end.
            #expect(whole.joined().filter { !$0.isWhitespace } == String(text.filter { !$0.isWhitespace }.prefix(whole.joined().filter { !$0.isWhitespace }.count)))
        }
    }
}
