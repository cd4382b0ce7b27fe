// The text tokenizer: a SentencePiece unigram model (4000 pieces for Pocket TTS, byte
// fallback; unk=0 bos=1 eos=2 pad=3). Mirrors the reference's use of the Python package
// (`pocket_tts/conditioners/text.py`): `sp.encode(text, out_type=int)` and `sp.decode(ids)`.

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

    public var description: String {
        switch self {
        case .modelNotFound(let path): "tokenizer model not found: \(path)"
        case .invalidModel(let path, let message): "cannot load tokenizer model \(path): \(message)"
        case .encodingFailed(let message): "tokenizer encode failed: \(message)"
        case .decodingFailed(let message): "tokenizer decode failed: \(message)"
        case .idOutOfRange(let id, let size): "token id \(id) outside the vocabulary 0..<\(size)"
        }
    }
}

/// A loaded SentencePiece model; immutable after `init`, safe to share across threads
/// (sentencepiece's Encode/Decode are `const` and thread-safe, see `SentencePieceProcessor`).
public final class Tokenizer: Sendable {
    private let processor: SentencePieceProcessor

    /// Number of pieces; token ids are `0..<vocabularySize`.
    public var vocabularySize: Int { processor.pieceCount }

    /// Loads a `.model` file. Throws `.modelNotFound` or `.invalidModel`.
    public init(modelPath: String) throws(TokenizerError) {
        processor = try SentencePieceProcessor(modelPath: modelPath)
    }

    /// Token ids of `text`, exactly as Python's `sp.encode(text, out_type=int)` (no BOS/EOS).
    public func encode(_ text: String) -> [Int] {
        do {
            return try processor.encode(text).map(Int.init)
        } catch {
            // Encode only fails on an unloaded model; Swift strings are valid UTF-8.
            preconditionFailure("\(error)")
        }
    }

    /// Text of `ids`, exactly as Python's `sp.decode(ids)`. Every id must be in
    /// `0..<vocabularySize` (ids come from `encode`); use `decodeChecked` for untrusted ids.
    public func decode(_ ids: [Int]) -> String {
        do {
            return try decodeChecked(ids)
        } catch {
            preconditionFailure("\(error)")
        }
    }

    /// Text of `ids`, throwing `.idOutOfRange` for an id outside the vocabulary.
    public func decodeChecked(_ ids: [Int]) throws(TokenizerError) -> String {
        let narrowed = try ids.map { (id: Int) throws(TokenizerError) -> Int32 in
            guard let id32 = Int32(exactly: id) else {
                throw .idOutOfRange(id: id, vocabularySize: vocabularySize)
            }
            return id32
        }
        return try processor.decode(narrowed)
    }

    /// The piece string of `id` (e.g. "▁Hello", "<0xE2>"), or nil outside the vocabulary.
    public func piece(for id: Int) -> String? {
        guard let id32 = Int32(exactly: id) else { return nil }
        return processor.piece(for: id32)
    }

    /// The id of `piece`, or nil when the piece is not in the vocabulary (where Python's
    /// `piece_to_id` would return the unknown id).
    public func id(for piece: String) -> Int? {
        let id = processor.id(for: piece)
        if processor.isUnknown(id) && processor.piece(for: id) != piece { return nil }
        return Int(id)
    }

    /// True for the unknown piece ("<unk>").
    public func isUnknown(_ id: Int) -> Bool { Int32(exactly: id).map(processor.isUnknown) ?? false }
    /// True for control pieces ("<s>", "</s>", "<pad>"), which decode to nothing.
    public func isControl(_ id: Int) -> Bool { Int32(exactly: id).map(processor.isControl) ?? false }
    /// True for byte-fallback pieces ("<0x00>" ... "<0xFF>").
    public func isByte(_ id: Int) -> Bool { Int32(exactly: id).map(processor.isByte) ?? false }
}
