import Foundation
import Testing
@testable import TextNormalization

/// Every language but English against its hand-checked table
/// (Fixtures/normalization/cases-<code>.tsv), and the three properties on every case and on
/// generated numbers, money, dates and times: no digits left, idempotent, offsets map back.
@Suite struct LanguageNormalizerTests {
    struct Case: CustomStringConvertible, Sendable {
        var language: NormalizerLanguage
        var section: String
        var input: String
        var expected: String
        var description: String { "\(language) [\(section)] \(input)" }
    }

    static let languages = NormalizerLanguage.allCases.filter { $0 != .english }

    static func cases(_ language: NormalizerLanguage) -> [Case] {
        TextNormalizerTests.caseTable("cases-\(language.code)").map {
            Case(language: language, section: $0.section, input: $0.input, expected: $0.expected)
        }
    }

    static let allCases: [Case] = languages.flatMap(cases)

    @Test(arguments: languages) func everyLanguageHasAtLeast60CasesInEverySection(_ language: NormalizerLanguage) {
        let cases = Self.cases(language)
        #expect(cases.count >= 60, "\(language)")
        for section in ["number", "money", "time", "date", "abbreviation", "mixed", "unchanged"] {
            #expect(cases.filter { $0.section == section }.count >= 2, "\(language): \(section)")
        }
    }

    @Test(arguments: allCases) func tableCase(_ testCase: Case) {
        let normalizer = TextNormalizer(language: testCase.language)
        #expect(normalizer.normalize(testCase.input).text == testCase.expected)
    }

    /// The table's inputs and generated ones, written the way the language writes them.
    static func propertyInputs(_ language: NormalizerLanguage) -> [String] {
        var random = SplitMix64(seed: 29)
        let shapes: [(inout SplitMix64) -> String] = [
            { "\($0.next() % 1_000_000_000)" },
            { "\($0.next() % 1000).\(100 + $0.next() % 900),\($0.next() % 100)" },
            { "-\($0.next() % 1000),\($0.next() % 100)" },
            { "\($0.next() % 100),\(10 + $0.next() % 90) €" },
            { "€\($0.next() % 100)" },
            { "CHF \($0.next() % 100).\(10 + $0.next() % 90)" },
            { "\($0.next() % 24):\(10 + $0.next() % 50)" },
            { "\($0.next() % 24) h \(10 + $0.next() % 50)" },
            { "\(1 + $0.next() % 28)/\(1 + $0.next() % 12)/\(1900 + $0.next() % 200)" },
            { "\(1 + $0.next() % 28).\(1 + $0.next() % 12).\(1900 + $0.next() % 200)" },
            { "\(1000 + $0.next() % 1100)" },
            { "\($0.next() % 100) %" },
            { "\($0.next() % 500) km" },
            { "\(1 + $0.next() % 99)º" },
            { "\(1 + $0.next() % 99)e" },
            { "\($0.next() % 10)-\(10 + $0.next() % 10)" },
            { "\($0.next() % 10)\($0.next() % 10)\($0.next() % 10)\($0.next() % 10)\($0.next() % 10)" },
            { _ in "1234567890123456789" },
        ]
        var inputs = cases(language).map(\.input) + [
            "mp3", "A4", "1,2,3", "1.2.3", "v2.0.1", "3x4", "10:30:15", "2024-13-45", "99/99/9999", "1.234.56",
            "12,5,", "1 000 000 000 000 000 000", "€", "- 5", "5-", "1er2e", "3.er.º", "15 h h 30", "0,000001",
        ]
        for _ in 0..<200 {
            let a = shapes[Int(random.next() % UInt64(shapes.count))](&random)
            let b = shapes[Int(random.next() % UInt64(shapes.count))](&random)
            inputs.append("am \(a) und \(b), dann.")
            inputs.append("\(a) \(b)")
        }
        return inputs
    }

    @Test(arguments: languages) func noDigitsAreLeft(_ language: NormalizerLanguage) {
        let normalizer = TextNormalizer(language: language)
        for input in Self.propertyInputs(language) {
            let output = normalizer.normalize(input).text
            #expect(!output.unicodeScalars.contains(where: NumberWords.isASCIIDigit), "\(input) → \(output)")
        }
    }

