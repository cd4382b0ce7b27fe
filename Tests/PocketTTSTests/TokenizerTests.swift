// Tokenizer parity with the Python `sentencepiece` package, from the JSON fixtures written by
// Scripts/reference/make_tokenizer_fixture.py (never edited by hand).
import Foundation
import Testing
@testable import PocketTTS

/// One fixture file: texts with their Python ids and decodes, plus id lists decoded directly.
struct TokenizerFixture: Decodable, Sendable {
    struct Case: Decodable, Sendable {
        let text: String
        let ids: [Int]
        let decoded: String
    }
    struct DecodeCase: Decodable, Sendable {
        let ids: [Int]
        let text: String
    }
    let vocabSize: Int
    let cases: [Case]
    let decodeCases: [DecodeCase]
    // Test model only: the piece of every id, and the ids of each kind.
    let pieces: [String]?
    let unknownIds: [Int]?
    let controlIds: [Int]?
    let byteIds: [Int]?

    static func load(_ name: String) throws -> TokenizerFixture {
        let url = try #require(Bundle.module.url(
            forResource: name, withExtension: "json", subdirectory: "Fixtures/tokenizer"))
        let decoder = JSONDecoder()
        decoder.keyDecodingStrategy = .convertFromSnakeCase
        return try decoder.decode(TokenizerFixture.self, from: Data(contentsOf: url))
    }
}

enum TokenizerPaths {
    static var testModel: String {
        Bundle.module.url(forResource: "test_tokenizer", withExtension: "model", subdirectory: "Fixtures/tokenizer")!.path
    }

    /// The 1000-piece multilingual model of the 4.0.1 text fixtures
    /// (Scripts/reference/train_multilingual_tokenizer.py).
    static var multilingualModel: String {
        Bundle.module.url(forResource: "multilingual_test_tokenizer", withExtension: "model", subdirectory: "Fixtures/tokenizer")!.path
    }

    /// `../shared/assets/tokenizer.model` relative to the package root (or to the folder in
    /// `POCKET_TTS_SHARED_ASSETS`), nil when absent.
    static let realModel: String? = {
        let packageRoot = URL(fileURLWithPath: #filePath)
            .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        let assets = ProcessInfo.processInfo.environment["POCKET_TTS_SHARED_ASSETS"].map { URL(fileURLWithPath: $0) }
            ?? packageRoot.appendingPathComponent("../shared/assets")
        let path = assets.appendingPathComponent("tokenizer.model").standardizedFileURL.path
        return FileManager.default.fileExists(atPath: path) ? path : nil
    }()
}

/// Checks every fixture case: encode ids, decode of those ids, and the direct decodes.
/// Texts are compared as UTF-8 bytes: Swift's `==` on strings ignores canonical differences.
private func expectParity(_ tokenizer: Tokenizer, _ fixture: TokenizerFixture) {
    #expect(tokenizer.vocabularySize == fixture.vocabSize)
    #expect(fixture.cases.count >= 60)
    for item in fixture.cases {
        let ids = tokenizer.encode(item.text)
        #expect(ids == item.ids, "encode \(item.text.debugDescription)")
        let decoded = tokenizer.decode(item.ids)
        #expect(Array(decoded.utf8) == Array(item.decoded.utf8), "decode of \(item.text.debugDescription)")
    }
    for item in fixture.decodeCases {
        let text = tokenizer.decode(item.ids)
        #expect(Array(text.utf8) == Array(item.text.utf8), "decode \(item.ids)")
    }
}

@Suite struct TokenizerTests {
    let tokenizer: Tokenizer
    let fixture: TokenizerFixture

    init() throws {
        tokenizer = try Tokenizer(modelPath: TokenizerPaths.testModel)
        fixture = try TokenizerFixture.load("test_tokenizer_cases")
    }

    @Test func encodeAndDecodeMatchPython() {
        #expect(tokenizer.vocabularySize == 512)
        expectParity(tokenizer, fixture)
    }

    @Test func piecesAndIdsMatchPython() throws {
        let pieces = try #require(fixture.pieces)
        #expect(pieces.count == tokenizer.vocabularySize)
        for (id, piece) in pieces.enumerated() {
            #expect(tokenizer.piece(for: id) == piece, "piece of \(id)")
            #expect(tokenizer.id(for: piece) == id, "id of \(piece)")
        }
        #expect(tokenizer.piece(for: -1) == nil)
        #expect(tokenizer.piece(for: tokenizer.vocabularySize) == nil)
        #expect(tokenizer.piece(for: Int.max) == nil)
        #expect(tokenizer.id(for: "▁notapieceatall") == nil)
        #expect(tokenizer.id(for: "") == nil)
    }

    @Test func pieceKindsMatchPython() throws {
        let ids = 0..<tokenizer.vocabularySize
        #expect(ids.filter(tokenizer.isUnknown) == fixture.unknownIds)
        #expect(ids.filter(tokenizer.isControl) == fixture.controlIds)
        #expect(ids.filter(tokenizer.isByte) == fixture.byteIds)
        #expect(try #require(fixture.byteIds).count == 256)
        #expect(!tokenizer.isByte(-1) && !tokenizer.isUnknown(tokenizer.vocabularySize))
    }

