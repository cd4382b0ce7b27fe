// Python `str` semantics of PythonText: hand-written checks, and an exhaustive comparison of the
// code-point predicates with Python's, from Fixtures/text/python_unicode.json (written by
// Scripts/reference/make_text_fixtures_401.py, never edited by hand).
import Foundation
import Testing
@testable import PocketTTS

/// Python's predicates over all code points, as inclusive ranges, and its `upper()` mappings.
struct PythonUnicodeFixture: Decodable, Sendable {
    struct Upper: Decodable, Sendable {
        let codePoint: UInt32
        let upper: String
        init(from decoder: any Decoder) throws {
            var container = try decoder.unkeyedContainer()
            codePoint = try container.decode(UInt32.self)
            upper = try container.decode(String.self)
        }
    }
    let unidataVersion: String
    let isspace: [[UInt32]]
    let isupper: [[UInt32]]
    let isalnum: [[UInt32]]
    let isdigit: [[UInt32]]
    let upper: [Upper]

    static func load() throws -> PythonUnicodeFixture {
        let url = try #require(Bundle.module.url(
            forResource: "python_unicode", withExtension: "json", subdirectory: "Fixtures/text"))
        let decoder = JSONDecoder()
        decoder.keyDecodingStrategy = .convertFromSnakeCase
        return try decoder.decode(PythonUnicodeFixture.self, from: Data(contentsOf: url))
    }
}

/// A bitmap over all code points, from inclusive ranges.
private func membership(_ ranges: [[UInt32]]) -> [Bool] {
    var member = [Bool](repeating: false, count: 0x110000)
    for range in ranges { for value in range[0]...range[1] { member[Int(value)] = true } }
    return member
}

@Suite struct PythonTextTests {
    /// On every code point (but surrogates): isspace, isupper, isalnum, isdigit and upper agree with the
    /// reference Python's.
    @Test func predicatesMatchPythonOnEveryCodePoint() throws {
        let fixture = try PythonUnicodeFixture.load()
        let version = fixture.unidataVersion.split(separator: ".").compactMap { Int($0) }
        #expect(version.prefix(2) == [PythonText.unicodeVersion.major, PythonText.unicodeVersion.minor])
        let space = membership(fixture.isspace)
        let upperCase = membership(fixture.isupper)
        let alnum = membership(fixture.isalnum)
        let digit = membership(fixture.isdigit)
        var upperMap = [UInt32: String]()
        for entry in fixture.upper { upperMap[entry.codePoint] = entry.upper }
        #expect(upperMap.count > 1000)

        var compared = 0
        var mismatches: [String] = []
        for value in UInt32(0)..<0x110000 {
            guard let scalar = Unicode.Scalar(value) else { continue }  // surrogates
            compared += 1
            let index = Int(value)
            let pythonUpper = upperMap[value].map { Array($0.unicodeScalars) } ?? [scalar]
            if PythonText.isSpace(scalar) != space[index] { mismatches.append("isspace U+\(String(value, radix: 16))") }
            if PythonText.isUpper(scalar) != upperCase[index] { mismatches.append("isupper U+\(String(value, radix: 16))") }
            if PythonText.isAlnum(scalar) != alnum[index] { mismatches.append("isalnum U+\(String(value, radix: 16))") }
            if PythonText.isDigit(scalar) != digit[index] { mismatches.append("isdigit U+\(String(value, radix: 16))") }
            if PythonText.upper(scalar) != pythonUpper { mismatches.append("upper U+\(String(value, radix: 16))") }
        }
        #expect(compared == 0x110000 - 0x800)
        #expect(mismatches.isEmpty, "\(mismatches.count) mismatches: \(mismatches.prefix(40))")
    }

    @Test func helpersFollowPython() {
        func scalars(_ text: String) -> [Unicode.Scalar] { text.codePoints }
        #expect(PythonText.strip(scalars("\u{85}\u{1C} a b\u{A0}\u{3000}")) == scalars("a b"))
        #expect(PythonText.strip(scalars("\u{200B}a\u{FEFF}")) == scalars("\u{200B}a\u{FEFF}"))
        #expect(PythonText.split(scalars("  a\t\tb\u{2028}c  ")).count == 3)
        #expect(PythonText.split(scalars(" \n ")).isEmpty)
        #expect(PythonText.replace(scalars("aaa"), scalars("aa"), with: scalars("a")) == scalars("aa"))
        #expect(PythonText.replace(scalars("     "), scalars("  "), with: scalars(" ")) == scalars("   "))
        #expect(PythonText.replace(scalars("\r\n"), scalars("\r"), with: scalars(" ")) == scalars(" \n"))
        #expect(PythonText.upper("ß") == scalars("SS"))
        #expect(PythonText.upper("ﬁ") == scalars("FI"))
        #expect(PythonText.isUpper("Ⅰ") && !PythonText.isUpper("ǅ") && !PythonText.isUpper("1"))
        #expect(PythonText.isAlnum("٣") && PythonText.isAlnum("一") && PythonText.isAlnum("ª"))
        #expect(!PythonText.isAlnum("\u{301}") && !PythonText.isAlnum("_") && !PythonText.isAlnum("😀"))
        #expect(PythonText.isDigit("3") && PythonText.isDigit("٣") && PythonText.isDigit("²"))
        #expect(!PythonText.isDigit("½") && !PythonText.isDigit("一") && !PythonText.isDigit("Ⅲ") && !PythonText.isDigit("."))
        #expect(same(String(codePoints: scalars("e\u{301}")), "e\u{301}"))
        #expect(!same("é", "e\u{301}"))
    }

}