    @Test(arguments: languages) func normalizingTwiceChangesNothing(_ language: NormalizerLanguage) {
        let normalizer = TextNormalizer(language: language)
        for input in Self.propertyInputs(language) {
            let once = normalizer.normalize(input).text
            #expect(normalizer.normalize(once).text == once, "\(input) → \(once)")
        }
    }

    @Test(arguments: languages) func offsetsMapEveryOutputCodePointBackToTheInput(_ language: NormalizerLanguage) {
        let normalizer = TextNormalizer(language: language)
        for input in Self.propertyInputs(language) { TextNormalizerTests.expectOffsetsMapBack(normalizer, input) }
    }

    @Test func anExpressionMapsToWhatTheUserWrote() throws {
        let input = "Le 3 mai à 15 h 30, M. Dupont a payé 12,50 €."
        let result = TextNormalizer(language: .french).normalize(input)
        #expect(result.text == "Le trois mai à quinze heures trente, Monsieur Dupont a payé douze euros cinquante.")
        let source = Array(input.unicodeScalars)
        func written(_ spoken: String) throws -> String {
            let range = try #require(result.text.range(of: spoken))
            let start = result.text.unicodeScalars.distance(from: result.text.unicodeScalars.startIndex, to: range.lowerBound)
            let count = spoken.unicodeScalars.count
            let sourceRange = result.sourceRange(ofOutput: start..<start + count)
            return String(String.UnicodeScalarView(source[sourceRange]))
        }
        #expect(try written("douze euros cinquante") == "12,50 €")
        #expect(try written("quinze heures trente") == "15 h 30")
        #expect(try written("trois mai") == "3 mai")
        #expect(try written("Monsieur") == "M.")
    }

    @Test(arguments: languages) func longAndHostileInputsAreReadWithoutTrouble(_ language: NormalizerLanguage) {
        let normalizer = TextNormalizer(language: language)
        let digits = String(repeating: "9", count: 5000)
        #expect(normalizer.normalize(digits).text.split(separator: " ").count == 5000)
        for hostile in [String(repeating: "€-.,:/%#&@+ ", count: 500), String(repeating: "1,", count: 3000),
                        String(repeating: "1.2 h ", count: 1000), String(repeating: "3. Mai ", count: 1000)] {
            let output = normalizer.normalize(hostile)
            #expect(output.sourceRanges.count == output.text.unicodeScalars.count)
            #expect(!output.text.unicodeScalars.contains(where: NumberWords.isASCIIDigit))
        }
        #expect(normalizer.normalize("").text == "")
    }

    @Test func languageCodesAndNamesAreAccepted() throws {
        #expect(try NormalizerLanguage(code: "fr") == .french)
        #expect(try NormalizerLanguage(code: "fr-FR") == .french)
        #expect(try NormalizerLanguage(code: "pt_BR") == .portuguese)
        #expect(try NormalizerLanguage(code: "DE") == .german)
        #expect(try NormalizerLanguage(code: "dutch") == .dutch)
        #expect(try NormalizerLanguage(code: "en-US") == .english)
        #expect(try TextNormalizer(languageCode: "es").language == .spanish)
    }

    @Test func anUnsupportedLanguageIsAnErrorNamingTheSupportedOnes() {
        #expect(throws: TextNormalizationError.unsupportedLanguage("ja")) { try NormalizerLanguage(code: "ja") }
        let error = TextNormalizationError.unsupportedLanguage("xx")
        #expect(error.description.contains("en, fr, de, es, it, pt, nl"))
    }

    @Test func pronunciationsApplyBeforeTheLanguageRules() throws {
        let pronunciations = try Pronunciations(["SNCF": "S N C F"])
        let normalizer = TextNormalizer(language: .french, pronunciations: pronunciations)
        #expect(normalizer.normalize("La SNCF, 3 €.").text == "La S N C F, trois euros.")
    }
}
