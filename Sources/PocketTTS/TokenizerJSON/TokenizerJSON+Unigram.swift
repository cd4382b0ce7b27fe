// The Unigram model of tokenizer.json (tokenizers' models/unigram/model.rs): Viterbi over the
// UTF-8 bytes of a split with a trie of the pieces, as `encode_optimized` does. The work per
// byte is bounded by the longest piece, so a split of n bytes costs O(n * longest piece).

extension TokenizerJSON {
    /// `K_UNK_PENALTY`: an unknown character scores this much below the lowest piece.
    static let unknownPenalty = 10.0

    struct Unigram: Sendable {
        /// The piece of each id (`vocab[id].0`).
        let pieces: [String]
        private let scores: [Double]
        /// Piece bytes to id; with duplicate pieces the last id wins, as in `token_to_ids`.
        let ids: [[UInt8]: Int]
        let unknownId: Int
        private let unknownScore: Double
        /// The id of "<0xXX>" for each byte, when byte fallback is on and the piece exists.
        let byteIds: [Int?]
        private let trie: ByteTrie

        init(_ node: JSONNode) throws(FormatError) {
            var pieces: [String] = []
            var scores: [Double] = []
            var ids: [[UInt8]: Int] = [:]
            var trie = ByteTrie()
            for entry in try node.required("vocab").array() {
                let pair = try entry.array()
                guard pair.count == 2 else { throw entry.invalid("expected [piece, score]") }
                let piece = try pair[0].string()
                let bytes = Array(piece.utf8)
                ids[bytes] = pieces.count
                trie.insert(bytes, id: pieces.count)
                pieces.append(piece)
                scores.append(try pair[1].double())
            }
            // tokenizers raises on the first unknown character without unk_id; reject the file instead.
            guard let unknownNode = node.optional("unk_id") else {
                throw .unsupported(location: "\(node.location).unk_id", type: "Unigram without unk_id")
            }
            let unknownId = try unknownNode.int()
            guard unknownId < pieces.count else { throw unknownNode.invalid("unk_id outside the vocabulary") }
            self.pieces = pieces
            self.scores = scores
            self.ids = ids
            self.trie = trie
            self.unknownId = unknownId
            unknownScore = (scores.min() ?? 0) - TokenizerJSON.unknownPenalty
            let byteFallback = try node.bool("byte_fallback", default: false)
            byteIds = (0..<256).map { byteFallback ? ids[Array(TokenizerJSON.bytePiece(UInt8($0)).utf8)] : nil }
        }

        /// Ids of one split (`Unigram::tokenize`): the best segmentation, runs of unknown
        /// characters fused into one token, then each token's id, or its bytes' pieces (byte
        /// fallback, only when every byte has one), or the unknown id.
        func tokenize(_ text: String, into result: inout [Int]) {
            let bytes = Array(text.utf8)
            let n = bytes.count
            guard n > 0 else { return }
            // Best path ending at each byte offset: score, where its last token starts, its id.
            var bestScore = [Double](repeating: 0, count: n + 1)
            var startsAt = [Int](repeating: -1, count: n + 1)
            var bestId = [Int](repeating: 0, count: n + 1)
            var position = 0
            bytes.withUnsafeBufferPointer { buffer in
                while position < n {
                    let scoreHere = bestScore[position]
                    let characterLength = Self.utf8Length(leadByte: buffer[position])
                    var hasSingleCharacter = false
                    trie.forEachPrefix(of: buffer, from: position) { length, id in
                        let end = position + length
                        let candidate = scores[id] + scoreHere
                        if startsAt[end] < 0 || candidate > bestScore[end] {
                            bestScore[end] = candidate
                            startsAt[end] = position
                            bestId[end] = id
                        }
                        if length == characterLength { hasSingleCharacter = true }
                    }
                    if !hasSingleCharacter {
                        let end = min(position + characterLength, n)
                        let candidate = unknownScore + scoreHere
                        if startsAt[end] < 0 || candidate > bestScore[end] {
                            bestScore[end] = candidate
                            startsAt[end] = position
                            bestId[end] = unknownId
                        }
                    }
                    position += characterLength
                }
            }
            // Back from the end; consecutive unknown tokens fuse into one (`fuse_unk` is always on).
            var tokens: [(range: Range<Int>, id: Int?)] = []  // id nil: an unknown run, looked up below
            var end = n
            var unknownRun: Range<Int>?
            while end > 0 {
                let start = startsAt[end]
                if bestId[end] == unknownId {
                    unknownRun = start..<(unknownRun?.upperBound ?? end)
                } else {
                    if let run = unknownRun { tokens.append((run, nil)) }
                    unknownRun = nil
                    tokens.append((start..<end, bestId[end]))
                }
                end = start
            }
            if let run = unknownRun { tokens.append((run, nil)) }
            for (range, id) in tokens.reversed() {
                if let id {
                    result.append(id)
                    continue
                }
                let piece = Array(bytes[range])
                if let id = ids[piece] {
                    result.append(id)
                } else if byteIds[Int(piece[0])] != nil, piece.allSatisfy({ byteIds[Int($0)] != nil }) {
                    result.append(contentsOf: piece.map { byteIds[Int($0)]! })
                } else {
                    result.append(unknownId)
                }
            }
        }

        static func utf8Length(leadByte: UInt8) -> Int {
            leadByte < 0x80 ? 1 : leadByte < 0xE0 ? 2 : leadByte < 0xF0 ? 3 : 4
        }
    }

    /// "<0xXX>", the byte-fallback piece of a byte.
    static func bytePiece(_ byte: UInt8) -> String {
        let digits = Array("0123456789ABCDEF")
        return "<0x\(digits[Int(byte >> 4)])\(digits[Int(byte & 15)])>"
    }

    /// A trie of byte strings, each node holding the id of the piece ending there.
    struct ByteTrie: Sendable {
        private var children: [Int: Int32] = [:]  // (node << 8 | byte) -> child node
        private var values: [Int32] = [-1]        // piece id at each node, -1 when none

        mutating func insert(_ bytes: [UInt8], id: Int) {
            guard !bytes.isEmpty else { return }  // the root is never reported
            var node = 0
            for byte in bytes {
                let key = node << 8 | Int(byte)
                if let child = children[key] {
                    node = Int(child)
                } else {
                    values.append(-1)
                    children[key] = Int32(values.count - 1)
                    node = values.count - 1
                }
            }
            values[node] = Int32(id)
        }

        /// Calls `body(length, id)` for every piece that is a prefix of `buffer[start...]`,
        /// shortest first (`common_prefix_search`).
        func forEachPrefix(of buffer: UnsafeBufferPointer<UInt8>, from start: Int, _ body: (Int, Int) -> Void) {
            var node = 0
            var position = start
            while position < buffer.count, let child = children[node << 8 | Int(buffer[position])] {
                node = Int(child)
                position += 1
                if values[node] >= 0 { body(position - start, Int(values[node])) }
            }
        }
    }
}
