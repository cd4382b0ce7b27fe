// TextNormalizer+Words.swift: the rules for things written with letters and symbols — URLs,
// e-mail addresses, abbreviations, acronyms and symbols.

extension TextNormalizer {
    /// The URL rule: "https://example.com/docs" → "example dot com slash docs" (the scheme is
    /// not said), "www.example.com" → "w w w dot example dot com", and bare domains with a
    /// common ending ("example.com", "pocket.dev/tts"). Trailing punctuation is left to the
    /// sentence.
    static func readURL(_ text: ScalarText, _ index: Int) -> Reading? {
        guard text.isLetter(index), text.startsToken(index), !text.is(index - 1, oneOf: ".@/") else { return nil }
        var start = index
        var hasScheme = false
        for scheme in ["https://", "http://", "ftp://"] {
            if let end = text.match(scheme, at: index, ignoringCase: true) {
                start = end
                hasScheme = true
                break
            }
        }
        let hasWWW = text.match("www.", at: start, ignoringCase: true) != nil
        if !hasScheme && !hasWWW {
            guard text.isLetter(start), let domainEnd = bareDomainEnd(text, start) else { return nil }
            guard text[domainEnd] == "/" || !text.isAlnum(domainEnd) else { return nil }
        }
        var end = start
        while let scalar = text[end], !ScalarText.isSpace(scalar), !"\"'<>()[]{}“”‘’".unicodeScalars.contains(scalar) {
            end += 1
        }
        while end > start, text.is(end - 1, oneOf: ".,;:!?/") { end -= 1 }
        guard end > start else { return nil }
        return Reading(end: end, spoken: spell(text, start..<end))
    }

    /// The end of "label.label.tld" at `index` when the last label is a common top-level domain.
    private static func bareDomainEnd(_ text: ScalarText, _ index: Int) -> Int? {
        var end = index
        var labels = 0
        var lastLabel = index..<index
        while true {
            let labelStart = end
            while text.isAlnum(end) && text[end]!.isASCII || text[end] == "-" { end += 1 }
            guard end > labelStart else { return nil }
            labels += 1
            lastLabel = labelStart..<end
            guard text[end] == ".", text.isAlnum(end + 1) else { break }
            end += 1
        }
        guard labels >= 2, Lexicon.domains.contains(text.string(lastLabel).lowercased()) else { return nil }
        return end
    }

    /// The e-mail rule: "jane.doe@example.com" → "jane dot doe at example dot com".
    static func readEmail(_ text: ScalarText, _ index: Int) -> Reading? {
        guard text.isAlnum(index), text.startsToken(index), !text.is(index - 1, oneOf: ".@/+-") else {
            return nil
        }
        var at = index
        while let scalar = text[at], scalar.isASCII, ScalarText.isAlnum(scalar) || "._%+-".unicodeScalars.contains(scalar) {
            at += 1
        }
        guard at > index, text[at] == "@" else { return nil }
        var end = at + 1
        while let scalar = text[end], scalar.isASCII, ScalarText.isAlnum(scalar) || scalar == "-" || scalar == "." {
            end += 1
        }
        while end > at + 1, text[end - 1] == "." { end -= 1 }
        let domain = text.string(at + 1..<end)
        guard let lastDot = domain.lastIndex(of: "."), domain[domain.index(after: lastDot)...].count >= 2,
              domain[domain.index(after: lastDot)...].allSatisfy(\.isLetter) else { return nil }
        return Reading(end: end, spoken: spell(text, index..<at) + " at " + spell(text, at + 1..<end))
    }

    /// Reads a URL or address part: runs of letters as they are, digits one by one, symbols
    /// by name ("dot", "slash"), "www" as letters.
    static func spell(_ text: ScalarText, _ range: Range<Int>) -> String {
        var words: [String] = []
        var index = range.lowerBound
        while index < range.upperBound {
            if text.isLetter(index) {
                let end = min(text.lettersEnd(from: index), range.upperBound)
                let word = text.string(index..<end)
                words.append(word.lowercased() == "www" ? "w w w" : word)
                index = end
            } else if text.isDigit(index) {
                let end = min(text.digitsEnd(from: index), range.upperBound)
                words.append(NumberWords.digitByDigit(text.digits(index..<end)))
                index = end
            } else {
                if let name = Lexicon.urlSymbols[text[index]!] { words.append(name) }
                index += 1
            }
        }
        return words.joined(separator: " ")
    }

    /// Abbreviations by first code point, longest written form first ("p.m." before "p.").
    static let abbreviations: [Unicode.Scalar: [Abbreviation]] = Dictionary(
        grouping: Abbreviation.table.sorted { $0.written.unicodeScalars.count > $1.written.unicodeScalars.count },
        by: { $0.written.unicodeScalars.first! })

