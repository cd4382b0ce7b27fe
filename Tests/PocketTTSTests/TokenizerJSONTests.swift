// tokenizer.json parity with Python `tokenizers` 0.23.3 (what pocket-tts 4.0.1's JsonTokenizer
// runs), from the fixtures written by Scripts/reference/make_tokenizer_json_fixtures.py (never
// edited by hand): SentencePiece models converted the ways Kyutai may have converted theirs, and
// BPE models trained with tokenizers, each run on a corpus of 400+ texts in seven languages.
import Foundation
import Testing
@testable import PocketTTS

/// A folder of tokenizer.json files, `corpus.json` and one `NAME.expected.json` per tokenizer.
struct TokenizerJSONFixtures {
    struct Expected: Decodable {
        struct DecodeCase: Decodable {
            let ids: [Int]
            let text: String
        }
        let tokenizer: String
        let vocabSize: Int
        let ids: [[Int]]
        let decoded: [String]
        let decodeCases: [DecodeCase]
        let pieces: [String?]
        let pieceIds: [Int?]
    }

    let folder: URL
    let texts: [String]

    init(folder: URL) throws {
        struct Corpus: Decodable { let texts: [String] }
        self.folder = folder
        texts = try JSONDecoder().decode(Corpus.self, from: Data(contentsOf: folder.appendingPathComponent("corpus.json"))).texts
    }

    /// The committed fixtures (Fixtures/tokenizer_json).
    static func committed() throws -> TokenizerJSONFixtures {
        try TokenizerJSONFixtures(folder: Bundle.module.url(forResource: "tokenizer_json", withExtension: nil, subdirectory: "Fixtures")!)
    }

    /// The names NAME of the NAME.expected.json files.
    var names: [String] {
        let files = (try? FileManager.default.contentsOfDirectory(atPath: folder.path)) ?? []
        return files.filter { $0.hasSuffix(".expected.json") }.map { String($0.dropLast(".expected.json".count)) }.sorted()
    }

    func expected(_ name: String) throws -> Expected {
        let decoder = JSONDecoder()
        decoder.keyDecodingStrategy = .convertFromSnakeCase
        return try decoder.decode(Expected.self, from: Data(contentsOf: folder.appendingPathComponent("\(name).expected.json")))
    }

    /// Every text's ids and decode, the direct decodes and every piece, against Python. Texts are
    /// compared as UTF-8 bytes: Swift's `==` on strings ignores canonical differences.
    func expectParity(_ name: String) throws {
        let expected = try expected(name)
        let tokenizer = try Tokenizer(path: folder.appendingPathComponent(expected.tokenizer).path, kind: .tokenizerJSON)
        #expect(tokenizer.kind == .tokenizerJSON)
        #expect(tokenizer.vocabularySize == expected.vocabSize, "\(name): vocabulary size")
        #expect(expected.ids.count == texts.count)
        var wrongIds = 0, wrongDecodes = 0
        for (i, text) in texts.enumerated() {
            let ids = tokenizer.encode(text)
            if ids != expected.ids[i] {
                wrongIds += 1
                if wrongIds <= 5 { Issue.record("\(name): encode \(text.debugDescription) = \(ids), Python \(expected.ids[i])") }
            }
            let decoded = tokenizer.decode(expected.ids[i])
            if Array(decoded.utf8) != Array(expected.decoded[i].utf8) {
                wrongDecodes += 1
                if wrongDecodes <= 5 { Issue.record("\(name): decode \(decoded.debugDescription), Python \(expected.decoded[i].debugDescription)") }
            }
        }
        #expect(wrongIds == 0, "\(name): \(wrongIds) of \(texts.count) encodes differ")
        #expect(wrongDecodes == 0, "\(name): \(wrongDecodes) of \(texts.count) decodes differ")
        for item in expected.decodeCases {
            let text = try tokenizer.decodeChecked(item.ids)
            #expect(Array(text.utf8) == Array(item.text.utf8), "\(name): decode \(item.ids)")
        }
        for (id, piece) in expected.pieces.enumerated() {
            #expect(tokenizer.piece(for: id).map { Array($0.utf8) } == piece.map { Array($0.utf8) }, "\(name): piece \(id)")
            if let piece { #expect(tokenizer.id(for: piece) == expected.pieceIds[id], "\(name): id of \(piece.debugDescription)") }
        }
    }
}

@Suite struct TokenizerJSONTests {
    static let names = (try? TokenizerJSONFixtures.committed().names) ?? []

