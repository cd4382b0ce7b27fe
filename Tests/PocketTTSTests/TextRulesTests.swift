// The rules of pocket-tts 4.0.1's text preparation one by one (text_chunking.py), by hand; the
// whole corpus against the reference is TextPreparationTests'.
import Testing
@testable import PocketTTS

@Suite struct TextRulesTests {
    static let plain = TextOptions(appendTerminalPunctuation: false, capitalizeFirstLetter: false)
    static let padded = TextOptions(padWithSpacesForShortInputs: true)

    func prepared(_ text: String, _ options: TextOptions = TextOptions()) throws -> String {
        try prepareTextPrompt(text, options: options).text
    }

    @Test func replacedCharactersThenWhitespaceCollapsed() throws {
        let options = TextOptions(replaceCharacters: ["«": "", "»": "", "–": ",", "&": " and "])
        #expect(same(try prepared("« Bonjour »   à  tous\n– oui", options), "Bonjour à tous , oui."))
        #expect(same(try prepared("salt&pepper", options), "Salt and pepper."))
        // Without replacements, no collapse: one pass of "  " → " " only.
        #expect(same(try prepared("a    b", Self.plain), "a  b"))
        #expect(same(try prepared("a\t\tb", Self.plain), "a\t\tb"))
    }

    @Test func aSentenceMarkFollowedByWeakPunctuationKeepsTheMarkOnly() throws {
        let quotes = TextOptions(capitalizeFirstLetter: false, replaceCharacters: ["\"": ""])
        #expect(same(try prepared("\"Hi?\", she said", quotes), "Hi? she said."))
        #expect(same(try prepared("Wow! : great; yes… ,then", quotes), "Wow! great; yes…then."))
        #expect(same(try prepared("Hi?,, x", quotes), "Hi?, x."))  // one match at a time, as re.sub
        // Only when the config replaces characters (the rule sits in that branch).
        #expect(same(try prepared("\"Hi?\", she said", Self.plain), "\"Hi?\", she said"))
    }

    @Test func semicolonsBecomeCommasWhenAsked() throws {
        #expect(same(try prepared("one; two;three", TextOptions(removeSemicolons: true)), "One, two,three."))
        #expect(same(try prepared("one; two;three"), "One; two;three."))
    }

    @Test func capitalizationIsAnOption() throws {
        #expect(same(try prepared("salAm"), "SalAm."))
        #expect(same(try prepared("salAm", TextOptions(capitalizeFirstLetter: false)), "salAm."))
        // Python's upper(): full mappings; titlecase is not upper case.
        #expect(same(try prepared("ß"), "SS."))
        #expect(same(try prepared("ǅemal"), "Ǆemal."))
        #expect(same(try prepared("ŉ"), "ʼN."))
    }

    @Test func theTextIsMadeToEndASentence() throws {
        #expect(same(try prepared("Done."), "Done."))
        #expect(same(try prepared("Really?!"), "Really?!"))
        #expect(same(try prepared("Wait…"), "Wait…"))
        #expect(same(try prepared("He said \"hello.\""), "He said \"hello.\""))  // closers after a mark
        #expect(same(try prepared("(really.) ]"), "(really.) ]"))
        // A weak mark (and the spaces and weak marks before it) becomes ".", closers kept.
        #expect(same(try prepared("It ends with a comma,"), "It ends with a comma."))
        #expect(same(try prepared("Several ,;: -"), "Several."))
        #expect(same(try prepared("an em dash—"), "An em dash."))
        #expect(same(try prepared("He said \"hello,\""), "He said \"hello.\""))
        #expect(same(try prepared("A list [one, two,] »"), "A list [one, two.] »"))
        // Anything else: "." at the very end, after closers too.
        #expect(same(try prepared("He said “hello”"), "He said “hello”."))
        #expect(same(try prepared("cafe\u{301}"), "Cafe\u{301}."))
        #expect(same(try prepared("ok 😀"), "Ok 😀."))
        #expect(same(try prepared("( )"), "( )."))
        #expect(same(try prepared(","), "."))
        #expect(same(try prepared("\"\""), "\"\""))  // only closers: nothing to end
        #expect(same(try prepared("no end", TextOptions(appendTerminalPunctuation: false)), "No end"))
    }

