// `tokenizers`' NormalizedString, reduced to what decides ids: the text (as scalars) and, for each
// scalar, the offset in the input where its alignment starts. The one reader of alignments that
// changes ids is Metaspace with `prepend_scheme: first`, which prepends "▁" only to a split that
// starts at offset 0 of the input ("  Hi" stripped to "Hi" starts at 2 and gets none): so every
// edit below moves alignments exactly as its counterpart in tokenizer/normalizer.rs does.

extension TokenizerJSON {
    struct NormalizedText {
        /// The normalized text.
        private(set) var scalars: [Unicode.Scalar]
        /// Input offset (UTF-8 bytes) where the alignment of each scalar starts.
        private(set) var starts: [Int]
        /// Input offset where this text starts (`offsets_original().0`).
        let shift: Int

        /// An input text: every scalar aligned to itself.
        init(_ text: String) {
            scalars = Array(text.unicodeScalars)
            starts = []
            starts.reserveCapacity(scalars.count)
            var offset = 0
            for scalar in scalars {
                starts.append(offset)
                offset += UTF8.width(scalar)
            }
            shift = 0
        }

        private init(scalars: ArraySlice<Unicode.Scalar>, starts: ArraySlice<Int>, shift: Int) {
            self.scalars = Array(scalars)
            self.starts = Array(starts)
            self.shift = shift
        }

        var isEmpty: Bool { scalars.isEmpty }
        var count: Int { scalars.count }

        var string: String {
            var view = String.UnicodeScalarView()
            view.append(contentsOf: scalars)
            return String(view)
        }

        /// `NormalizedString::slice` of a scalar range: a new text starting where its first
        /// scalar's alignment starts.
        func slice(_ range: Range<Int>) -> NormalizedText {
            NormalizedText(scalars: scalars[range], starts: starts[range],
                           shift: range.isEmpty ? shift : starts[range.lowerBound])
        }

        /// Alignment start of a scalar inserted before old scalar `index` (tokenizers: the
        /// previous scalar's alignment, or the start of the text at index 0).
        private func insertedStart(before index: Int) -> Int {
            index < 1 ? shift : starts[min(index, starts.count) - 1]
        }

        /// `NormalizedString::transform(dest, initial_offset)` over the whole text. Each element of
        /// `dest` is a new scalar and its change: 1 = inserted, 0 = replaces the next old scalar,
        /// -n = replaces it and removes the n after it. `initialOffset` old scalars are skipped first.
        mutating func transform(_ dest: [(scalar: Unicode.Scalar, change: Int)], initialOffset: Int) {
            var offset = initialOffset
            var newScalars: [Unicode.Scalar] = []
            var newStarts: [Int] = []
            newScalars.reserveCapacity(dest.count)
            newStarts.reserveCapacity(dest.count)
            for (scalar, change) in dest {
                if change > 0 {
                    newStarts.append(insertedStart(before: offset))
                } else {
                    newStarts.append(offset < starts.count ? starts[offset] : insertedStart(before: offset))
                    offset += 1 - change
                }
                newScalars.append(scalar)
            }
            scalars = newScalars
            starts = newStarts
        }

        /// `NormalizedString::replace`: every match becomes `content`, whose scalars take the
        /// alignment of the match's last scalar.
        mutating func replace(_ pattern: Pattern, with content: [Unicode.Scalar]) {
            let pieces = pattern.findMatches(scalars)
            guard pieces.contains(where: \.isMatch) else { return }
            var newScalars: [Unicode.Scalar] = []
            var newStarts: [Int] = []
            newScalars.reserveCapacity(scalars.count)
            newStarts.reserveCapacity(scalars.count)
            for (range, isMatch) in pieces {
                if isMatch {
                    let start = insertedStart(before: range.upperBound)
                    newScalars.append(contentsOf: content)
                    newStarts.append(contentsOf: repeatElement(start, count: content.count))
                } else {
                    newScalars.append(contentsOf: scalars[range])
                    newStarts.append(contentsOf: starts[range])
                }
            }
            scalars = newScalars
            starts = newStarts
        }

