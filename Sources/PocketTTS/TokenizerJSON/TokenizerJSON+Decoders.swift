// The decoders of tokenizer.json (tokenizers' decoders/*.rs and the Decoder impls of Metaspace
// and Replace): each maps the list of token strings to a new list; `decode` joins the last one.

extension TokenizerJSON {
    indirect enum Decoder: Sendable {
        case sequence([Decoder])
        case metaspace(Metaspace)
        case byteFallback
        case fuse
        case strip(content: Unicode.Scalar, start: Int, stop: Int)
        case replace(Pattern, content: [Unicode.Scalar])

        init(_ node: JSONNode) throws(FormatError) {
            guard let type = node.type else { throw node.invalid("decoder without \"type\"") }
            switch type {
            case "Sequence":
                var list: [Decoder] = []
                for child in try node.required("decoders").array() { list.append(try Decoder(child)) }
                self = .sequence(list)
            case "Metaspace": self = .metaspace(try Metaspace(node))
            case "ByteFallback": self = .byteFallback
            case "Fuse": self = .fuse
            case "Strip":
                self = .strip(content: try node.required("content").character(),
                              start: try node.required("start").int(), stop: try node.required("stop").int())
            case "Replace":
                self = .replace(try node.required("pattern").pattern(),
                                content: Array(try node.required("content").string().unicodeScalars))
            default: throw .unsupported(location: node.location, type: type)
            }
        }

        /// `Decoder::decode_chain`.
        func decodeChain(_ tokens: [String]) -> [String] {
            switch self {
            case .sequence(let list):
                return list.reduce(tokens) { $1.decodeChain($0) }
            case .metaspace(let metaspace):
                return tokens.enumerated().map { index, token in
                    var view = String.UnicodeScalarView()
                    for scalar in token.unicodeScalars {
                        if scalar != metaspace.replacement {
                            view.append(scalar)
                        } else if index != 0 || metaspace.prependScheme == .never {
                            view.append(" ")
                        }
                    }
                    return String(view)
                }
            case .byteFallback:
                return Self.byteFallback(tokens)
            case .fuse:
                return [tokens.joined()]
            case .strip(let content, let start, let stop):
                return tokens.map { token in
                    let scalars = Array(token.unicodeScalars)
                    var startCut = 0
                    while startCut < min(start, scalars.count) && scalars[startCut] == content { startCut += 1 }
                    var stopCut = scalars.count
                    // strip.rs indexes from the end without a bound check (it panics on a short
                    // token); stopping at the start cut is the only total reading.
                    for _ in 0..<stop {
                        guard stopCut > startCut, scalars[stopCut - 1] == content else { break }
                        stopCut -= 1
                    }
                    var view = String.UnicodeScalarView()
                    view.append(contentsOf: scalars[startCut..<stopCut])
                    return String(view)
                }
            case .replace(let pattern, let content):
                return tokens.map { token in
                    let scalars = Array(token.unicodeScalars)
                    var view = String.UnicodeScalarView()
                    for (range, isMatch) in pattern.findMatches(scalars) {
                        if isMatch { view.append(contentsOf: content) } else { view.append(contentsOf: scalars[range]) }
                    }
                    return String(view)
                }
            }
        }

        /// byte_fallback.rs: runs of "<0xXX>" tokens become the string of their bytes, or one
        /// U+FFFD per byte when the bytes are not valid UTF-8.
        private static func byteFallback(_ tokens: [String]) -> [String] {
            var result: [String] = []
            result.reserveCapacity(tokens.count)
            var pending: [UInt8] = []
            func flush() {
                guard !pending.isEmpty else { return }
                if let text = String(validating: pending, as: UTF8.self) {
                    result.append(text)
                } else {
                    result.append(contentsOf: repeatElement("\u{FFFD}", count: pending.count))
                }
                pending.removeAll()
            }
            for token in tokens {
                if let byte = Self.byteValue(token) {
                    pending.append(byte)
                } else {
                    flush()
                    result.append(token)
                }
            }
            flush()
            return result
        }

        /// The byte of a 6-byte "<0x..>" token whose two characters parse as hexadecimal the way
        /// Rust's `u8::from_str_radix(_, 16)` does (it also accepts a leading "+").
        static func byteValue(_ token: String) -> UInt8? {
            let utf8 = Array(token.utf8)
            guard utf8.count == 6, utf8[0] == UInt8(ascii: "<"), utf8[1] == UInt8(ascii: "0"),
                  utf8[2] == UInt8(ascii: "x"), utf8[5] == UInt8(ascii: ">") else { return nil }
            if utf8[3] == UInt8(ascii: "+") { return TokenizerJSON.hexDigit(utf8[4]) }
            guard let high = TokenizerJSON.hexDigit(utf8[3]), let low = TokenizerJSON.hexDigit(utf8[4]) else { return nil }
            return high << 4 | low
        }
    }
}