    @Test func shortTextsArePaddedOnlyWhenAsked() throws {
        #expect(same(try prepared("hello world", Self.padded), "        Hello world."))
        #expect(same(try prepared("one two three four five", Self.padded), "One two three four five."))
        #expect(same(try prepared("hello world"), "Hello world."))
        // Words are runs of non-whitespace code points; the guess counts them before the rest.
        #expect(try prepareTextPrompt("one\u{3000}two\u{2003}three\u{85}four", options: Self.padded).framesAfterEOSGuess == 3)
        #expect(try prepareTextPrompt("one two three four five", options: Self.padded).framesAfterEOSGuess == 1)
        #expect(same(try prepared("\u{1C} x \u{1F}", Self.padded), "        X."))
    }

    @Test func aDecimalPeriodDoesNotEndASentence() throws {
        let tokenizer = try Tokenizer(modelPath: TokenizerPaths.multilingualModel)
        func sentences(_ text: String) throws -> [String] {
            try splitIntoBestSentences(text, tokenizer: tokenizer, maxTokens: 1, options: TextOptions())
        }
        #expect(try sentences("It weighs 3.5 kilograms. Then more.") == ["It weighs 3.5 kilograms.", "Then more."])
        // Decoding drops the space before the next sentence's first token: "4. 5" counts as decimal.
        #expect(try sentences("The price rose 4. 5 people noticed.") == ["The price rose 4. 5 people noticed."])
        #expect(try sentences("Chapter 3. Five pages.") == ["Chapter 3.", "Five pages."])
        #expect(try sentences("Version 2.0.1 is out.") == ["Version 2.0.1 is out."])
    }

