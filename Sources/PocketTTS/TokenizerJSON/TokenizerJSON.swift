// A Hugging Face `tokenizer.json`, read and run here (no tokenizers library exists for Swift).
// pocket-tts 4.0.1's `JsonTokenizer` loads these with Python `tokenizers` and calls
// `Tokenizer.from_file(path)`, `encode(text).ids` and `decode(ids)`; this mirrors those calls
// for the components a SentencePiece conversion (and a small BPE) produces, following
// tokenizers 0.23's Rust sources file by file. Any other component is a load error naming it.
//
// encode: added tokens cut out -> normalizer (per piece) -> pre-tokenizer -> model (per split)
//         -> post-processor.   decode: id -> piece (special tokens skipped) -> decoder -> join.
import Foundation

struct TokenizerJSON: Sendable {
    enum Model: Sendable {
        case unigram(Unigram)
        case bpe(BPE)
    }

    let normalizer: Normalizer?
    let preTokenizer: PreTokenizer?
    let model: Model
    let postProcessor: PostProcessor?
    let decoder: Decoder?
    let addedVocabulary: AddedVocabulary
    /// `Tokenizer.get_vocab_size()`: the model's pieces and the added tokens that are not among them.
    let vocabularySize: Int

    /// Loads a tokenizer.json file. Throws `.modelNotFound`, `.invalidModel` (not a tokenizer.json,
    /// message naming the place) or `.unsupportedComponent`.
    init(path: String) throws(TokenizerError) {
        guard FileManager.default.fileExists(atPath: path) else { throw .modelNotFound(path: path) }
        let data: Data
        do {
            data = try Data(contentsOf: URL(fileURLWithPath: path))
        } catch {
            throw .invalidModel(path: path, message: "cannot read: \(error)")
        }
        do {
            try self.init(bytes: [UInt8](data))
        } catch {
            switch error {
            case .invalid(let location, let message):
                throw .invalidModel(path: path, message: location.isEmpty ? message : "\(location): \(message)")
            case .unsupported(let location, let type):
                throw .unsupportedComponent(path: path, location: location, type: type)
            }
        }
    }

    init(bytes: [UInt8]) throws(FormatError) {
        let root = JSONNode(value: try JSONValue.parse(bytes), location: "")
        guard case .object = root.value else { throw root.invalid("expected a JSON object") }
        if let truncation = root.optional("truncation") {
            throw .unsupported(location: truncation.location, type: "truncation")
        }
        if let padding = root.optional("padding") {
            // Padding to the longest of a batch does nothing to one sequence; anything else would.
            guard case .string("BatchLongest")? = padding.optional("strategy")?.value,
                  padding.optional("pad_to_multiple_of") == nil else {
                throw .unsupported(location: padding.location, type: "padding")
            }
        }
        let modelNode = try root.required("model")
        switch modelNode.type ?? (modelNode.optional("merges") != nil ? "BPE" : "Unigram") {
        case "Unigram": model = .unigram(try Unigram(modelNode))
        case "BPE": model = .bpe(try BPE(modelNode))
        case let other: throw .unsupported(location: modelNode.location, type: other)
        }
        normalizer = try root.optional("normalizer").map { node throws(FormatError) in try Normalizer(node) }
        preTokenizer = try root.optional("pre_tokenizer").map { node throws(FormatError) in try PreTokenizer(node) }
        postProcessor = try root.optional("post_processor").map { node throws(FormatError) in try PostProcessor(node) }
        decoder = try root.optional("decoder").map { node throws(FormatError) in try Decoder(node) }
        let model = self.model
        addedVocabulary = try AddedVocabulary(
            try root.optional("added_tokens")?.array() ?? [], modelSize: model.pieceCount,
            modelId: { model.id(for: $0) }, normalizer: normalizer)
        vocabularySize = model.pieceCount + addedVocabulary.ids.keys.filter { model.id(for: $0) == nil }.count
    }

    /// `Tokenizer.encode(text).ids` (special tokens added by the post-processor).
    func encode(_ text: String) -> [Int] {
        var pieces = addedVocabulary.extractAndNormalize(text, normalizer: normalizer)
        preTokenizer?.preTokenize(&pieces)
        var ids: [Int] = []
        ids.reserveCapacity(text.utf8.count / 2 + 1)
        for piece in pieces {
            if let id = piece.tokenId {
                ids.append(id)
                continue
            }
            switch model {
            case .unigram(let unigram): unigram.tokenize(piece.text.string, into: &ids)
            case .bpe(let bpe): bpe.tokenize(piece.text.string, into: &ids)
            }
        }
        return postProcessor?.process(ids) ?? ids
    }

    /// `Tokenizer.decode(ids)` (`skip_special_tokens=True`): ids without a piece are skipped, as
    /// are pieces that are the content of a special token; no decoder joins pieces with " ".
    func decode(_ ids: [Int]) -> String {
        var tokens: [String] = []
        tokens.reserveCapacity(ids.count)
        for id in ids {
            guard let token = piece(for: id), !addedVocabulary.specialContents.contains(Array(token.utf8)) else { continue }
            tokens.append(token)
        }
        guard let decoder else { return tokens.joined(separator: " ") }
        return decoder.decodeChain(tokens).joined()
    }

    /// `Tokenizer.id_to_token`: an added token's (normalized) form, else the model's piece.
    func piece(for id: Int) -> String? {
        if let token = addedVocabulary.tokens[id] {
            var view = String.UnicodeScalarView()
            view.append(contentsOf: token.form)
            return String(view)
        }
        return model.piece(for: id)
    }

    /// `Tokenizer.token_to_id`.
    func id(for piece: String) -> Int? {
        let bytes = Array(piece.utf8)
        return addedVocabulary.ids[bytes] ?? model.id(for: bytes)
    }

    func isUnknown(_ id: Int) -> Bool {
        switch model {
        case .unigram(let unigram): id == unigram.unknownId
        case .bpe(let bpe): id == bpe.unknownId
        }
    }

    /// Special added tokens: decoding skips them.
    func isSpecial(_ id: Int) -> Bool { addedVocabulary.tokens[id]?.special ?? false }

    /// Byte-fallback pieces ("<0x00>" ... "<0xFF>", when byte fallback is on).
    func isByte(_ id: Int) -> Bool {
        switch model {
        case .unigram(let unigram): unigram.byteIds.contains(id)
        case .bpe(let bpe): bpe.byteIds.contains(id)
        }
    }
}

extension TokenizerJSON {
    /// A piece of the input on its way through the pipeline: text, or an added token already.
    struct Piece {
        var text: NormalizedText
        var tokenId: Int?
    }
}

extension TokenizerJSON.Model {
    /// `Model::get_vocab_size` (where added tokens' ids start).
    var pieceCount: Int {
        switch self {
        case .unigram(let unigram): unigram.pieces.count
        case .bpe(let bpe): bpe.ids.count
        }
    }

    func id(for bytes: [UInt8]) -> Int? {
        switch self {
        case .unigram(let unigram): unigram.ids[bytes]
        case .bpe(let bpe): bpe.ids[bytes]
        }
    }

    func piece(for id: Int) -> String? {
        switch self {
        case .unigram(let unigram): unigram.pieces.indices.contains(id) ? unigram.pieces[id] : nil
        case .bpe(let bpe): bpe.pieces[id]
        }
    }
}
