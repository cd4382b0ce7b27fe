/// How a model's text is prepared before tokenizing: the config's top-level keys that 4.0.1's
/// `prepare_text_prompt` and `split_into_best_sentences` read (`pocket_tts/utils/config.py`).
/// The defaults are 4.0.1's.
public struct TextOptions: Sendable, Equatable, Codable {
    /// `pad_with_spaces_for_short_inputs`: 8 spaces before a text of fewer than 5 words.
    public var padWithSpacesForShortInputs: Bool
    /// `remove_semicolons`: ";" becomes ",".
    public var removeSemicolons: Bool
    /// `append_terminal_punctuation`: a text that does not end a sentence gets a ".".
    public var appendTerminalPunctuation: Bool
    /// `capitalize_first_letter`: the first code point is upper-cased.
    public var capitalizeFirstLetter: Bool
    /// `replace_characters`: one code point → a replacement ("" deletes it), applied first.
    public var replaceCharacters: [String: String]

    public init(
        padWithSpacesForShortInputs: Bool = false, removeSemicolons: Bool = false,
        appendTerminalPunctuation: Bool = true, capitalizeFirstLetter: Bool = true,
        replaceCharacters: [String: String] = [:]
    ) {
        self.padWithSpacesForShortInputs = padWithSpacesForShortInputs
        self.removeSemicolons = removeSemicolons
        self.appendTerminalPunctuation = appendTerminalPunctuation
        self.capitalizeFirstLetter = capitalizeFirstLetter
        self.replaceCharacters = replaceCharacters
    }
}