    /// The abbreviation rule (`Abbreviation.table`): titles ("Dr. Smith" → "Doctor Smith"; after a
    /// capitalized word and before a lower-case one "Elm St." is "Elm Street"), short forms
    /// ("e.g.", "vs."), forms read before a number only ("No. 5"). An abbreviation whose dot may
    /// end the sentence ("etc.") keeps a "." when a capital letter or the end of the text follows.
    static func readAbbreviation(_ text: ScalarText, _ index: Int) -> Reading? {
        guard text.isLetter(index), text.startsToken(index), !text.is(index - 1, oneOf: ".'’@/") else {
            return nil
        }
        for abbreviation in abbreviations[text[index]!] ?? [] {
            guard let end = text.match(abbreviation.written, at: index) else { continue }
            if abbreviation.written.hasSuffix(".") {
                guard !text.isAlnum(end) else { continue }
            } else {
                guard text.endsToken(end), text[end] != "." else { continue }
            }
            switch abbreviation.kind {
            case .beforeNumber:
                guard text.isDigit(text.afterOptionalSpace(end)) else { continue }
                return Reading(end: end, spoken: abbreviation.spoken)
            case .inner:
                return Reading(end: end, spoken: abbreviation.spoken)
            case .title:
                let previous = text.previousWord(before: index)
                let next = text.nextWord(after: end)
                if !abbreviation.written.hasSuffix(".") {
                    guard text[end] == " ", next?.word.first!.isUppercase == true else { continue }
                    return Reading(end: end, spoken: abbreviation.spoken)
                }
                if let afterName = abbreviation.afterName, let previous, previous.first!.isUppercase,
                   !(next?.word.first!.isUppercase ?? false) {
                    return Reading(end: end, spoken: afterName + (text.sentenceMayEnd(at: end) ? "." : ""))
                }
                return Reading(end: end, spoken: abbreviation.spoken)
            case .mayEndSentence:
                let dot = abbreviation.written.hasSuffix(".") && text.sentenceMayEnd(at: end) ? "." : ""
                return Reading(end: end, spoken: abbreviation.spoken + dot)
            }
        }
        return nil
    }

    /// The acronym rule: 2 to 6 capital letters (and an optional plural "s") said letter by
    /// letter ("FBI" → "F B I", "CPUs" → "C P Us") when listed in `Lexicon.spelledAcronyms` or
    /// without vowels ("HTML"); others ("NASA", "STOP") are left to be read as words.
    static func readAcronym(_ text: ScalarText, _ index: Int) -> Reading? {
        guard text.startsToken(index), !text.is(index - 1, oneOf: "'’.") else { return nil }
        var end = index
        while let scalar = text[end], ("A"..."Z").contains(scalar) { end += 1 }
        guard (2...6).contains(end - index), !text.isLetter(end) || text[end] == "s" && text.endsToken(end + 1) else {
            return nil
        }
        let word = text.string(index..<end)
        let hasVowel = word.contains { "AEIOUY".contains($0) }
        guard !Lexicon.wordAcronyms.contains(word), Lexicon.spelledAcronyms.contains(word) || !hasVowel else { return nil }
        let letters = word.map(String.init).joined(separator: " ")
        return text[end] == "s" ? Reading(end: end + 1, spoken: letters + "s") : Reading(end: end, spoken: letters)
    }

    /// The symbol rule: "&" → "and"; "#5" → "number five"; "~5" → "about five"; "±" → "plus or
    /// minus"; between spaces "+", "-", "=", "×", "÷", "@" → "plus", "minus", "equals", "times",
    /// "divided by", "at"; "½" → "one half"; "²"/"³" after a letter → "squared"/"cubed".
    static func readSymbol(_ text: ScalarText, _ index: Int) -> Reading? {
        guard let scalar = text[index] else { return nil }
        let spaced = text.isSpace(index - 1) && text.isSpace(index + 1)
        let numberFollows = text.isDigit(index + 1) || text.isSpace(index + 1) && text.isDigit(index + 2)
        switch scalar {
        case "&": return Reading(end: index + 1, spoken: "and")
        case "#" where text.isDigit(index + 1): return Reading(end: index + 1, spoken: "number")
        case "~" where numberFollows, "≈" where numberFollows: return Reading(end: index + 1, spoken: "about")
        case "±": return Reading(end: index + 1, spoken: "plus or minus")
        case "+" where spaced: return Reading(end: index + 1, spoken: "plus")
        case "-" where spaced && text.isDigit(index - 2) && text.isDigit(index + 2),
             "−" where spaced:
            return Reading(end: index + 1, spoken: "minus")
        case "=" where spaced: return Reading(end: index + 1, spoken: "equals")
        case "×" where spaced: return Reading(end: index + 1, spoken: "times")
        case "÷" where spaced: return Reading(end: index + 1, spoken: "divided by")
        case "@" where spaced: return Reading(end: index + 1, spoken: "at")
        case "²" where text.isLetter(index - 1): return Reading(end: index + 1, spoken: "squared")
        case "³" where text.isLetter(index - 1): return Reading(end: index + 1, spoken: "cubed")
        default:
            guard scalar.value >= 0xBC, let (numerator, denominator) = vulgarFractions[scalar] else { return nil }
            return Reading(end: index + 1, spoken: NumberWords.fraction(numerator: numerator, denominator: denominator))
        }
    }
}
