// The text tokenizer: a SentencePiece unigram model (4000 pieces for Pocket TTS, byte
// fallback; unk=0 bos=1 eos=2 pad=3) or, for the pocket-tts 4.0.1 configs that say
// `tokenizer: tokenizers`, a Hugging Face tokenizer.json converted from such a model.
// Mirrors the reference's two backends (`pocket_tts/modules/text_conditioner.py`):
// `sp.encode(text, out_type=int)` / `sp.decode(ids)`, and `tokenizer.encode(text).ids` /
// `tokenizer.decode(ids)` of Python `tokenizers`; `build_tokenizer` picks one.

/// Errors loading or using a tokenizer model.
public enum TokenizerError: Error, Equatable, CustomStringConvertible {
    /// No file at `path`.
    case modelNotFound(path: String)
    /// The file exists but sentencepiece cannot load it as a model.
    case invalidModel(path: String, message: String)
    /// sentencepiece reported an error while encoding (not expected for a loaded model).
    case encodingFailed(message: String)
    /// sentencepiece reported an error while decoding.
    case decodingFailed(message: String)
    /// An id outside `0..<vocabularySize` was given to decode.
    case idOutOfRange(id: Int, vocabularySize: Int)
    /// A tokenizer.json names a component (or option) this reader does not implement: `type`
    /// (e.g. "BertNormalizer"), at `location` in the file (e.g. "normalizer.normalizers[1]").
    case unsupportedComponent(path: String, location: String, type: String)

    public var description: String {
        switch self {
        case .modelNotFound(let path): "tokenizer model not found: \(path)"
        case .invalidModel(let path, let message): "cannot load tokenizer model \(path): \(message)"
        case .encodingFailed(let message): "tokenizer encode failed: \(message)"
        case .decodingFailed(let message): "tokenizer decode failed: \(message)"
        case .idOutOfRange(let id, let size): "token id \(id) outside the vocabulary 0..<\(size)"
        case .unsupportedComponent(let path, let location, let type):
            "tokenizer \(path): \(type) at \(location) is not supported"
        }
    }
}

/// Which file a tokenizer is read from.
public enum TokenizerKind: Sendable, Equatable {
    /// A SentencePiece `.model`.
    case sentencePiece
    /// A Hugging Face `tokenizer.json`.
    case tokenizerJSON

    /// As pocket-tts 4.0.1's `build_tokenizer(n_bins, path, kind)`: the config's `tokenizer`
    /// field `tokenizers` or `json`, or a path (before any "@revision") ending in `.json`, is a
    /// tokenizer.json; anything else SentencePiece. One deviation: a file ending in `.model` is
    /// read as SentencePiece whatever the config says (4.0.1 would fail reading it as JSON), so a
    /// local `--tokenizer x.model` works with every config (the demo weights use one).
    public init(configKind: String?, path: String) {
        let file = path.split(separator: "@", omittingEmptySubsequences: false).first.map(String.init) ?? path
        if file.hasSuffix(".model") {
            self = .sentencePiece
            return
        }
        self = configKind == "tokenizers" || configKind == "json" || file.hasSuffix(".json") ? .tokenizerJSON : .sentencePiece
    }
}

/// A loaded tokenizer (SentencePiece or tokenizer.json); immutable after `init`, safe to share
/// across threads (sentencepiece's Encode/Decode are `const` and thread-safe, see
/// `SentencePieceProcessor`; the tokenizer.json backend is a value).
public final class Tokenizer: Sendable {
    private enum Backend: Sendable {
        case sentencePiece(SentencePieceProcessor)
        case json(TokenizerJSON)
    }
    private let backend: Backend

    /// Which file this tokenizer was read from.
    public var kind: TokenizerKind {
        switch backend {
        case .sentencePiece: .sentencePiece
        case .json: .tokenizerJSON
        }
    }

    /// Number of pieces; token ids are `0..<vocabularySize` (for a tokenizer.json,
    /// `get_vocab_size()`: the model's pieces and the added tokens).
    public var vocabularySize: Int {
        switch backend {
        case .sentencePiece(let processor): processor.pieceCount
        case .json(let json): json.vocabularySize
        }
    }

    /// Loads a SentencePiece `.model` file. Throws `.modelNotFound` or `.invalidModel`.
    public init(modelPath: String) throws(TokenizerError) {
        backend = .sentencePiece(try SentencePieceProcessor(modelPath: modelPath))
    }

