// The patterns of Replace and Split: a literal string or a regular expression, matched as
// `tokenizers`' `Pattern::find_matches` does (the whole text as consecutive match / non-match
// pieces). tokenizers compiles both kinds with Oniguruma; here a literal is searched directly and
// a regex runs on ICU (NSRegularExpression) with the options that give Oniguruma's defaults
// (`.` matches a newline, `^`/`$` match at "\n"). Their syntaxes agree on the patterns converters
// write (`\A▁`, ` {2,}`, `\A +| +\z`, escaped literals, `\d`, `\s`, `\w`, `\p{L}`).
import Foundation

extension TokenizerJSON {
    struct Pattern: Sendable {
        private enum Kind: Sendable {
            case literal([Unicode.Scalar])
            case regex(CompiledRegex)
        }
        private let kind: Kind

        init(literal: String) throws(FormatError) {
            guard !literal.isEmpty else { throw .unsupported(location: "pattern", type: "empty String pattern") }
            kind = .literal(Array(literal.unicodeScalars))
        }

        init(regex: String, location: String) throws(FormatError) {
            do {
                kind = .regex(CompiledRegex(try NSRegularExpression(
                    pattern: regex, options: [.anchorsMatchLines, .dotMatchesLineSeparators, .useUnixLineSeparators])))
            } catch {
                throw .invalid(location: location, message: "cannot compile regex \(regex.debugDescription): \(error)")
            }
        }

        /// The text cut into consecutive pieces (scalar index ranges), each flagged as a match or
        /// not; an empty text is one empty non-match, as in `find_matches`.
        func findMatches(_ scalars: [Unicode.Scalar]) -> [(range: Range<Int>, isMatch: Bool)] {
            if scalars.isEmpty { return [(0..<0, false)] }
            let matches = switch kind {
            case .literal(let needle): Self.literalMatches(needle, in: scalars)
            case .regex(let regex): regex.matches(in: scalars)
            }
            var pieces: [(range: Range<Int>, isMatch: Bool)] = []
            pieces.reserveCapacity(2 * matches.count + 1)
            var previous = 0
            for match in matches {
                if previous != match.lowerBound { pieces.append((previous..<match.lowerBound, false)) }
                pieces.append((match, true))
                previous = match.upperBound
            }
            if previous != scalars.count { pieces.append((previous..<scalars.count, false)) }
            return pieces
        }

        /// Leftmost non-overlapping occurrences of `needle`.
        private static func literalMatches(_ needle: [Unicode.Scalar], in text: [Unicode.Scalar]) -> [Range<Int>] {
            var matches: [Range<Int>] = []
            guard needle.count <= text.count else { return matches }
            var i = 0
            while i + needle.count <= text.count {
                if text[i] == needle[0] && text[i..<i + needle.count].elementsEqual(needle) {
                    matches.append(i..<i + needle.count)
                    i += needle.count
                } else {
                    i += 1
                }
            }
            return matches
        }
    }

    /// A compiled NSRegularExpression. `@unchecked Sendable`: it is immutable after init and
    /// documented as safe to use from several threads at once.
    final class CompiledRegex: @unchecked Sendable {
        private let regex: NSRegularExpression

        init(_ regex: NSRegularExpression) { self.regex = regex }

        /// Match ranges in scalar indices, in order.
        func matches(in scalars: [Unicode.Scalar]) -> [Range<Int>] {
            var text = String.UnicodeScalarView()
            text.append(contentsOf: scalars)
            let string = String(text)
            let found = regex.matches(in: string, options: [], range: NSRange(location: 0, length: string.utf16.count))
            // UTF-16 offsets to scalar indices, walking both in step (matches come in order).
            var result: [Range<Int>] = []
            result.reserveCapacity(found.count)
            var walked = 0        // scalars passed
            var walkedUTF16 = 0   // their UTF-16 length
            func index(atUTF16 target: Int) -> Int {
                while walkedUTF16 < target && walked < scalars.count {
                    walkedUTF16 += scalars[walked].utf16.count
                    walked += 1
                }
                return walked
            }
            for match in found where match.range.location != NSNotFound {
                let lower = index(atUTF16: match.range.location)
                let upper = index(atUTF16: match.range.location + match.range.length)
                result.append(lower..<upper)
            }
            return result
        }
    }
}
