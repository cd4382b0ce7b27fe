// The pre-tokenizers of tokenizer.json (tokenizers' pre_tokenizers/*.rs): each cuts every split
// that is not yet a token into smaller ones; empty splits are dropped, as
// `PreTokenizedString::split` does.

extension TokenizerJSON {
    /// How Metaspace prepends its replacement (`PrependScheme`).
    enum PrependScheme: String, Sendable { case first, never, always }

    /// Metaspace's settings, shared by the pre-tokenizer and the decoder.
    struct Metaspace: Sendable {
        let replacement: Unicode.Scalar
        let prependScheme: PrependScheme
        let split: Bool

        /// As metaspace.rs deserializes it: `prepend_scheme` defaults to always, `split` to true,
        /// and a legacy `add_prefix_space: false` means never.
        init(_ node: JSONNode) throws(FormatError) {
            replacement = try node.required("replacement").character()
            var scheme = PrependScheme.always
            if let value = node.optional("prepend_scheme") {
                guard let parsed = PrependScheme(rawValue: try value.string()) else {
                    throw value.invalid("unknown prepend_scheme")
                }
                scheme = parsed
            }
            if let addPrefixSpace = node.optional("add_prefix_space"), try !addPrefixSpace.bool() {
                guard scheme == .never else {
                    throw addPrefixSpace.invalid("add_prefix_space does not match declared prepend_scheme")
                }
                scheme = .never
            }
            prependScheme = scheme
            split = try node.bool("split", default: true)
        }
    }

    indirect enum PreTokenizer: Sendable {
        case sequence([PreTokenizer])
        case metaspace(Metaspace)
        case whitespaceSplit
        case whitespace
        case split(Pattern, behavior: SplitBehavior, invert: Bool)

        init(_ node: JSONNode) throws(FormatError) {
            guard let type = node.type else { throw node.invalid("pre-tokenizer without \"type\"") }
            switch type {
            case "Sequence":
                var list: [PreTokenizer] = []
                for child in try node.required("pretokenizers").array() { list.append(try PreTokenizer(child)) }
                self = .sequence(list)
            case "Metaspace": self = .metaspace(try Metaspace(node))
            case "WhitespaceSplit": self = .whitespaceSplit
            case "Whitespace": self = .whitespace
            case "Split":
                let behaviorNode = try node.required("behavior")
                guard let behavior = SplitBehavior(rawValue: try behaviorNode.string()) else {
                    throw behaviorNode.invalid("unknown split behavior")
                }
                self = .split(try node.required("pattern").pattern(), behavior: behavior,
                              invert: try node.required("invert").bool())
            default: throw .unsupported(location: node.location, type: type)
            }
        }

        /// Cuts every split without a token.
        func preTokenize(_ pieces: inout [Piece]) {
            if case .sequence(let list) = self {
                for preTokenizer in list { preTokenizer.preTokenize(&pieces) }
                return
            }
            var result: [Piece] = []
            result.reserveCapacity(pieces.count)
            for piece in pieces {
                guard piece.tokenId == nil else {
                    result.append(piece)
                    continue
                }
                for part in split(piece.text) where !part.isEmpty { result.append(Piece(text: part)) }
            }
            pieces = result
        }

        private func split(_ text: NormalizedText) -> [NormalizedText] {
            switch self {
            case .sequence:
                preconditionFailure("handled by preTokenize")
            case .metaspace(let metaspace):
                var text = text
                text.replaceScalar(" ", with: metaspace.replacement)
                let startsWithReplacement = text.scalars.first == metaspace.replacement
                switch metaspace.prependScheme {
                case .always where !startsWithReplacement: text.prepend([metaspace.replacement])
                case .first where !startsWithReplacement && text.shift == 0: text.prepend([metaspace.replacement])
                default: break
                }
                guard metaspace.split else { return [text] }
                return text.split(Self.scalarMatches(text.scalars) { $0 == metaspace.replacement }, behavior: .mergedWithNext)
            case .whitespaceSplit:
                return text.split(Self.scalarMatches(text.scalars) { $0.properties.isWhitespace }, behavior: .removed)
            case .whitespace:
                return text.split(Self.wordRuns(text.scalars), behavior: .removed)
            case .split(let pattern, let behavior, let invert):
                var pieces = pattern.findMatches(text.scalars)
                if invert { pieces = pieces.map { ($0.range, !$0.isMatch) } }
                return text.split(pieces, behavior: behavior)
            }
        }

        /// `find_matches` of a `Fn(char) -> bool` pattern: every matching scalar alone, the runs
        /// between them as non-matches.
        static func scalarMatches(_ scalars: [Unicode.Scalar], _ isMatch: (Unicode.Scalar) -> Bool)
            -> [(range: Range<Int>, isMatch: Bool)]
        {
            if scalars.isEmpty { return [(0..<0, false)] }
            var pieces: [(range: Range<Int>, isMatch: Bool)] = []
            var runStart = 0
            for (i, scalar) in scalars.enumerated() where isMatch(scalar) {
                if runStart < i { pieces.append((runStart..<i, false)) }
                pieces.append((i..<i + 1, true))
                runStart = i + 1
            }
            if runStart < scalars.count { pieces.append((runStart..<scalars.count, false)) }
            return pieces
        }

        /// The pieces of `Invert(\w+|[^\w\s]+)` (the Whitespace pre-tokenizer): runs of word
        /// scalars and runs of other non-space scalars are non-matches, whitespace is a match.
        static func wordRuns(_ scalars: [Unicode.Scalar]) -> [(range: Range<Int>, isMatch: Bool)] {
            if scalars.isEmpty { return [(0..<0, false)] }
            enum Class { case word, space, other }
            func classify(_ scalar: Unicode.Scalar) -> Class {
                if isWordScalar(scalar) { return .word }
                return scalar.properties.isWhitespace ? .space : .other
            }
            var pieces: [(range: Range<Int>, isMatch: Bool)] = []
            var start = 0
            var current = classify(scalars[0])
            for i in 1...scalars.count {
                let next: Class? = i < scalars.count ? classify(scalars[i]) : nil
                if next != current {
                    pieces.append((start..<i, current == .space))
                    start = i
                    if let next { current = next }
                }
            }
            return pieces
        }

        /// Rust regex's Unicode `\w`: Alphabetic, marks, decimal digits, connector punctuation,
        /// join controls.
        static func isWordScalar(_ scalar: Unicode.Scalar) -> Bool {
            if scalar.isASCII {
                let v = scalar.value
                return (0x30...0x39).contains(v) || (0x41...0x5A).contains(v) || (0x61...0x7A).contains(v) || v == 0x5F
            }
            let properties = scalar.properties
            if properties.isAlphabetic || properties.isJoinControl { return true }
            switch properties.generalCategory {
            case .nonspacingMark, .spacingMark, .enclosingMark, .decimalNumber, .connectorPunctuation: return true
            default: return false
            }
        }
    }
}