    /// Loads a tokenizer of either kind. Throws `.modelNotFound`, `.invalidModel` or, for a
    /// tokenizer.json with a component this reader lacks, `.unsupportedComponent`.
    public init(path: String, kind: TokenizerKind) throws(TokenizerError) {
        switch kind {
        case .sentencePiece: backend = .sentencePiece(try SentencePieceProcessor(modelPath: path))
        case .tokenizerJSON: backend = .json(try TokenizerJSON(path: path))
        }
    }

    /// Loads the tokenizer a config names: `configKind` is `lookup_table.tokenizer`
    /// (`sentencepiece`, `tokenizers`, `json`), `path` the resolved file (see `TokenizerKind`).
    public convenience init(path: String, configKind: String?) throws(TokenizerError) {
        try self.init(path: path, kind: TokenizerKind(configKind: configKind, path: path))
    }

    /// Token ids of `text`, exactly as Python's `sp.encode(text, out_type=int)` (no BOS/EOS), or
    /// `tokenizer.encode(text).ids` for a tokenizer.json.
    public func encode(_ text: String) -> [Int] {
        switch backend {
        case .sentencePiece(let processor):
            do {
                return try processor.encode(text).map(Int.init)
            } catch {
                // Encode only fails on an unloaded model; Swift strings are valid UTF-8.
                preconditionFailure("\(error)")
            }
        case .json(let json):
            return json.encode(text)
        }
    }

    /// Text of `ids`, exactly as Python's `sp.decode(ids)` (or `tokenizer.decode(ids)`). Every id
    /// must be in `0..<vocabularySize` (ids come from `encode`); use `decodeChecked` for untrusted ids.
    public func decode(_ ids: [Int]) -> String {
        do {
            return try decodeChecked(ids)
        } catch {
            preconditionFailure("\(error)")
        }
    }

    /// Text of `ids`, throwing `.idOutOfRange` for an id outside the vocabulary.
    public func decodeChecked(_ ids: [Int]) throws(TokenizerError) -> String {
        switch backend {
        case .sentencePiece(let processor):
            let narrowed = try ids.map { (id: Int) throws(TokenizerError) -> Int32 in
                guard let id32 = Int32(exactly: id) else {
                    throw .idOutOfRange(id: id, vocabularySize: vocabularySize)
                }
                return id32
            }
            return try processor.decode(narrowed)
        case .json(let json):
            if let bad = ids.first(where: { json.piece(for: $0) == nil }) {
                throw .idOutOfRange(id: bad, vocabularySize: vocabularySize)
            }
            return json.decode(ids)
        }
    }

    /// The piece string of `id` (e.g. "▁Hello", "<0xE2>"), or nil outside the vocabulary.
    public func piece(for id: Int) -> String? {
        switch backend {
        case .sentencePiece(let processor):
            guard let id32 = Int32(exactly: id) else { return nil }
            return processor.piece(for: id32)
        case .json(let json):
            return json.piece(for: id)
        }
    }

    /// The id of `piece`, or nil when the piece is not in the vocabulary (where Python's
    /// `piece_to_id` would return the unknown id).
    public func id(for piece: String) -> Int? {
        switch backend {
        case .sentencePiece(let processor):
            let id = processor.id(for: piece)
            if processor.isUnknown(id) && processor.piece(for: id) != piece { return nil }
            return Int(id)
        case .json(let json):
            return json.id(for: piece)
        }
    }

    /// True for the unknown piece ("<unk>").
    public func isUnknown(_ id: Int) -> Bool {
        switch backend {
        case .sentencePiece(let processor): Int32(exactly: id).map(processor.isUnknown) ?? false
        case .json(let json): json.isUnknown(id)
        }
    }

    /// True for control pieces ("<s>", "</s>", "<pad>"), which decode to nothing; for a
    /// tokenizer.json, the special added tokens (which `decode` skips).
    public func isControl(_ id: Int) -> Bool {
        switch backend {
        case .sentencePiece(let processor): Int32(exactly: id).map(processor.isControl) ?? false
        case .json(let json): json.isSpecial(id)
        }
    }

    /// True for byte-fallback pieces ("<0x00>" ... "<0xFF>").
    public func isByte(_ id: Int) -> Bool {
        switch backend {
        case .sentencePiece(let processor): Int32(exactly: id).map(processor.isByte) ?? false
        case .json(let json): json.isByte(id)
        }
    }
}