    @Test func decodeCheckedRejectsIdsOutsideTheVocabulary() {
        let size = tokenizer.vocabularySize
        #expect(throws: TokenizerError.idOutOfRange(id: size, vocabularySize: size)) {
            try tokenizer.decodeChecked([5, size])
        }
        #expect(throws: TokenizerError.idOutOfRange(id: -1, vocabularySize: size)) {
            try tokenizer.decodeChecked([-1])
        }
        #expect(throws: TokenizerError.idOutOfRange(id: Int.max, vocabularySize: size)) {
            try tokenizer.decodeChecked([Int.max])
        }
        #expect(throws: Never.self) { try tokenizer.decodeChecked([size - 1]) }
    }

    @Test func outputsLongerThanTheFirstBufferGuess() {
        // Encode: NFKC turns "ﷺ" (3 bytes) into 18 Arabic characters, byte-fallback pieces here:
        // about 33 ids per 3 input bytes, past the first guess (bytes + 8).
        let expanded = "\u{635}\u{644}\u{649} \u{627}\u{644}\u{644}\u{647} \u{639}\u{644}\u{64A}\u{647} \u{648}\u{633}\u{644}\u{645}"
        let arabic = String(repeating: "\u{FDFA}", count: 20)
        let arabicIds = tokenizer.encode(arabic)
        #expect(arabicIds.count > 10 * arabic.utf8.count)
        #expect(Array(tokenizer.decode(arabicIds).utf8) == Array(String(repeating: expanded, count: 20).utf8))
        // Decode: 9.5 bytes per id, past the first guess (8 per id + 16).
        let words = String(repeating: " yesterday tomorrow", count: 100)
        let wordIds = tokenizer.encode(words)
        #expect(wordIds.count == 200)
        #expect(tokenizer.decode(wordIds) == String(words.dropFirst()))
    }

    @Test func concurrentEncodesAgree() async {
        let tokenizer = self.tokenizer
        let texts = fixture.cases.map(\.text)
        let expected = texts.map(tokenizer.encode)
        let results = await withTaskGroup(of: [[Int]].self) { group in
            for _ in 0..<4 { group.addTask { texts.map(tokenizer.encode) } }
            return await group.reduce(into: []) { $0.append($1) }
        }
        #expect(results.count == 4)
        for result in results { #expect(result == expected) }
    }

    // MARK: Errors

    @Test func missingFileThrowsModelNotFound() {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("no-such-\(UUID()).model").path
        #expect(throws: TokenizerError.modelNotFound(path: path)) { try Tokenizer(modelPath: path) }
    }

    @Test(arguments: ["json", "empty", "truncated"])
    func nonModelFileThrowsInvalidModel(kind: String) throws {
        let directory = FileManager.default.temporaryDirectory
        let path = directory.appendingPathComponent("not-a-model-\(kind)-\(UUID()).model").path
        defer { try? FileManager.default.removeItem(atPath: path) }
        let model = try Data(contentsOf: URL(fileURLWithPath: TokenizerPaths.testModel))
        let json = try #require(Bundle.module.url(
            forResource: "test_tokenizer_cases", withExtension: "json", subdirectory: "Fixtures/tokenizer"))
        let contents = switch kind {
        case "json": try Data(contentsOf: json)
        case "empty": Data()
        default: model.prefix(model.count / 2)
        }
        #expect(FileManager.default.createFile(atPath: path, contents: contents))
        let error = #expect(throws: TokenizerError.self) { try Tokenizer(modelPath: path) }
        guard case .invalidModel(let errorPath, let message)? = error else {
            Issue.record("expected .invalidModel, got \(String(describing: error))")
            return
        }
        #expect(errorPath == path)
        #expect(!message.isEmpty)
    }
}

/// The real Pocket TTS tokenizer (4000 pieces), when the shared assets are present.
@Suite(.enabled(if: TokenizerPaths.realModel != nil, "needs ../shared/assets/tokenizer.model"))
struct RealTokenizerTests {
    @Test func knownEncodings() throws {
        let tokenizer = try Tokenizer(modelPath: try #require(TokenizerPaths.realModel))
        #expect(tokenizer.vocabularySize == 4000)
        #expect(tokenizer.encode("Hello world.") == [2994, 578, 263])
        #expect(tokenizer.encode("Hello, this is a test.") == [2994, 262, 285, 277, 267, 1115, 263])
        #expect(tokenizer.decode([2994, 578, 263]) == "Hello world.")
    }

    @Test func encodeAndDecodeMatchPython() throws {
        let tokenizer = try Tokenizer(modelPath: try #require(TokenizerPaths.realModel))
        expectParity(tokenizer, try TokenizerFixture.load("real_tokenizer_cases"))
    }
}
