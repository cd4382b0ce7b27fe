// SessionMachine+Normalization.swift: what the engine is asked to say for a piece of a turn's
// text. The segmenter cuts the text as the client wrote it (it knows abbreviations such as "Dr."
// and "e.g." and never cuts "3.14" or "$4.50"); each piece is then normalized on its own, just
// before it goes to the engine, whose own sentence splitting runs on the normalized text.

import TextNormalization

extension SessionMachine {
    /// `text` of turn `number` as it is to be spoken: pronunciations and, when the turn's
    /// `normalize` is on, the reading rules (`TextNormalizer`). Unchanged for a turn not open.
    public func spokenText(_ text: String, turn number: Int) -> String {
        guard let current = turn, current.start.turn == number else { return text }
        return current.start.config.textNormalizer.normalize(text).text
    }

    /// The normalization rules of a new turn: of its language (`Configuration.turnLanguage`, else
    /// its `language`), English when it names none. A language without rules is an error when
    /// the turn normalizes; pronunciations alone need none.
    func normalizerLanguage(for config: TurnConfig) throws(TextNormalizationError) -> NormalizerLanguage {
        guard config.normalize, let code = configuration.turnLanguage?(config) ?? config.language else { return .english }
        return try NormalizerLanguage(code: code)
    }
}