        /// `replace` of one character by one character (Metaspace's " " -> "▁"): alignments stay.
        mutating func replaceScalar(_ old: Unicode.Scalar, with new: Unicode.Scalar) {
            for i in scalars.indices where scalars[i] == old { scalars[i] = new }
        }

        /// `NormalizedString::prepend`: `text` and the old first scalar all take the first
        /// scalar's alignment. Nothing happens to an empty text.
        mutating func prepend(_ text: [Unicode.Scalar]) {
            guard let first = scalars.first else { return }
            // The old first scalar is "inserted" after `text`; with an empty `text` it is inserted
            // at index 0 and so aligned to the start of the text.
            let start = text.isEmpty ? shift : starts[0]
            scalars.replaceSubrange(0..<1, with: text + [first])
            starts.replaceSubrange(0..<1, with: repeatElement(start, count: text.count + 1))
        }

        /// `NormalizedString::filter`.
        mutating func filter(_ keep: (Unicode.Scalar) -> Bool) {
            var removed = 0
            var removedStart = 0
            var dest: [(scalar: Unicode.Scalar, change: Int)] = []
            dest.reserveCapacity(scalars.count)
            var last: Unicode.Scalar?
            for scalar in scalars {
                if keep(scalar) {
                    if let last { dest.append((last, -removed)) } else { removedStart = removed }
                    last = scalar
                    removed = 0
                } else {
                    removed += 1
                }
            }
            if let last { dest.append((last, -removed)) }
            transform(dest, initialOffset: removedStart)
        }

        /// `NormalizedString::map` (one scalar for one: alignments stay).
        mutating func map(_ transform: (Unicode.Scalar) -> Unicode.Scalar) {
            for i in scalars.indices { scalars[i] = transform(scalars[i]) }
        }

        /// `NormalizedString::lrstrip`: removes leading and/or trailing whitespace (White_Space).
        mutating func strip(left: Bool, right: Bool) {
            let leading = left ? scalars.prefix(while: \.properties.isWhitespace).count : 0
            let trailing = right ? scalars.reversed().prefix(while: \.properties.isWhitespace).count : 0
            guard leading > 0 || trailing > 0 else { return }
            let end = scalars.count - trailing
            guard leading < end else {
                scalars = []
                starts = []
                return
            }
            var dest = (leading..<end).map { (scalar: scalars[$0], change: 0) }
            dest[dest.count - 1].change = -trailing
            transform(dest, initialOffset: leading)
        }

        /// `NormalizedString::split`: the pieces kept by `behavior`, empty ones included (the
        /// caller drops those, as `PreTokenizedString::split` does).
        func split(_ pieces: [(range: Range<Int>, isMatch: Bool)], behavior: SplitBehavior) -> [NormalizedText] {
            var kept: [Range<Int>] = []
            switch behavior {
            case .removed:
                kept = pieces.filter { !$0.isMatch }.map(\.range)
            case .isolated:
                kept = pieces.map(\.range)
            case .contiguous:
                var previousMatch = false
                for (range, isMatch) in pieces {
                    if isMatch == previousMatch, let last = kept.last {
                        kept[kept.count - 1] = last.lowerBound..<range.upperBound
                    } else {
                        kept.append(range)
                    }
                    previousMatch = isMatch
                }
            case .mergedWithPrevious:
                var previousMatch = false
                for (range, isMatch) in pieces {
                    if isMatch && !previousMatch, let last = kept.last {
                        kept[kept.count - 1] = last.lowerBound..<range.upperBound
                    } else {
                        kept.append(range)
                    }
                    previousMatch = isMatch
                }
            case .mergedWithNext:
                var previousMatch = false
                for (range, isMatch) in pieces.reversed() {
                    if isMatch && !previousMatch, let last = kept.last {
                        kept[kept.count - 1] = range.lowerBound..<last.upperBound
                    } else {
                        kept.append(range)
                    }
                    previousMatch = isMatch
                }
                kept.reverse()
            }
            return kept.map(slice)
        }
    }

    /// `SplitDelimiterBehavior`.
    enum SplitBehavior: String, Sendable {
        case removed = "Removed", isolated = "Isolated", contiguous = "Contiguous"
        case mergedWithPrevious = "MergedWithPrevious", mergedWithNext = "MergedWithNext"
    }
}
