import Foundation
import Testing
@testable import TextNormalization

/// The normalizer against the hand-written table (Fixtures/normalization/cases.tsv), and its
/// properties: no digits left, idempotent, offsets that map back to the input.
@Suite struct TextNormalizerTests {
    struct Case: CustomStringConvertible {
        var section: String
        var input: String
        var expected: String
        var description: String { "[\(section)] \(input)" }
    }

    static let cases: [Case] = caseTable("cases").map { Case(section: $0.section, input: $0.input, expected: $0.expected) }

    /// The rows of `Fixtures/normalization/NAME.tsv`: `## section: ...` lines, `# ` comments, and
    /// `input<TAB>expected` rows (also `LanguageNormalizerTests`).
    static func caseTable(_ name: String) -> [(section: String, input: String, expected: String)] {
        guard let url = Bundle.module.url(forResource: name, withExtension: "tsv", subdirectory: "Fixtures/normalization"),
              let text = try? String(contentsOf: url, encoding: .utf8) else { return [] }
        var section = ""
        var rows: [(section: String, input: String, expected: String)] = []
        for line in text.split(separator: "\n") {
            if line.hasPrefix("## ") {
                section = String(line.dropFirst(3).prefix { $0 != ":" })
            } else if !line.hasPrefix("# ") {
                let fields = line.split(separator: "\t", omittingEmptySubsequences: false)
                precondition(fields.count == 2, "\(name).tsv: not input<TAB>expected: \(line)")
                rows.append((section, String(fields[0]), String(fields[1])))
            }
        }
        return rows
    }

    let normalizer = TextNormalizer()

    @Test func theTableHasAtLeast200CasesAndEveryRuleHasSome() {
        #expect(Self.cases.count >= 200)
        for rule in TextNormalizer.rules {
            #expect(Self.cases.filter { $0.section == rule.name }.count >= 3, "rule \(rule.name)")
        }
        #expect(Self.cases.contains { $0.section == "unchanged" })
    }

    @Test(arguments: cases) func tableCase(_ testCase: Case) {
        #expect(normalizer.normalize(testCase.input).text == testCase.expected)
    }

    /// Inputs of the table and generated ones: numbers of every shape in short sentences.
    static let propertyInputs: [String] = {
        var random = SplitMix64(seed: 13)
        let shapes: [(inout SplitMix64) -> String] = [
            { "\($0.next() % 1_000_000_000)" },
            { "\($0.next() % 10_000),\(100 + $0.next() % 900)" },
            { "-\($0.next() % 1000).\($0.next() % 100)" },
            { "$\($0.next() % 100).\(10 + $0.next() % 90)" },
            { "\(1 + $0.next() % 12):\(10 + $0.next() % 50)pm" },
            { "\(1000 + $0.next() % 1100)" },
            { "\($0.next() % 100)%" },
            { "\($0.next() % 500) km" },
            { "\(1 + $0.next() % 28)th" },
            { "\($0.next() % 10)-\(10 + $0.next() % 10)" },
            { "\(1 + $0.next() % 9)/\(2 + $0.next() % 9)" },
            { "20\(10 + $0.next() % 20)-0\(1 + $0.next() % 9)-1\($0.next() % 10)" },
            { "555-\(100 + $0.next() % 900)-\(1000 + $0.next() % 9000)" },
            { "\($0.next() % 10)\($0.next() % 10)\($0.next() % 10)\($0.next() % 10)\($0.next() % 10)" },
        ]
        var inputs = cases.map(\.input)
        for _ in 0..<300 {
            let a = shapes[Int(random.next() % UInt64(shapes.count))](&random)
            let b = shapes[Int(random.next() % UInt64(shapes.count))](&random)
            inputs.append("We saw \(a) and \(b), then left.")
            inputs.append("\(a) \(b)")
        }
        return inputs
    }()

    @Test func noDigitsAreLeft() {
        for input in Self.propertyInputs {
            let output = normalizer.normalize(input).text
            #expect(!output.unicodeScalars.contains(where: NumberWords.isASCIIDigit), "\(input) → \(output)")
        }
    }

    @Test func normalizingTwiceChangesNothing() {
        for input in Self.propertyInputs {
            let once = normalizer.normalize(input).text
            #expect(normalizer.normalize(once).text == once, "\(input) → \(once)")
        }
    }

    @Test func offsetsMapEveryOutputCodePointBackToTheInput() {
        for input in Self.propertyInputs { Self.expectOffsetsMapBack(normalizer, input) }
    }

    /// Every output code point maps to an in-order, in-bounds input range; a code point copied
    /// outside an expression is the input's own; every input code point is copied or inside an
    /// expression. (Also `LanguageNormalizerTests`.)
    static func expectOffsetsMapBack(_ normalizer: TextNormalizer, _ input: String) {
        let source = Array(input.unicodeScalars)
        let result = normalizer.normalize(input)
        let output = Array(result.text.unicodeScalars)
        #expect(result.sourceRanges.count == output.count, "\(input)")
        var previous = 0..<0
        for (k, range) in result.sourceRanges.enumerated() {
            #expect(range.lowerBound >= previous.lowerBound && range.upperBound >= previous.upperBound, "\(input): not in order at \(k)")
            #expect(range.lowerBound >= 0 && range.upperBound <= source.count, "\(input): out of bounds at \(k)")
            let insideExpression = result.expressions.contains { $0.contains(range.lowerBound) }
            if range.count == 1, !insideExpression {
                #expect(output[k] == source[range.lowerBound], "\(input): copied code point \(k)")
            }
            previous = range
        }
        let covered = Set(result.sourceRanges.flatMap { Array($0) })
        for offset in source.indices where !covered.contains(offset) {
            #expect(result.expressions.contains { $0.contains(offset) }, "\(input): code point \(offset) lost")
        }
    }