    @Test func fixturesCoverTheConversionsAndTheCorpus() throws {
        let fixtures = try TokenizerJSONFixtures.committed()
        #expect(fixtures.texts.count >= 300)
        #expect(Set(Self.names).isSuperset(of: [
            "spm_nfkc_from_spm", "spm_nfkc_transformers_auto", "spm_identity_from_spm", "spm_identity_transformers_auto",
            "spm_identity_moshi", "spm_identity_llama", "bpe_metaspace", "bpe_words",
        ]))
    }

    @Test(arguments: names)
    func encodeAndDecodeMatchPythonTokenizers(name: String) throws {
        try TokenizerJSONFixtures.committed().expectParity(name)
    }

    @Test func pieceKinds() throws {
        let folder = try TokenizerJSONFixtures.committed().folder
        let auto = try Tokenizer(path: folder.appendingPathComponent("spm_nfkc_transformers_auto.json").path, kind: .tokenizerJSON)
        #expect(auto.isUnknown(0) && !auto.isUnknown(1))
        #expect((0..<auto.vocabularySize).filter(auto.isControl) == [0, 1, 2, 3])  // <unk> <s> </s> <pad> are special
        #expect(auto.piece(for: 4) == "[laugh]" && !auto.isControl(4))  // user-defined: cut out by a Split
        #expect((0..<auto.vocabularySize).filter(auto.isByte) == Array(5..<261))
        #expect(auto.id(for: "<0x41>") == 5 + 0x41 && auto.piece(for: 5 + 0x41) == "<0x41>")
        #expect(auto.id(for: "▁notapieceatall") == nil && auto.piece(for: -1) == nil && auto.piece(for: 1000) == nil)
        let fromSPM = try Tokenizer(path: folder.appendingPathComponent("spm_nfkc_from_spm.json").path, kind: .tokenizerJSON)
        #expect((0..<fromSPM.vocabularySize).filter(fromSPM.isControl).isEmpty)  // no added tokens at all
        #expect(fromSPM.decode([1, 5, 100]) == "<s><0x00><0x5F>")  // Metaspace decoder only: pieces shown as they are
    }

    @Test func decodeCheckedRejectsIdsWithoutAPiece() throws {
        let folder = try TokenizerJSONFixtures.committed().folder
        let tokenizer = try Tokenizer(path: folder.appendingPathComponent("bpe_words.json").path, kind: .tokenizerJSON)
        let size = tokenizer.vocabularySize
        #expect(throws: TokenizerError.idOutOfRange(id: size, vocabularySize: size)) { try tokenizer.decodeChecked([5, size]) }
        #expect(throws: TokenizerError.idOutOfRange(id: -1, vocabularySize: size)) { try tokenizer.decodeChecked([-1]) }
        #expect(throws: Never.self) { try tokenizer.decodeChecked([size - 1]) }
    }

    @Test func kindFollowsBuildTokenizer() {
        #expect(TokenizerKind(configKind: "tokenizers", path: "a/tokenizer.model") == .sentencePiece)  // the file's own kind wins
        #expect(TokenizerKind(configKind: "tokenizers", path: "a/tokenizer") == .tokenizerJSON)
        #expect(TokenizerKind(configKind: "json", path: "x") == .tokenizerJSON)
        #expect(TokenizerKind(configKind: "sentencepiece", path: "hf://kyutai/m/tokenizer.json@abc") == .tokenizerJSON)
        #expect(TokenizerKind(configKind: "sentencepiece", path: "hf://kyutai/m/tokenizer.model@abc.json") == .sentencePiece)
        #expect(TokenizerKind(configKind: nil, path: "tokenizer.model") == .sentencePiece)
    }

    @Test func concurrentEncodesAgree() async throws {
        let fixtures = try TokenizerJSONFixtures.committed()
        let tokenizer = try Tokenizer(
            path: fixtures.folder.appendingPathComponent("spm_nfkc_transformers_auto.json").path, kind: .tokenizerJSON)
        let texts = fixtures.texts
        let expected = texts.map(tokenizer.encode)
        let results = await withTaskGroup(of: [[Int]].self) { group in
            for _ in 0..<4 { group.addTask { texts.map(tokenizer.encode) } }
            return await group.reduce(into: []) { $0.append($1) }
        }
        #expect(results.count == 4)
        for result in results { #expect(result == expected) }
    }

    // MARK: Errors

    /// Writes `json` to a temporary file and loads it.
    private func load(_ json: String) throws -> (path: String, result: Result<Tokenizer, TokenizerError>) {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("tokenizer-\(UUID()).json").path
        #expect(FileManager.default.createFile(atPath: path, contents: Data(json.utf8)))
        defer { try? FileManager.default.removeItem(atPath: path) }
        return (path, Result { () throws(TokenizerError) in try Tokenizer(path: path, kind: .tokenizerJSON) })
    }

    private static let unigram = #""model":{"type":"Unigram","unk_id":0,"vocab":[["<unk>",0.0],["a",-1.0]]}"#

    @Test func unsupportedComponentsNameTheirTypeAndPlace() throws {
        let cases: [(json: String, location: String, type: String)] = [
            (#"{"normalizer":{"type":"Sequence","normalizers":[{"type":"NFC"},{"type":"BertNormalizer"}]},"# + Self.unigram + "}",
             "normalizer.normalizers[1]", "BertNormalizer"),
            (#"{"pre_tokenizer":{"type":"ByteLevel","add_prefix_space":false},"# + Self.unigram + "}", "pre_tokenizer", "ByteLevel"),
            (#"{"decoder":{"type":"Sequence","decoders":[{"type":"WordPiece"}]},"# + Self.unigram + "}", "decoder.decoders[0]", "WordPiece"),
            (#"{"post_processor":{"type":"Unknown"},"# + Self.unigram + "}", "post_processor", "Unknown"),
            (#"{"model":{"type":"WordPiece","vocab":{}}}"#, "model", "WordPiece"),
            (#"{"truncation":{"max_length":5},"# + Self.unigram + "}", "truncation", "truncation"),
            (#"{"model":{"type":"BPE","dropout":0.1,"vocab":{},"merges":[]}}"#, "model.dropout", "BPE dropout"),
        ]
        for item in cases {
            let (path, result) = try load(item.json)
            #expect(throws: TokenizerError.unsupportedComponent(path: path, location: item.location, type: item.type)) {
                try result.get()
            }
        }
    }

    @Test func malformedFilesThrowInvalidModel() throws {
        for json in ["", "not json", "[]", #"{"normalizer":null}"#, #"{"model":{"type":"Unigram","unk_id":5,"vocab":[["a",0]]}}"#,
                     #"{"normalizer":{"type":"Replace","pattern":{"Regex":"("},"content":""},"# + Self.unigram + "}"] {
            let (path, result) = try load(json)
            let error = #expect(throws: TokenizerError.self) { try result.get() }
            guard case .invalidModel(let errorPath, let message)? = error else {
                Issue.record("expected .invalidModel for \(json.debugDescription), got \(String(describing: error))")
                continue
            }
            #expect(errorPath == path && !message.isEmpty)
        }
        let missing = FileManager.default.temporaryDirectory.appendingPathComponent("no-such-\(UUID()).json").path
        #expect(throws: TokenizerError.modelNotFound(path: missing)) { try Tokenizer(path: missing, configKind: "tokenizers") }
    }
}

/// The real Pocket TTS tokenizer converted to tokenizer.json, checked by
/// Scripts/reference/check_tokenizer_json.py: it writes fixtures of the same kind into a folder
/// (never committed: a copy of a shared file) and runs this suite with the folder in
/// `POCKET_TTS_TOKENIZER_JSON_CHECK`.
@Suite(.enabled(if: ProcessInfo.processInfo.environment["POCKET_TTS_TOKENIZER_JSON_CHECK"] != nil,
                "set by Scripts/reference/check_tokenizer_json.py"))
struct TokenizerJSONSharedAssetTests {
    @Test func convertedRealTokenizerMatchesPython() throws {
        let folder = URL(fileURLWithPath: try #require(ProcessInfo.processInfo.environment["POCKET_TTS_TOKENIZER_JSON_CHECK"]))
        let fixtures = try TokenizerJSONFixtures(folder: folder)
        #expect(!fixtures.names.isEmpty)
        for name in fixtures.names { try fixtures.expectParity(name) }
    }
}
