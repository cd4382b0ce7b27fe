// The post-processors of tokenizer.json (tokenizers' processors/*.rs), for one sequence with
// special tokens added, as `Tokenizer.encode(text)` calls them. Only the ids matter here: offsets,
// type ids and masks are not kept.

extension TokenizerJSON {
    indirect enum PostProcessor: Sendable {
        /// The ids around the sequence: TemplateProcessing's `single`, or Bert/RobertaProcessing's
        /// [CLS] A [SEP].
        case template([TemplatePiece])
        /// ByteLevel changes offsets only.
        case byteLevel
        case sequence([PostProcessor])

        enum TemplatePiece: Sendable {
            case sequence
            case special([Int])
        }

        init(_ node: JSONNode) throws(FormatError) {
            guard let type = node.type else { throw node.invalid("post-processor without \"type\"") }
            switch type {
            case "TemplateProcessing":
                let special = try node.optional("special_tokens")?.members() ?? []
                var pieces: [TemplatePiece] = []
                for pieceNode in try node.required("single").array() {
                    if let sequence = pieceNode.optional("Sequence") {
                        guard try sequence.required("id").string() == "A" else {
                            throw sequence.invalid("the single template can only hold sequence A")
                        }
                        pieces.append(.sequence)
                    } else if let token = pieceNode.optional("SpecialToken") {
                        let name = try token.required("id").string()
                        guard let entry = special.last(where: { $0.key.utf8.elementsEqual(name.utf8) }) else {
                            throw token.invalid("special token \(name.debugDescription) missing from special_tokens")
                        }
                        var ids: [Int] = []
                        for id in try entry.node.required("ids").array() { ids.append(try id.int()) }
                        pieces.append(.special(ids))
                    } else {
                        throw pieceNode.invalid("expected {\"Sequence\": ...} or {\"SpecialToken\": ...}")
                    }
                }
                self = .template(pieces)
            case "BertProcessing", "RobertaProcessing":
                func id(_ key: String) throws(FormatError) -> Int {
                    let pair = try node.required(key).array()
                    guard pair.count == 2 else { throw node.invalid("\(key) must be [token, id]") }
                    return try pair[1].int()
                }
                self = .template([.special([try id("cls")]), .sequence, .special([try id("sep")])])
            case "ByteLevel":
                self = .byteLevel
            case "Sequence":
                var list: [PostProcessor] = []
                for child in try node.required("processors").array() { list.append(try PostProcessor(child)) }
                self = .sequence(list)
            default:
                throw .unsupported(location: node.location, type: type)
            }
        }

        func process(_ ids: [Int]) -> [Int] {
            switch self {
            case .template(let pieces):
                return pieces.flatMap { piece in
                    switch piece {
                    case .sequence: ids
                    case .special(let special): special
                    }
                }
            case .byteLevel:
                return ids
            case .sequence(let list):
                return list.reduce(ids) { $1.process($0) }
            }
        }
    }
}
