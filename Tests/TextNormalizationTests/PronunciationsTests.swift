import Testing
@testable import TextNormalization

@Suite struct PronunciationsTests {
    func spoken(_ text: String, _ dictionary: [String: String]) throws -> String {
        TextNormalizer(pronunciations: try Pronunciations(dictionary)).normalize(text).text
    }

    @Test func wordsMatchWholeWordsWithTheirCase() throws {
        let dictionary = ["SQL": "sequel", "Kubernetes": "koo-ber-net-eez"]
        #expect(try spoken("SQL and MySQL on Kubernetes.", dictionary) == "sequel and MySQL on koo-ber-net-eez.")
        #expect(try spoken("sql is not SQL", dictionary) == "sql is not sequel")
        #expect(try spoken("C++ and C#", ["C++": "C plus plus", "C#": "C sharp"]) == "C plus plus and C sharp")
    }

    @Test func theyApplyBeforeTheRules() throws {
        // "FBI" would be spelled by the acronym rule; the dictionary wins. The rules then read
        // what the dictionary wrote.
        #expect(try spoken("The FBI", ["FBI": "Federal Bureau"]) == "The Federal Bureau")
        #expect(try spoken("GPT4 costs $5", ["GPT4": "G P T 4"]) == "G P T four costs five dollars")
    }

    @Test func patternsWithGroupsAndCase() throws {
        let dictionary = ["/\\bv(\\d+)\\b/": "version $1", "/pocket ?tts/i": "Pocket T T S"]
        #expect(try spoken("Try v2 of pocket-tts or PocketTTS.", dictionary) == "Try version two of pocket-tts or Pocket T T S.")
        #expect(try spoken("POCKET TTS", dictionary) == "Pocket T T S")
    }

    @Test func theEarliestThenLongestMatchWins() throws {
        let dictionary = ["New York": "the Big Apple", "York": "Yorrk", "New": "Nu"]
        #expect(try spoken("New York and York and New", dictionary) == "the Big Apple and Yorrk and Nu")
    }

    @Test func offsetsPointAtTheWordTheUserWrote() throws {
        let normalizer = TextNormalizer(pronunciations: try Pronunciations(["SQL": "sequel"]))
        let result = normalizer.normalize("Learn SQL in 5 days")
        #expect(result.text == "Learn sequel in five days")
        #expect(result.expressions == [6..<9, 13..<14])
        #expect(result.sourceRange(ofOutput: 6..<12) == 6..<9)     // "sequel"
        #expect(result.sourceRange(ofOutput: 16..<20) == 13..<14)  // "five"
        #expect(result.sourceRange(ofOutput: 21..<25) == 15..<19)  // "days"
    }

    @Test func patternsCanBeRefusedAndMustCompile() {
        #expect(throws: PronunciationError.patternNotAllowed("/a+/")) {
            try Pronunciations(["/a+/": "a"], allowsPatterns: false)
        }
        #expect(throws: PronunciationError.self) { try Pronunciations(["/(unclosed/": "x"]) }
        #expect(throws: PronunciationError.emptyKey) { try Pronunciations(["": "x"]) }
        // Not a pattern: a word with slashes.
        #expect(throws: Never.self) { try Pronunciations(["/a": "x"], allowsPatterns: false) }
    }

    @Test func mergingLetsTheLaterDictionaryWin() throws {
        let server = try Pronunciations(["SQL": "sequel", "GUI": "gooey"])
        let turn = try Pronunciations(["SQL": "S Q L"], allowsPatterns: false)
        let merged = server.merging(turn)
        #expect(merged.entries.map(\.written) == ["GUI", "SQL"])
        #expect(TextNormalizer(pronunciations: merged).normalize("SQL GUI").text == "S Q L gooey")
        #expect(merged == (try Pronunciations(["SQL": "S Q L", "GUI": "gooey"])))
    }

    @Test func yamlAndJSONDictionaries() throws {
        let yaml = try Pronunciations(yaml: "SQL: sequel\n\"/\\\\bv(\\\\d+)/\": version $1\n")
        #expect(TextNormalizer(pronunciations: yaml).normalize("SQL v3").text == "sequel version three")
        let json = try Pronunciations(yaml: #"{"nginx": "engine x"}"#)
        #expect(json.entries == [Pronunciations.Entry(written: "nginx", spoken: "engine x")])
        #expect(try Pronunciations(yaml: "").isEmpty)
        #expect(throws: PronunciationError.self) { try Pronunciations(yaml: "- a\n- b\n") }
        #expect(throws: PronunciationError.self) { try Pronunciations(yaml: "a: [1, 2]\n") }
    }
}
