// The only Swift file importing CSentencePiece: a thin owner of one loaded model that turns
// the C error codes into `TokenizerError`s. `Tokenizer` is the public face.
import CSentencePiece

/// One loaded SentencePiece model (a `csp_processor`), freed on deinit.
///
/// `@unchecked Sendable`: the handle is never mutated after `init`, and every C function used
/// here calls a `const` method of `sentencepiece::SentencePieceProcessor` (Encode, Decode,
/// IdToPiece, PieceToId, IsUnknown, ...). Those read the immutable model and keep their
/// scratch data (the lattice, the normalized string) in per-call locals, so
/// concurrent calls on one processor are safe; the sentencepiece author confirms it in
/// google/sentencepiece#207 and #657.
final class SentencePieceProcessor: @unchecked Sendable {
    private let handle: OpaquePointer  // csp_processor *
    /// Number of pieces; ids are `0..<pieceCount`.
    let pieceCount: Int

    init(modelPath: String) throws(TokenizerError) {
        var code: Int32 = 0
        var message = [CChar](repeating: 0, count: 512)
        guard let handle = csp_load(modelPath, &code, &message, message.count) else {
            let text = Self.string(fromCString: message)
            if code == Int32(CSP_ERROR_NOT_FOUND) {
                throw .modelNotFound(path: modelPath)
            }
            throw .invalidModel(path: modelPath, message: text)
        }
        self.handle = handle
        self.pieceCount = Int(csp_vocab_size(handle))
    }

    deinit {
        csp_free(handle)
    }

    /// Piece ids of UTF-8 `text`, as `sp.encode(text, out_type=int)`.
    func encode(_ text: String) throws(TokenizerError) -> [Int32] {
        var text = text
        let result: Result<[Int32], TokenizerError> = text.withUTF8 { bytes in
            Self.readGrowing(initialCapacity: bytes.count + 8, as: Int32.self) { buffer, capacity, error in
                bytes.withMemoryRebound(to: CChar.self) { chars in
                    csp_encode(handle, chars.baseAddress, chars.count, buffer, capacity, error, 512)
                }
            }.mapError { TokenizerError.encodingFailed(message: $0.message) }
        }
        return try result.get()
    }

    /// UTF-8 text of `ids`, as `sp.decode(ids)`. Throws `.idOutOfRange` for a bad id.
    func decode(_ ids: [Int32]) throws(TokenizerError) -> String {
        if let bad = ids.first(where: { $0 < 0 || Int($0) >= pieceCount }) {
            throw .idOutOfRange(id: Int(bad), vocabularySize: pieceCount)
        }
        let result = ids.withUnsafeBufferPointer { idBuffer in
            Self.readGrowing(initialCapacity: 8 * idBuffer.count + 16, as: CChar.self) { buffer, capacity, error in
                csp_decode(handle, idBuffer.baseAddress, idBuffer.count, buffer, capacity, error, 512)
            }
        }
        switch result {
        case .success(let bytes): return Self.string(fromUTF8: bytes)
        case .failure(let failure): throw .decodingFailed(message: failure.message)
        }
    }

    /// The piece of `id`, or nil outside `0..<pieceCount`.
    func piece(for id: Int32) -> String? {
        let result = Self.readGrowing(initialCapacity: 32, as: CChar.self) { buffer, capacity, _ in
            csp_id_to_piece(handle, id, buffer, capacity)
        }
        guard case .success(let bytes) = result else { return nil }
        return Self.string(fromUTF8: bytes)
    }

    /// The id of `piece`; sentencepiece returns the unknown id for a piece not in the vocabulary.
    func id(for piece: String) -> Int32 {
        var piece = piece
        return piece.withUTF8 { bytes in
            bytes.withMemoryRebound(to: CChar.self) { csp_piece_to_id(handle, $0.baseAddress, $0.count) }
        }
    }

    func isUnknown(_ id: Int32) -> Bool { csp_is_unknown(handle, id) }
    func isControl(_ id: Int32) -> Bool { csp_is_control(handle, id) }
    func isByte(_ id: Int32) -> Bool { csp_is_byte(handle, id) }

    // MARK: - Buffer protocol

    /// The message of a failed C call.
    struct CFailure: Error {
        let message: String
    }

    /// Calls `fill(buffer, capacity, errorBuffer)`, which returns the element count it needs
    /// (writing at most `capacity`) or a negative error code; retries once with the needed size.
    private static func readGrowing<Element>(
        initialCapacity: Int,
        as _: Element.Type,
        _ fill: (UnsafeMutablePointer<Element>?, Int, UnsafeMutablePointer<CChar>) -> Int64
    ) -> Result<[Element], CFailure> {
        var capacity = max(initialCapacity, 1)
        var message = [CChar](repeating: 0, count: 512)
        while true {
            var needed: Int64 = 0
            let elements = [Element](unsafeUninitializedCapacity: capacity) { buffer, count in
                needed = message.withUnsafeMutableBufferPointer { fill(buffer.baseAddress, capacity, $0.baseAddress!) }
                count = needed < 0 ? 0 : min(Int(needed), capacity)
            }
            if needed < 0 { return .failure(CFailure(message: string(fromCString: message))) }
            if needed <= capacity { return .success(elements) }
            capacity = Int(needed)
        }
    }

    private static func string(fromCString chars: [CChar]) -> String {
        let bytes = chars.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }
        return String(decoding: bytes, as: UTF8.self)
    }

    private static func string(fromUTF8 chars: [CChar]) -> String {
        chars.withUnsafeBufferPointer { buffer in
            buffer.withMemoryRebound(to: UInt8.self) { String(decoding: $0, as: UTF8.self) }
        }
    }
}
