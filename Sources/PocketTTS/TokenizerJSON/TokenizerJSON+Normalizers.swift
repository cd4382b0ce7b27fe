// The normalizers of tokenizer.json (tokenizers' normalizers/*.rs), each editing a
// NormalizedText as its Rust counterpart edits a NormalizedString.
import Foundation

extension TokenizerJSON {
    indirect enum Normalizer: Sendable {
        case sequence([Normalizer])
        case replace(Pattern, content: [Unicode.Scalar])
        case precompiled(PrecompiledCharsmap)
        case unicode(UnicodeForm)
        case strip(left: Bool, right: Bool)
        case prepend([Unicode.Scalar])
        case lowercase
        case nmt
        case stripAccents

        enum UnicodeForm: Sendable { case nfc, nfd, nfkc, nfkd }

        init(_ node: JSONNode) throws(FormatError) {
            guard let type = node.type else { throw node.invalid("normalizer without \"type\"") }
            switch type {
            case "Sequence":
                var normalizers: [Normalizer] = []
                for child in try node.required("normalizers").array() { normalizers.append(try Normalizer(child)) }
                self = .sequence(normalizers)
            case "Replace":
                self = .replace(try node.required("pattern").pattern(),
                                content: Array(try node.required("content").string().unicodeScalars))
            case "Precompiled":
                let charsmap = try node.required("precompiled_charsmap")
                self = .precompiled(try PrecompiledCharsmap(base64: charsmap.string(), location: charsmap.location))
            case "NFC": self = .unicode(.nfc)
            case "NFD": self = .unicode(.nfd)
            case "NFKC": self = .unicode(.nfkc)
            case "NFKD": self = .unicode(.nfkd)
            case "Strip":
                self = .strip(left: try node.required("strip_left").bool(), right: try node.required("strip_right").bool())
            case "Prepend": self = .prepend(Array(try node.required("prepend").string().unicodeScalars))
            case "Lowercase": self = .lowercase
            case "Nmt": self = .nmt
            case "StripAccents": self = .stripAccents
            default: throw .unsupported(location: node.location, type: type)
            }
        }

        func normalize(_ text: inout NormalizedText) {
            switch self {
            case .sequence(let normalizers):
                for normalizer in normalizers { normalizer.normalize(&text) }
            case .replace(let pattern, let content):
                text.replace(pattern, with: content)
            case .precompiled(let charsmap):
                charsmap.normalize(&text)
            case .unicode(let form):
                Self.normalize(&text, form: form)
            case .strip(let left, let right):
                text.strip(left: left, right: right)
            case .prepend(let prefix):
                text.prepend(prefix)
            case .lowercase:
                Self.lowercase(&text)
            case .nmt:
                text.filter { scalar in
                    switch scalar.value {
                    case 0x01...0x08, 0x0B, 0x0E...0x1F, 0x7F, 0x8F, 0x9F: false
                    default: true
                    }
                }
                text.map { scalar in
                    switch scalar.value {
                    case 0x09, 0x0A, 0x0C, 0x0D, 0x1680, 0x200B...0x200F, 0x2028, 0x2029, 0x2581, 0xFEFF, 0xFFFD: " "
                    default: scalar
                    }
                }
            case .stripAccents:
                text.filter { scalar in
                    switch scalar.properties.generalCategory {
                    case .nonspacingMark, .spacingMark, .enclosingMark: false
                    default: true
                    }
                }
            }
        }

        /// `NormalizedString::lowercase`: Unicode full lowercase mapping of each scalar
        /// (`char::to_lowercase`), the extra scalars of a longer mapping inserted.
        private static func lowercase(_ text: inout NormalizedText) {
            var dest: [(scalar: Unicode.Scalar, change: Int)] = []
            dest.reserveCapacity(text.count)
            for scalar in text.scalars {
                if scalar.isASCII {
                    let lower = (0x41...0x5A).contains(scalar.value) ? Unicode.Scalar(scalar.value + 0x20)! : scalar
                    dest.append((lower, 0))
                    continue
                }
                for (i, lower) in scalar.properties.lowercaseMapping.unicodeScalars.enumerated() {
                    dest.append((lower, i > 0 ? 1 : 0))
                }
            }
            text.transform(dest, initialOffset: 0)
        }

        /// NFC/NFD/NFKC/NFKD: nothing when Foundation's normalization leaves the text as it is,
        /// else one grapheme cluster at a time (ASCII is left alone). A cluster that changes is charged like precompiled.rs
        /// `replace`: its first scalars replace the old ones, extra ones are inserted. tokenizers'
        /// own per-scalar changes differ inside a cluster, where no split of ours ever starts.
        private static func normalize(_ text: inout NormalizedText, form: UnicodeForm) {
            func apply(_ string: String) -> String {
                switch form {
                case .nfc: string.precomposedStringWithCanonicalMapping
                case .nfd: string.decomposedStringWithCanonicalMapping
                case .nfkc: string.precomposedStringWithCompatibilityMapping
                case .nfkd: string.decomposedStringWithCompatibilityMapping
                }
            }
            let whole = text.string
            if text.scalars.allSatisfy(\.isASCII) || apply(whole).unicodeScalars.elementsEqual(text.scalars) { return }
            var dest: [(scalar: Unicode.Scalar, change: Int)] = []
            dest.reserveCapacity(text.count)
            var changed = false
            for grapheme in whole {
                let scalars = grapheme.unicodeScalars
                if scalars.count == 1, let scalar = scalars.first, scalar.isASCII {
                    dest.append((scalar, 0))
                    continue
                }
                let normalized = apply(String(grapheme))
                if normalized.unicodeScalars.elementsEqual(scalars) {
                    dest.append(contentsOf: scalars.map { ($0, 0) })
                } else {
                    changed = true
                    PrecompiledCharsmap.replace(&dest, removing: scalars.count, with: Array(normalized.unicodeScalars))
                }
            }
            if changed { text.transform(dest, initialOffset: 0) }
        }
    }
}
