// Python `str` semantics on Unicode code points, as the reference text pipeline
// (`prepare_text_prompt`, `split_into_best_sentences`, `_is_decimal_period_boundary`) uses them. Python indexes, strips and
// splits strings by code point; Swift's `Character` is a grapheme cluster ("\r\n" is one
// Character, "e\u{301}" too) and `String ==` ignores canonical differences, so everything here
// works on `[Unicode.Scalar]` and never goes through `Character`.
//
// The character predicates use Swift's Unicode tables (the stdlib's own data, Unicode 16 for
// Swift 6.3) seen as of the reference Python's Unicode version (3.11: unicodedata 14.0): a code
// point assigned later is unassigned (not upper case, not alphanumeric, upper-cases to itself),
// and an upper-case mapping into later code points does not exist ("ƛ" has an upper case
// "Ƛ" only since Unicode 16). Checked against Python on every code point in the tests.

/// Python `str` operations on code-point arrays.
enum PythonText {
    /// `ch.isspace()`: general category Zs or bidirectional class WS, B or S. That is
    /// Unicode White_Space plus the information separators U+001C...U+001F.
    static func isSpace(_ scalar: Unicode.Scalar) -> Bool {
        switch scalar.value {
        case 0x09...0x0D, 0x1C...0x20, 0x85, 0xA0, 0x1680, 0x2000...0x200A,
             0x2028, 0x2029, 0x202F, 0x205F, 0x3000:
            true
        default:
            false
        }
    }

    /// The Unicode version of the reference's Python (3.11.7: `unicodedata.unidata_version`).
    static let unicodeVersion: Unicode.Version = (major: 14, minor: 0)

    /// True when `scalar` is assigned in `unicodeVersion`.
    static func isAssigned(_ scalar: Unicode.Scalar) -> Bool {
        guard let age = scalar.properties.age else { return false }
        return (age.major, age.minor) <= (unicodeVersion.major, unicodeVersion.minor)
    }

    /// `ch.isupper()` for one code point: the Unicode Uppercase property (Lu and Other_Uppercase,
    /// so not titlecase letters such as "ǅ").
    static func isUpper(_ scalar: Unicode.Scalar) -> Bool {
        isAssigned(scalar) && scalar.properties.isUppercase
    }

    /// `ch.upper()` for one code point: the full (SpecialCasing) uppercase mapping, which can
    /// be several code points ("ß" → "SS", "ŉ" → "ʼN").
    static func upper(_ scalar: Unicode.Scalar) -> [Unicode.Scalar] {
        let mapped = Array(scalar.properties.uppercaseMapping.unicodeScalars)
        return mapped.allSatisfy(isAssigned) ? mapped : [scalar]
    }

    /// `ch.isalnum()` for one code point: `isalpha()` (categories Lu, Ll, Lt, Lm, Lo) or
    /// `isnumeric()` (any Numeric_Type, which includes isdecimal and isdigit, and CJK numerals
    /// such as "一").
    static func isAlnum(_ scalar: Unicode.Scalar) -> Bool {
        guard isAssigned(scalar) else { return false }
        return switch scalar.properties.generalCategory {
        case .uppercaseLetter, .lowercaseLetter, .titlecaseLetter, .modifierLetter, .otherLetter:
            true
        default:
            scalar.properties.numericType != nil
        }
    }

    /// `ch.isdigit()` for one code point: Numeric_Type Decimal or Digit ("3", "٣", "²"; not
    /// "½" or "一", which are Numeric).
    static func isDigit(_ scalar: Unicode.Scalar) -> Bool {
        guard isAssigned(scalar), let type = scalar.properties.numericType else { return false }
        return type == .decimal || type == .digit
    }

    /// `s.strip()`: drops leading and trailing `isSpace` code points.
    static func strip(_ scalars: [Unicode.Scalar]) -> [Unicode.Scalar] {
        guard let first = scalars.firstIndex(where: { !isSpace($0) }),
              let last = scalars.lastIndex(where: { !isSpace($0) })
        else { return [] }
        return Array(scalars[first...last])
    }

    /// `s.split()`: the runs of non-`isSpace` code points.
    static func split(_ scalars: [Unicode.Scalar]) -> [[Unicode.Scalar]] {
        scalars.split(whereSeparator: isSpace).map(Array.init)
    }

    /// `s.replace(old, new)`: one left-to-right pass over non-overlapping occurrences, so
    /// "   ".replace("  ", " ") is "  " (a single pass does not collapse every run).
    static func replace(
        _ scalars: [Unicode.Scalar], _ old: [Unicode.Scalar], with new: [Unicode.Scalar]
    ) -> [Unicode.Scalar] {
        precondition(!old.isEmpty, "replace of an empty pattern is not used")
        var result: [Unicode.Scalar] = []
        result.reserveCapacity(scalars.count)
        var index = 0
        while index < scalars.count {
            if index + old.count <= scalars.count, scalars[index..<index + old.count].elementsEqual(old) {
                result += new
                index += old.count
            } else {
                result.append(scalars[index])
                index += 1
            }
        }
        return result
    }
}

extension String {
    /// The string's code points, as Python indexes them.
    var codePoints: [Unicode.Scalar] { Array(unicodeScalars) }

    /// The string made of exactly these code points (no normalization).
    init(codePoints: [Unicode.Scalar]) {
        var view = String.UnicodeScalarView()
        view.append(contentsOf: codePoints)
        self.init(view)
    }
}
