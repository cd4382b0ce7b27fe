// ScalarText.swift: the read-only view of a text that the normalizer's rules look at: code
// points by index (nil outside the text), character classes, and small matchers.

struct ScalarText: Sendable {
    let scalars: [Unicode.Scalar]

    init(_ scalars: [Unicode.Scalar]) { self.scalars = scalars }

    var count: Int { scalars.count }

    /// The code point at `index`, nil outside the text.
    subscript(_ index: Int) -> Unicode.Scalar? {
        scalars.indices.contains(index) ? scalars[index] : nil
    }

    func isDigit(_ index: Int) -> Bool { self[index].map(NumberWords.isASCIIDigit) ?? false }
    func isLetter(_ index: Int) -> Bool { self[index].map(Self.isLetter) ?? false }
    func isAlnum(_ index: Int) -> Bool { self[index].map(Self.isAlnum) ?? false }
    func isSpace(_ index: Int) -> Bool { self[index].map(Self.isSpace) ?? false }
    func isUpper(_ index: Int) -> Bool { self[index].map { $0.properties.isUppercase } ?? false }
    func isLower(_ index: Int) -> Bool { self[index].map { $0.properties.isLowercase } ?? false }
    /// The code point at `index` is one of `candidates` (a short literal: no set to build).
    func `is`(_ index: Int, oneOf candidates: String) -> Bool {
        guard let scalar = self[index] else { return false }
        return candidates.unicodeScalars.contains(scalar)
    }

    /// A token starts at `index`: nothing before it, or not a letter or digit.
    func startsToken(_ index: Int) -> Bool { !isAlnum(index - 1) }

    /// A token ends before `index`: nothing there, or not a letter or digit.
    func endsToken(_ index: Int) -> Bool { !isAlnum(index) }

    /// The end of the run of ASCII digits starting at `index` (`index` if none).
    func digitsEnd(from index: Int) -> Int {
        var end = index
        while isDigit(end) { end += 1 }
        return end
    }

    /// The digits' values in `range`.
    func digits(_ range: Range<Int>) -> [Int] {
        scalars[range].map { Int($0.value) - 48 }
    }

    /// The integer value of the ASCII digits in `range` (at most 18 of them).
    func value(_ range: Range<Int>) -> Int {
        precondition(range.count <= 18)
        return digits(range).reduce(0) { $0 * 10 + $1 }
    }

    /// The end of the run of letters starting at `index` (`index` if none).
    func lettersEnd(from index: Int) -> Int {
        var end = index
        while isLetter(end) { end += 1 }
        return end
    }

    func string(_ range: Range<Int>) -> String { String(codePoints: Array(scalars[range])) }

    /// The end of `literal` if the text has it at `index`.
    func match(_ literal: String, at index: Int, ignoringCase: Bool = false) -> Int? {
        var end = index
        for expected in literal.unicodeScalars {
            guard let scalar = self[end] else { return nil }
            if ignoringCase {
                guard Self.asciiLowercase(scalar) == Self.asciiLowercase(expected) else { return nil }
            } else {
                guard scalar == expected else { return nil }
            }
            end += 1
        }
        return end
    }

    /// Skips one space (or no-break space) at `index`.
    func afterOptionalSpace(_ index: Int) -> Int {
        self.is(index, oneOf: Self.inlineSpaces) ? index + 1 : index
    }

    /// Where the next word starts after `index` (skipping spaces), and the word's letters.
    func nextWord(after index: Int) -> (start: Int, word: String)? {
        var start = index
        while isSpace(start) { start += 1 }
        let end = lettersEnd(from: start)
        return end > start ? (start, string(start..<end)) : nil
    }

    /// The word of letters ending just before `index` (skipping spaces before it).
    func previousWord(before index: Int) -> String? {
        var end = index
        while isSpace(end - 1) { end -= 1 }
        var start = end
        while isLetter(start - 1) { start -= 1 }
        return end > start ? string(start..<end) : nil
    }

    /// Nothing but whitespace follows `index`.
    func onlySpaceAfter(_ index: Int) -> Bool {
        (index..<count).allSatisfy { isSpace($0) }
    }

    /// Whitespace then a capital letter follows `index`, or nothing but whitespace: a dot at
    /// `index - 1` may end a sentence.
    func sentenceMayEnd(at index: Int) -> Bool {
        if onlySpaceAfter(index) { return true }
        guard isSpace(index) else { return false }
        var next = index
        while isSpace(next) { next += 1 }
        return isUpper(next)
    }

    /// A space, a no-break space, a narrow no-break space.
    static let inlineSpaces = " \u{A0}\u{202F}"

    /// ASCII letters lower-cased (literals matched ignoring case are ASCII).
    static func asciiLowercase(_ scalar: Unicode.Scalar) -> UInt32 {
        ("A"..."Z").contains(scalar) ? scalar.value + 32 : scalar.value
    }

    // ASCII first: these run at every position of every text.
    static func isLetter(_ scalar: Unicode.Scalar) -> Bool {
        if scalar.isASCII { return ("a"..."z").contains(scalar) || ("A"..."Z").contains(scalar) }
        return scalar.properties.isAlphabetic
    }
    static func isAlnum(_ scalar: Unicode.Scalar) -> Bool {
        if scalar.isASCII { return isLetter(scalar) || ("0"..."9").contains(scalar) }
        return scalar.properties.isAlphabetic || scalar.properties.numericType != nil
    }
    static func isSpace(_ scalar: Unicode.Scalar) -> Bool {
        if scalar.isASCII { return scalar == " " || ("\t"..."\r").contains(scalar) }
        return scalar.properties.isWhitespace
    }
}