    @Test func theDecimalCheckDecodesAWindowWithTheWholeTextsResult() throws {
        let tokenizer = try Tokenizer(modelPath: TokenizerPaths.multilingualModel)
        // Long prefixes and suffixes, byte-fallback pieces (emoji, CJK) right next to the period.
        let texts = [
            String(repeating: "alpha beta ", count: 20) + "3.5 " + String(repeating: "gamma ", count: 20),
            String(repeating: "😀", count: 12) + "3.5" + String(repeating: "你好", count: 10),
            String(repeating: "😀", count: 12) + ".5 and 3." + String(repeating: "😀", count: 12),
            "x 1." + String(repeating: "٣", count: 12) + " 7.😀 8",
        ]
        for text in texts {
            let tokens = tokenizer.encode(text)
            for index in 1..<tokens.count {
                let prefix = tokenizer.decode(Array(tokens[..<index])).codePoints
                let suffix = tokenizer.decode(Array(tokens[index...])).codePoints
                let full = prefix.count >= 2 && prefix.last == "." && PythonText.isDigit(prefix[prefix.count - 2])
                    && suffix.first.map(PythonText.isDigit) == true
                #expect(TextRules.isDecimalPeriodBoundary(tokens, at: index, tokenizer: tokenizer) == full,
                        "\(text.debugDescription) at \(index)")
            }
        }
    }

    @Test func anOversizedSentenceIsCutAtCommasSemicolonsAndColons() throws {
        let tokenizer = try Tokenizer(modelPath: TokenizerPaths.multilingualModel)
        let text = "First part here; second part there: third part, fourth part."
        let whole = try splitIntoBestSentences(text, tokenizer: tokenizer, maxTokens: 100, options: TextOptions())
        #expect(whole == [text])
        let cut = try splitIntoBestSentences(text, tokenizer: tokenizer, maxTokens: 12, options: TextOptions())
        #expect(cut.count > 1)
        #expect(cut.allSatisfy { $0.hasSuffix(";") || $0.hasSuffix(":") || $0.hasSuffix(",") || $0.hasSuffix(".") })
        #expect(cut.joined(separator: " ").split(separator: " ") == text.split(separator: " "))
        // Nothing to cut at: the sentence stays whole.
        let run = String(repeating: "word ", count: 40)
        #expect(try splitIntoBestSentences(run, tokenizer: tokenizer, maxTokens: 12, options: TextOptions()).count == 1)
    }

    /// 4.0.1 prepares each chunk again and prompts with that text (1.1.1 prompted the chunk as split).
    @Test func eachChunkIsPreparedAgain() throws {
        let tokenizer = try Tokenizer(modelPath: TokenizerPaths.multilingualModel)
        let text = "Well... and then, maybe, we go home tomorrow morning"
        let plain = try TextChunk.chunks(for: text, tokenizer: tokenizer, options: TextOptions(), maxTokens: 8, frameRate: 12.5)
        #expect(plain.map(\.text) == ["Well... and then.", "Maybe.", "We go home tomorrow morning."])  // split: "maybe,"
        #expect(plain.allSatisfy { $0.text.hasSuffix(".") })  // "," at a cut became "."
        for chunk in plain {
            #expect(chunk.tokens == tokenizer.encode(chunk.text))
            #expect(chunk.maxGenerationFrames == TextChunk.maxGenerationFrames(tokenCount: chunk.tokens.count, frameRate: 12.5))
        }
        let padded = try TextChunk.chunks(for: text, tokenizer: tokenizer, options: Self.padded, maxTokens: 8, frameRate: 12.5)
        #expect(padded.map { $0.text.hasPrefix("        ") } == plain.map { $0.text.split(separator: " ").count < 5 })
    }

    @Test func framesAfterEOSComeFromTheConfigElseTheGuess() throws {
        let tokenizer = try Tokenizer(modelPath: TokenizerPaths.multilingualModel)
        let text = "Hi there. This sentence has more than four words."
        let guessed = try TextChunk.chunks(for: text, tokenizer: tokenizer, options: TextOptions(), maxTokens: 12, frameRate: 12.5)
        #expect(guessed.map(\.framesAfterEOS) == [5, 3])
        let recommended = try TextChunk.chunks(for: text, tokenizer: tokenizer, options: TextOptions(), maxTokens: 12,
                                               frameRate: 12.5, recommendedFramesAfterEOS: 2)
        #expect(recommended.map(\.framesAfterEOS) == [2, 2])
        var config = try ModelCatalog.config(named: "english_2m_2026-10")
        config.recommendedFramesAfterEOS = 4
        #expect(try TextChunk.chunks(for: text, tokenizer: tokenizer, config: config, maxTokens: 12).map(\.framesAfterEOS) == [4, 4])
    }

    @Test func promptTokensCountThePreparedText() throws {
        let tokenizer = try Tokenizer(modelPath: TokenizerPaths.multilingualModel)
        let padded = PromptTokenCounter(tokenizer: tokenizer, options: Self.padded)
        #expect(padded.tokenCount("hello world") == tokenizer.encode("        Hello world.").count)
        #expect(PromptTokenCounter(tokenizer: tokenizer, options: TextOptions()).tokenCount("hello world")
                == tokenizer.encode("Hello world.").count)
        #expect(padded.tokenCount("  ") == 0)
        // A chunk over the cap is split into pieces whose prompts (padded ones too) fit.
        let text = String(repeating: "and the river ran on ", count: 12)
        let capped = try TextChunk.chunks(for: text, tokenizer: tokenizer, options: Self.padded, tokenCap: 20, frameRate: 12.5)
        #expect(capped.count > 1 && capped.allSatisfy { $0.tokens.count <= 20 })
    }

    @Test func replacementKeysAreSingleCharacters() throws {
        var config = try ModelCatalog.config(named: "french")
        try config.validate()
        config.text.replaceCharacters["ab"] = "c"
        #expect(throws: ConfigError.self) { try config.validate() }
    }
}
