// The `Precompiled` normalizer: SentencePiece's `precompiled_charsmap` (its normalization rules,
// e.g. nmt_nfkc), read and applied as the `spm_precompiled` crate and tokenizers'
// normalizers/precompiled.rs do. The blob is [u32 trie size in bytes][double-array trie, u32
// units][replacement strings, each ended by NUL]; a trie value is an offset into the strings.
import Foundation

extension TokenizerJSON {
    struct PrecompiledCharsmap: Sendable {
        private let units: [UInt32]     // the double-array trie (Darts-clone units)
        private let replacements: [UInt8]  // UTF-8 strings, NUL-terminated

        init(base64: String, location: String) throws(FormatError) {
            guard let data = Data(base64Encoded: base64) else {
                throw .invalid(location: location, message: "precompiled_charsmap is not base64")
            }
            let bytes = [UInt8](data)
            func u32(at offset: Int) -> UInt32 {
                UInt32(bytes[offset]) | UInt32(bytes[offset + 1]) << 8 | UInt32(bytes[offset + 2]) << 16 | UInt32(bytes[offset + 3]) << 24
            }
            guard bytes.count >= 4 else { throw .invalid(location: location, message: "precompiled_charsmap too short") }
            let unitCount = Int(u32(at: 0)) / 4
            guard 4 + 4 * unitCount <= bytes.count else {
                throw .invalid(location: location, message: "precompiled_charsmap trie larger than the blob")
            }
            units = (0..<unitCount).map { u32(at: 4 + 4 * $0) }
            replacements = Array(bytes[(4 + 4 * unitCount)...])
            guard String(validating: replacements, as: UTF8.self) != nil else {
                throw .invalid(location: location, message: "precompiled_charsmap strings are not UTF-8")
            }
        }

        /// `Precompiled::transform`: the replacement of the *shortest* prefix of `key` found in
        /// the trie (the first result of `common_prefix_search`; the search stops at a NUL byte),
        /// or nil when no prefix is there.
        func transform(_ key: some Sequence<UInt8>) -> [Unicode.Scalar]? {
            guard !units.isEmpty else { return nil }
            func offset(_ unit: UInt32) -> Int { Int((unit >> 10) << ((unit & (1 << 9)) >> 6)) }
            var position = offset(units[0])
            for byte in key {
                if byte == 0 { return nil }
                position ^= Int(byte)
                guard position < units.count else { return nil }
                let unit = units[position]
                guard unit & ((1 << 31) | 0xFF) == UInt32(byte) else { return nil }
                position ^= offset(unit)
                if (unit >> 8) & 1 == 1 {
                    guard position < units.count else { return nil }
                    let start = Int(units[position] & ((1 << 31) - 1))
                    guard start <= replacements.count else { return nil }
                    let end = replacements[start...].firstIndex(of: 0) ?? replacements.count
                    return Array(String(decoding: replacements[start..<end], as: UTF8.self).unicodeScalars)
                }
            }
            return nil
        }

        /// `Precompiled::normalize`: per grapheme cluster shorter than 6 UTF-8 bytes, the
        /// replacement of the cluster (of its shortest known prefix, as the crate does); otherwise,
        /// or when none, the replacement of each scalar.
        func normalize(_ text: inout NormalizedText) {
            var dest: [(scalar: Unicode.Scalar, change: Int)] = []
            dest.reserveCapacity(text.count)
            var modified = false
            for grapheme in text.string {
                if grapheme.utf8.count < 6, let replacement = transform(grapheme.utf8) {
                    modified = true
                    Self.replace(&dest, removing: grapheme.unicodeScalars.count, with: replacement)
                    continue
                }
                for scalar in grapheme.unicodeScalars {
                    if let replacement = transform(scalar.utf8) {
                        modified = true
                        Self.replace(&dest, removing: 1, with: replacement)
                    } else {
                        dest.append((scalar, 0))
                    }
                }
            }
            if modified { text.transform(dest, initialOffset: 0) }
        }

        /// precompiled.rs `replace`: the changes of `old` scalars becoming `new` ones (the last
        /// extra ones inserted; a shrink charged to the last scalar written so far).
        static func replace(_ dest: inout [(scalar: Unicode.Scalar, change: Int)], removing old: Int, with new: [Unicode.Scalar]) {
            dest.append(contentsOf: new.map { ($0, 0) })
            let diff = new.count - old
            if diff > 0 {
                for i in (dest.count - diff)..<dest.count { dest[i].change = 1 }
            } else if diff < 0, !dest.isEmpty {
                dest[dest.count - 1].change += diff
            }
        }
    }
}
