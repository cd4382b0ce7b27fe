import Foundation
import Testing
import TextNormalization
@testable import TTSServer

/// The SSML parser on the fixture table (Fixtures/ssml/ssml_cases.json): valid inputs → pieces
/// and warnings, malformed ones → the kind of error.
@Suite struct SSMLDocumentTests {
    struct Case: Decodable {
        struct Piece: Decodable {
            var text: String?
            var say_as: String?
            var pause: Double?
            var rate: Double?
        }
        var name: String
        var input: String
        var pieces: [Piece]?
        var warnings: [String]?
        var error: String?
    }

    struct Table: Decodable { var cases: [Case] }

    static let cases: [Case] = {
        guard let url = Bundle.module.url(forResource: "ssml_cases", withExtension: "json", subdirectory: "Fixtures/ssml"),
              let data = try? Data(contentsOf: url), let table = try? JSONDecoder().decode(Table.self, from: data)
        else { return [] }
        return table.cases
    }()

    @Test func theTableLoads() {
        #expect(Self.cases.count > 50)
        #expect(Self.cases.contains { $0.error != nil })
    }

    @Test(arguments: cases.filter { $0.error == nil }.map(\.name))
    func validInput(_ name: String) throws {
        let fixture = try #require(Self.cases.first { $0.name == name })
        let document = try SSMLDocument.parse(fixture.input)
        let expected = fixture.pieces ?? []
        #expect(document.pieces.count == expected.count, "\(document.pieces)")
        for (piece, want) in zip(document.pieces, expected) {
            switch piece {
            case .text(let text, let options):
                #expect(text == want.text, "\(document.pieces)")
                #expect(options.sayAs?.rawValue == want.say_as)
            case .pause(let seconds):
                let pause = try #require(want.pause, "\(document.pieces)")
                #expect(abs(seconds - pause) < 1e-9)
            case .rate(let rate):
                let want = try #require(want.rate, "\(document.pieces)")
                #expect(abs(rate - want) < 1e-9)
            }
        }
        #expect(document.warnings == (fixture.warnings ?? []))
    }

    @Test(arguments: cases.filter { $0.error != nil }.map(\.name))
    func malformedInput(_ name: String) throws {
        let fixture = try #require(Self.cases.first { $0.name == name })
        do {
            let document = try SSMLDocument.parse(fixture.input)
            Issue.record("parsed: \(document.pieces)")
        } catch {
            #expect(Self.kind(error) == fixture.error, "\(error)")
            #expect(!error.description.isEmpty)
        }
    }

    static func kind(_ error: SSMLError) -> String {
        switch error {
        case .tooLarge: "tooLarge"
        case .tooDeep: "tooDeep"
        case .tooManyPieces: "tooManyPieces"
        case .syntax: "syntax"
        case .invalidAttribute: "invalidAttribute"
        case .structure: "structure"
        }
    }

    @Test func sizeIsBounded() {
        var limits = SSMLDocument.Limits()
        limits.maxCharacters = 100
        #expect(throws: SSMLError.tooLarge(characters: 101, limit: 100)) {
            try SSMLDocument.parse(String(repeating: "a", count: 101), limits: limits)
        }
        #expect((try? SSMLDocument.parse(String(repeating: "a", count: 100), limits: limits)) != nil)
    }

    @Test func depthIsBoundedAndTheBoundIsExact() throws {
        let nested = { (depth: Int) in String(repeating: "<p>", count: depth) + "x" + String(repeating: "</p>", count: depth) }
        _ = try SSMLDocument.parse(nested(32))
        #expect(throws: SSMLError.tooDeep(limit: 32)) { try SSMLDocument.parse(nested(33)) }
        // Deep input far past the bound fails fast, without recursion.
        #expect(throws: SSMLError.tooDeep(limit: 32)) { try SSMLDocument.parse(nested(10_000)) }
    }

    @Test func aParseInStepsEqualsAParseAtOnce() throws {
        let source = "<speak>" + String(repeating: "word <x/>&amp; <break time=\"10ms\"/>", count: 200)
            + String(repeating: "a", count: 10_000) + "</speak>"
        let whole = try SSMLDocument.parse(source)
        #expect(whole.pieces.count == 401 && whole.warnings.count == 1)
        var parser = try SSMLParser(source)
        var passes = 0
        var document: SSMLDocument?
        while document == nil, passes < 100_000 {
            document = try parser.advance(scalars: 100)
            passes += 1
        }
        #expect(document == whole)
        // Each pass reads about 100 scalars, a text run at most `maxTextRun`.
        #expect(passes >= source.unicodeScalars.count / (100 + SSMLScanner.maxTextRun))
        #expect(passes > 50)
    }

    @Test func manySmallTextsMergeIntoOnePiece() throws {
        // 20,000 unknown tags between letters: one text piece (appended in place, not re-copied).
        let document = try SSMLDocument.parse(String(repeating: "a<x/>", count: 20_000))
        #expect(document.pieces == [.text(String(repeating: "a", count: 20_000), SSMLTextOptions())])
    }

    @Test func looksLikeSSMLOnlyAtTheStart() {
        #expect(SSMLDocument.looksLikeSSML("<speak>Hi</speak>"))
        #expect(SSMLDocument.looksLikeSSML("  \n<speak version=\"1.1\">Hi</speak>"))
        #expect(SSMLDocument.looksLikeSSML("<?xml version=\"1.0\"?>\n<speak>Hi</speak>"))
        #expect(!SSMLDocument.looksLikeSSML("<?xml version=\"1.0\"?> Hi"))
        #expect(!SSMLDocument.looksLikeSSML("Say <speak> aloud"))
        #expect(!SSMLDocument.looksLikeSSML("Hello"))
    }

    @Test func sayAsReadings() {
        #expect(SSMLSayAs.characters.reading(of: "abc") == "A B C")
        #expect(SSMLSayAs.spellOut.reading(of: "R2-D2") == "R 2 D 2")
        #expect(SSMLSayAs.digits.reading(of: "1,024") == "1 0 2 4")
        #expect(SSMLSayAs.ordinal.reading(of: " 3 ") == "3rd")
        #expect(SSMLSayAs.ordinal.reading(of: "12") == "12th")
        #expect(SSMLSayAs.ordinal.reading(of: "21") == "21st")
        #expect(SSMLSayAs.telephone.reading(of: "+1 555-0123") == "plus 1, 5 5 5, 0 1 2 3")
        #expect(SSMLSayAs.cardinal.reading(of: "1234") == "1234")
        // Through each language's normalizer: the ordinal in words.
        #expect(TextNormalizer(language: .english).normalize(SSMLSayAs.ordinal.reading(of: "3")).text == "third")
        let french = TextNormalizer(language: .french).normalize(SSMLSayAs.ordinal.reading(of: "3", language: .french)).text
        #expect(french == "troisième")
        #expect(TextNormalizer(language: .english).normalize(SSMLSayAs.digits.reading(of: "42")).text == "four two")
    }

    @Test func stepsJoinTextsAndKeepMarksInOrder() throws {
        let document = try SSMLDocument.parse(
            "<speak>Call <say-as interpret-as=\"digits\">42</say-as> now.<break time=\"250ms\"/><prosody rate=\"fast\">Bye.</prosody></speak>")
        #expect(SSMLStep.steps(of: document) == [
            .text("Call 4 2 now."), .mark(.silence(seconds: 0.25)), .mark(.rate(1.25)), .text("Bye."),
        ])
    }
}