    @Test func anExpressionMapsToWhatTheUserWrote() throws {
        let input = "Pay $4.50 by 3:30 pm, Dr. Lee."
        let result = normalizer.normalize(input)
        #expect(result.text == "Pay four dollars and fifty cents by three thirty P M, Doctor Lee.")
        let source = Array(input.unicodeScalars)
        func written(_ spoken: String) throws -> String {
            let range = try #require(result.text.range(of: spoken))
            let start = result.text.unicodeScalars.distance(from: result.text.unicodeScalars.startIndex, to: range.lowerBound)
            let mapped = result.sourceRange(ofOutput: start..<start + spoken.unicodeScalars.count)
            return String(String.UnicodeScalarView(source[mapped]))
        }
        #expect(try written("four dollars and fifty cents") == "$4.50")
        #expect(try written("dollars") == "$4.50")
        #expect(try written("three thirty P M") == "3:30 pm")
        #expect(try written("Doctor") == "Dr.")
        #expect(try written("Lee.") == "Lee.")
        #expect(result.expressions == [4..<9, 13..<20, 22..<25])
    }

    @Test func cutsAreRefusedInsideAnExpression() {
        let result = normalizer.normalize("Leave at 3:30 pm on May 1st, 2024 please")
        #expect(result.allowsCut(atSource: 9))       // before "3:30 pm"
        #expect(!result.allowsCut(atSource: 13))     // between "3:30" and "pm"
        #expect(result.allowsCut(atSource: 17))      // after it
        #expect(!result.allowsCut(atSource: 28))     // between "May 1st," and "2024"
    }

    @Test func abbreviationsWhoseDotDoesNotEndASentence() {
        for word in ["Dr.", "Mr.", "St.", "e.g.", "i.e.", "vs.", "Prof.", "approx."] {
            #expect(TextNormalizer.isAbbreviation(word), "\(word)")
        }
        for word in ["etc.", "Inc.", "dog.", "no", "Dr", "U.S.", "No."] {
            #expect(!TextNormalizer.isAbbreviation(word), "\(word)")
        }
        #expect(TextNormalizer.isAbbreviation("No.", followedBy: "5"))
        #expect(!TextNormalizer.isAbbreviation("No.", followedBy: "H"))
        #expect(TextNormalizer.isAbbreviation("pp.", followedBy: "1"))
        #expect(!TextNormalizer.isAbbreviation("etc.", followedBy: "5"))
    }

    @Test func ordinaryProseIsUnchanged() {
        let prose = """
            It was the best of times, it was the worst of times. "Really?" she asked — and left… \
            Isn't it strange how the river (calm, wide) kept moving? Yes! I'd say so; we'll see.
            """
        let result = normalizer.normalize(prose)
        #expect(result.text == prose)
        #expect(result.expressions.isEmpty)
        #expect(result == NormalizedText(unchanged: prose))
    }

    @Test func rulesCanBeTurnedOff() throws {
        let pronunciations = try Pronunciations(["SQL": "sequel"])
        let onlyPronunciations = TextNormalizer(pronunciations: pronunciations, readsRules: false)
        #expect(onlyPronunciations.normalize("SQL costs $5").text == "sequel costs $5")
    }

    @Test func numberWordsComeFromICU() {
        #expect(NumberWords.cardinal(0) == "zero")
        #expect(NumberWords.cardinal(115) == "one hundred fifteen")
        #expect(NumberWords.cardinal(-21) == "minus twenty-one")
        #expect(NumberWords.cardinal(1_000_001) == "one million one")
        #expect(NumberWords.cardinal(Int.max) == NumberWords.digitByDigit(String(Int.max).map { Int(String($0))! }))
        #expect(NumberWords.ordinal(40) == "fortieth")
        #expect(NumberWords.ordinal(1_000_002) == "one million second")
        #expect(NumberWords.year(1800) == "eighteen hundred")
        #expect(NumberWords.year(2100) == "twenty-one hundred")
        #expect(NumberWords.year(999) == "nine hundred ninety-nine")
    }

    @Test func longAndHostileInputsAreReadWithoutTrouble() {
        let digits = String(repeating: "9", count: 5000)
        #expect(normalizer.normalize(digits).text.split(separator: " ").count == 5000)
        let symbols = String(repeating: "$-.,:/%#&@+ ", count: 500)
        let output = normalizer.normalize(symbols)
        #expect(output.sourceRanges.count == output.text.unicodeScalars.count)
        #expect(normalizer.normalize("").text == "")
        #expect(normalizer.normalize("e\u{301}5").text == "e\u{301} five")
    }
}

/// A small seeded generator for the generated inputs (splitmix64).
struct SplitMix64: RandomNumberGenerator {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
