// Pronunciations+YAML.swift: a pronunciation dictionary from YAML (or JSON, which YAML reads):
// a mapping of written forms to spoken forms, e.g.
//     SQL: sequel
//     "/\\bv(\\d+)\\b/": version $1
import Foundation
import Yams

extension Pronunciations {
    /// Parses a YAML or JSON mapping of strings to strings (an empty document is no entry).
    public init(yaml: String, allowsPatterns: Bool = true) throws(PronunciationError) {
        let root: Node?
        do {
            root = try Yams.compose(yaml: yaml)
        } catch {
            throw .invalidDictionary(reason: "not valid YAML or JSON: \(error)")
        }
        guard let root, root.null == nil else { self.init(); return }
        guard let mapping = root.mapping else { throw .invalidDictionary(reason: "must be a mapping of words to spoken forms") }
        var dictionary: [String: String] = [:]
        for (key, value) in mapping {
            guard let written = key.string, let spoken = value.string else {
                throw .invalidDictionary(reason: "\(key): every word and spoken form must be a string")
            }
            dictionary[written] = spoken
        }
        try self.init(dictionary, allowsPatterns: allowsPatterns)
    }

    /// Reads a YAML or JSON file (see `init(yaml:)`).
    public init(contentsOfFile path: String) throws(PronunciationError) {
        let text: String
        do { text = try String(contentsOfFile: path, encoding: .utf8) } catch {
            throw .invalidDictionary(reason: "cannot read \(path): \(error.localizedDescription)")
        }
        try self.init(yaml: text)
    }
}
