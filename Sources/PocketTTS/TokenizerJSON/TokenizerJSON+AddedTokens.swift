// The added tokens of tokenizer.json (tokenizers' tokenizer/added_vocabulary.rs): tokens
// found in the text before the model runs, leftmost-longest, never split. Tokens with
// `normalized: false` are found in the raw input, the others in the normalized text.

extension TokenizerJSON {
    struct AddedToken: Sendable {
        let content: String
        let id: Int
        let special: Bool
        let singleWord: Bool
        let leftStrip: Bool
        let rightStrip: Bool
        let normalized: Bool
        /// What is matched and what decoding shows: the content, or for a normalized token its
        /// normalized form (`normalized_cache`).
        let form: [Unicode.Scalar]
    }

    struct AddedVocabulary: Sendable {
        /// By id (the last token read with that id).
        let tokens: [Int: AddedToken]
        /// Content bytes to id.
        let ids: [[UInt8]: Int]
        /// Contents of the special tokens, which decoding skips.
        let specialContents: Set<[UInt8]>
        private let rawMatcher: ScalarTrie?
        private let normalizedMatcher: ScalarTrie?

        /// `AddedVocabulary::add_tokens` at load: a token's id is its content's id (added earlier
        /// or in the model), else the next free one after the model's vocabulary.
        init(_ nodes: [JSONNode], modelSize: Int, modelId: ([UInt8]) -> Int?, normalizer: Normalizer?) throws(FormatError) {
            var tokens: [Int: AddedToken] = [:]
            var ids: [[UInt8]: Int] = [:]
            var specialContents: Set<[UInt8]> = []
            var nextId = modelSize
            for node in nodes {
                let content = try node.required("content").string()
                let bytes = Array(content.utf8)
                guard !bytes.isEmpty else { continue }
                let special = try node.bool("special", default: false)
                let normalized = try node.bool("normalized", default: !special)
                let id: Int
                if let existing = ids[bytes] ?? modelId(bytes) {
                    id = existing
                } else {
                    id = nextId
                    nextId += 1
                }
                var form = Array(content.unicodeScalars)
                if normalized, let normalizer {
                    var text = NormalizedText(content)
                    normalizer.normalize(&text)
                    form = text.scalars
                }
                ids[bytes] = id
                if special { specialContents.insert(bytes) }
                tokens[id] = AddedToken(
                    content: content, id: id, special: special, singleWord: try node.bool("single_word", default: false),
                    leftStrip: try node.bool("lstrip", default: false), rightStrip: try node.bool("rstrip", default: false),
                    normalized: normalized, form: form)
            }
            self.tokens = tokens
            self.ids = ids
            self.specialContents = specialContents
            rawMatcher = ScalarTrie(tokens.values.filter { !$0.normalized }.map { ($0.form, $0.id) })
            normalizedMatcher = ScalarTrie(tokens.values.filter(\.normalized).map { ($0.form, $0.id) })
        }

        var isEmpty: Bool { tokens.isEmpty }

        /// `extract_and_normalize`: the input cut at raw tokens, each other piece normalized and
        /// cut at normalized tokens; empty pieces dropped.
        func extractAndNormalize(_ text: String, normalizer: Normalizer?) -> [Piece] {
            var pieces: [Piece] = []
            for piece in split(NormalizedText(text), matcher: rawMatcher) {
                guard piece.tokenId == nil else {
                    pieces.append(piece)
                    continue
                }
                var normalized = piece.text
                normalizer?.normalize(&normalized)
                pieces.append(contentsOf: split(normalized, matcher: normalizedMatcher))
            }
            return pieces
        }

        /// `split_with_indices` / `find_matches`: non-empty pieces of `text`, tokens marked.
        private func split(_ text: NormalizedText, matcher: ScalarTrie?) -> [Piece] {
            guard !text.isEmpty else { return [] }
            guard let matcher else { return [Piece(text: text.slice(0..<text.count))] }
            let scalars = text.scalars
            var pieces: [Piece] = []
            var startOffset = 0
            for match in matcher.leftmostLongestMatches(in: scalars) {
                guard let token = tokens[match.id] else { continue }
                var start = match.range.lowerBound
                var stop = match.range.upperBound
                if token.singleWord {
                    let startSpace = start == 0 || !PreTokenizer.isWordScalar(scalars[start - 1])
                    let stopSpace = stop == scalars.count || !PreTokenizer.isWordScalar(scalars[stop])
                    guard startSpace && stopSpace else { continue }
                }
                if token.leftStrip {
                    var newStart = start
                    while newStart > 0 && scalars[newStart - 1].properties.isWhitespace { newStart -= 1 }
                    start = max(newStart, startOffset)
                }
                if token.rightStrip {
                    while stop < scalars.count && scalars[stop].properties.isWhitespace { stop += 1 }
                }
                if startOffset < start { pieces.append(Piece(text: text.slice(startOffset..<start))) }
                pieces.append(Piece(text: text.slice(start..<stop), tokenId: match.id))
                startOffset = stop
            }
            if startOffset < scalars.count { pieces.append(Piece(text: text.slice(startOffset..<scalars.count))) }
            return pieces.filter { !$0.text.isEmpty }
        }
    }

    /// A trie of token forms over scalars, for leftmost-longest search (daachorse's
    /// `MatchKind::LeftmostLongest`, which tokenizers uses).
    struct ScalarTrie: Sendable {
        private var children: [[Unicode.Scalar: Int]] = [[:]]
        private var ids: [Int?] = [nil]

        /// Nil when there is nothing to match.
        init?(_ entries: [([Unicode.Scalar], Int)]) {
            for (form, id) in entries where !form.isEmpty {
                var node = 0
                for scalar in form {
                    if let child = children[node][scalar] {
                        node = child
                    } else {
                        children.append([:])
                        ids.append(nil)
                        children[node][scalar] = children.count - 1
                        node = children.count - 1
                    }
                }
                ids[node] = id
            }
            if children[0].isEmpty { return nil }
        }

        /// Non-overlapping matches: at the leftmost position where a token starts, the longest one.
        func leftmostLongestMatches(in text: [Unicode.Scalar]) -> [(range: Range<Int>, id: Int)] {
            var matches: [(range: Range<Int>, id: Int)] = []
            var position = 0
            while position < text.count {
                var node = 0
                var best: (end: Int, id: Int)?
                var i = position
                while i < text.count, let child = children[node][text[i]] {
                    node = child
                    i += 1
                    if let id = ids[node] { best = (i, id) }
                }
                if let best {
                    matches.append((position..<best.end, best.id))
                    position = best.end
                } else {
                    position += 1
                }
            }
            return matches
        }
    }
}
