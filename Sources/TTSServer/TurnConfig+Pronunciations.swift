// TurnConfig+Pronunciations.swift: a turn's `pronunciations`, an object of words to spoken
// forms ({"SQL": "sequel"}). Words and phrases only: a regular expression from a client could
// take the event loop for seconds, so patterns come from the server's config file alone.
import PocketTTS
import TextNormalization

extension TurnConfig {
    /// Entries in one turn's `pronunciations`.
    public static let maxTurnPronunciations = 256
    /// Code points in one word or spoken form of a turn's `pronunciations`.
    public static let maxPronunciationCharacters = 200

    /// The turn's own pronunciations (none for an absent or null key).
    static func parsePronunciations(_ value: JSONValue?) throws(ProtocolError) -> Pronunciations {
        guard let value, value != .null else { return Pronunciations() }
        guard case .object(let object) = value else {
            throw .invalidConfig(key: "pronunciations", reason: "must be an object of words to spoken forms (got \(value.typeName))")
        }
        guard object.count <= maxTurnPronunciations else {
            throw .invalidConfig(key: "pronunciations", reason: "at most \(maxTurnPronunciations) entries (got \(object.count))")
        }
        var dictionary: [String: String] = [:]
        for (written, spokenValue) in object {
            guard case .string(let spoken) = spokenValue else {
                throw .invalidConfig(key: "pronunciations", reason: "\"\(written.excerpt)\" must map to a string (got \(spokenValue.typeName))")
            }
            guard written.unicodeScalars.count <= maxPronunciationCharacters,
                  spoken.unicodeScalars.count <= maxPronunciationCharacters else {
                throw .invalidConfig(key: "pronunciations", reason: "words and spoken forms have at most \(maxPronunciationCharacters) characters")
            }
            dictionary[written] = spoken
        }
        do {
            return try Pronunciations(dictionary, allowsPatterns: false)
        } catch {
            throw .invalidConfig(key: "pronunciations", reason: error.description)
        }
    }
}
