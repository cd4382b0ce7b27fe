// The BPE model of tokenizer.json (tokenizers' models/bpe/model.rs and word.rs): a split's
// characters become symbols (or byte pieces, or unknown tokens), then the pair of lowest merge
// rank (leftmost first) is merged until none is left, with a priority queue: O(n log n).

extension TokenizerJSON {
    struct BPE: Sendable {
        /// Piece bytes to id (a JSON object: with a duplicate key the last one wins).
        let ids: [[UInt8]: Int]
        /// Id to piece.
        let pieces: [Int: String]
        /// (left id << 32 | right id) -> (rank, id of the merged piece).
        private let merges: [Int: (rank: Int32, merged: Int32)]
        let unknownId: Int?
        private let continuingSubwordPrefix: [UInt8]?
        private let endOfWordSuffix: [UInt8]?
        private let fuseUnknown: Bool
        private let ignoreMerges: Bool
        let byteIds: [Int?]

        init(_ node: JSONNode) throws(FormatError) {
            if let dropout = node.optional("dropout"), try dropout.double() != 0 {
                throw .unsupported(location: dropout.location, type: "BPE dropout")
            }
            var ids: [[UInt8]: Int] = [:]
            var pieces: [Int: String] = [:]
            for (piece, idNode) in try node.required("vocab").members() {
                let id = try idNode.int()
                ids[Array(piece.utf8)] = id
                pieces[id] = piece
            }
            let prefix = try node.optional("continuing_subword_prefix").map { node throws(FormatError) in Array(try node.string().utf8) }
            var merges: [Int: (rank: Int32, merged: Int32)] = [:]
            let mergesNode = try node.required("merges")
            for (rank, merge) in try mergesNode.array().enumerated() {
                let (left, right) = try Self.mergePair(merge)
                let rightBytes = Array(right.utf8)
                guard let leftId = ids[Array(left.utf8)], let rightId = ids[rightBytes],
                      rightBytes.count >= (prefix?.count ?? 0),
                      let mergedId = ids[Array(left.utf8) + rightBytes.dropFirst(prefix?.count ?? 0)] else {
                    throw merge.invalid("merge of pieces outside the vocabulary")
                }
                merges[leftId << 32 | rightId] = (Int32(rank), Int32(mergedId))
            }
            self.ids = ids
            self.pieces = pieces
            self.merges = merges
            if let unknown = node.optional("unk_token") {
                guard let id = ids[Array(try unknown.string().utf8)] else { throw unknown.invalid("unk_token not in the vocabulary") }
                unknownId = id
            } else {
                unknownId = nil
            }
            continuingSubwordPrefix = prefix
            endOfWordSuffix = try node.optional("end_of_word_suffix").map { node throws(FormatError) in Array(try node.string().utf8) }
            fuseUnknown = try node.bool("fuse_unk", default: false)
            ignoreMerges = try node.bool("ignore_merges", default: false)
            let byteFallback = try node.bool("byte_fallback", default: false)
            byteIds = (0..<256).map { byteFallback ? ids[Array(TokenizerJSON.bytePiece(UInt8($0)).utf8)] : nil }
        }

        /// A merge as ["a", "b"] or as the legacy "a b" string.
        private static func mergePair(_ node: JSONNode) throws(FormatError) -> (String, String) {
            if case .string(let line) = node.value {
                let parts = line.split(separator: " ", omittingEmptySubsequences: false)
                guard parts.count == 2 else { throw node.invalid("a merge string must be \"a b\"") }
                return (String(parts[0]), String(parts[1]))
            }
            let pair = try node.array()
            guard pair.count == 2 else { throw node.invalid("a merge must be [a, b]") }
            return (try pair[0].string(), try pair[1].string())
        }

        private struct Symbol {
            var id: Int
            var previous: Int
            var next: Int
            var length: Int  // bytes; 0 once merged into its left neighbour
        }

        /// Ids of one split (`BPE::tokenize`, no dropout).
        func tokenize(_ text: String, into result: inout [Int]) {
            let utf8 = Array(text.utf8)
            guard !utf8.isEmpty else { return }
            if ignoreMerges, let id = ids[utf8] {
                result.append(id)
                return
            }
            var symbols: [Symbol] = []
            symbols.reserveCapacity(utf8.count)
            func add(_ id: Int, _ length: Int) {
                if !symbols.isEmpty { symbols[symbols.count - 1].next = symbols.count }
                symbols.append(Symbol(id: id, previous: symbols.count - 1, next: -1, length: length))
            }
            // merge_word: one symbol per character (with the prefix/suffix where configured).
            let scalars = Array(text.unicodeScalars)
            var unknown: (id: Int, length: Int)?
            for (index, scalar) in scalars.enumerated() {
                var piece = Array(scalar.utf8)
                let byteLength = piece.count
                if index > 0, let prefix = continuingSubwordPrefix { piece = prefix + piece }
                if index == scalars.count - 1, let suffix = endOfWordSuffix { piece += suffix }
                if let id = ids[piece] {
                    if let pending = unknown { add(pending.id, pending.length) }
                    unknown = nil
                    add(id, byteLength)
                    continue
                }
                // Byte pieces are added without flushing a pending unknown, as in tokenizers.
                if piece.allSatisfy({ byteIds[Int($0)] != nil }) {
                    for byte in piece { add(byteIds[Int(byte)]!, 1) }
                    continue
                }
                guard let unknownId else { continue }  // no unk_token: the character is dropped
                if let pending = unknown {
                    if fuseUnknown {
                        unknown = (pending.id, pending.length + byteLength)
                        continue
                    }
                    add(pending.id, pending.length)
                }
                unknown = (unknownId, byteLength)
            }
            if let pending = unknown { add(pending.id, pending.length) }
            mergeAll(&symbols)
            for symbol in symbols where symbol.length != 0 { result.append(symbol.id) }
        }

        /// `Word::merge_all` without dropout.
        private func mergeAll(_ symbols: inout [Symbol]) {
            var queue = MergeQueue()
            for i in symbols.indices.dropLast() {
                if let merge = merges[symbols[i].id << 32 | symbols[i + 1].id] {
                    queue.push(.init(position: i, rank: merge.rank, merged: merge.merged))
                }
            }
            while let top = queue.pop() {
                let position = top.position
                guard symbols[position].length != 0, symbols[position].next != -1 else { continue }
                let nextPosition = symbols[position].next
                let right = symbols[nextPosition]
                guard let merge = merges[symbols[position].id << 32 | right.id], merge.merged == top.merged else { continue }
                symbols[position].id = Int(top.merged)
                symbols[position].length += right.length
                symbols[position].next = right.next
                symbols[nextPosition].length = 0
                if right.next > -1 && right.next < symbols.count { symbols[right.next].previous = position }
                let current = symbols[position]
                if current.previous >= 0, let merge = merges[symbols[current.previous].id << 32 | current.id] {
                    queue.push(.init(position: current.previous, rank: merge.rank, merged: merge.merged))
                }
                if current.next >= 0 && current.next < symbols.count,
                   let merge = merges[current.id << 32 | symbols[current.next].id] {
                    queue.push(.init(position: position, rank: merge.rank, merged: merge.merged))
                }
            }
        }
    }

    /// A binary min-heap of candidate merges by (rank, position), as word.rs's `Merge` order.
    private struct MergeQueue {
        struct Entry {
            let position: Int
            let rank: Int32
            let merged: Int32
            func precedes(_ other: Entry) -> Bool {
                rank != other.rank ? rank < other.rank : position < other.position
            }
        }
        private var heap: [Entry] = []

        mutating func push(_ entry: Entry) {
            heap.append(entry)
            var child = heap.count - 1
            while child > 0 {
                let parent = (child - 1) / 2
                guard heap[child].precedes(heap[parent]) else { break }
                heap.swapAt(child, parent)
                child = parent
            }
        }

        mutating func pop() -> Entry? {
            guard let first = heap.first else { return nil }
            let last = heap.removeLast()
            if !heap.isEmpty {
                heap[0] = last
                var parent = 0
                while true {
                    let left = 2 * parent + 1, right = left + 1
                    var best = parent
                    if left < heap.count && heap[left].precedes(heap[best]) { best = left }
                    if right < heap.count && heap[right].precedes(heap[best]) { best = right }
                    guard best != parent else { break }
                    heap.swapAt(parent, best)
                    parent = best
                }
            }
            return first
        }
    }
}
