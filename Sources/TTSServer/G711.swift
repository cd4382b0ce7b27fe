// G711.swift: ITU-T G.711 μ-law and A-law, as in the reference C implementation by Sun
// Microsystems (g711.c, public domain) that telephony stacks and Python's audioop use.
// 16-bit linear PCM in, one byte per sample out, and back.

public enum G711 {
    public enum Law: Sendable {
        case muLaw, aLaw
    }

    /// Segment end points of the 14-bit μ-law magnitude (after the bias) and the 13-bit A-law one.
    private static let muLawSegmentEnds: [Int32] = [0x3F, 0x7F, 0xFF, 0x1FF, 0x3FF, 0x7FF, 0xFFF, 0x1FFF]
    private static let aLawSegmentEnds: [Int32] = [0x1F, 0x3F, 0x7F, 0xFF, 0x1FF, 0x3FF, 0x7FF, 0xFFF]

    /// The first segment whose end is at least `value` (8 if none).
    private static func segment(_ value: Int32, _ ends: [Int32]) -> Int32 {
        for (index, end) in ends.enumerated() where value <= end { return Int32(index) }
        return 8
    }

    /// μ-law code of a 16-bit sample (`linear2ulaw`).
    public static func muLaw(_ sample: Int16) -> UInt8 {
        var value = Int32(sample) >> 2  // 14-bit
        let mask: Int32
        if value < 0 {
            value = -value
            mask = 0x7F
        } else {
            mask = 0xFF
        }
        value = min(value, 8159) + (0x84 >> 2)  // clip, add the bias
        let seg = segment(value, muLawSegmentEnds)
        if seg >= 8 { return UInt8(0x7F ^ mask) }
        return UInt8(((seg << 4) | ((value >> (seg + 1)) & 0xF)) ^ mask)
    }

    /// A-law code of a 16-bit sample (`linear2alaw`).
    public static func aLaw(_ sample: Int16) -> UInt8 {
        var value = Int32(sample) >> 3  // 13-bit
        let mask: Int32
        if value >= 0 {
            mask = 0xD5  // sign bit set, even bits inverted
        } else {
            mask = 0x55
            value = -value - 1
        }
        let seg = segment(value, aLawSegmentEnds)
        if seg >= 8 { return UInt8(0x7F ^ mask) }
        var code = seg << 4
        code |= seg < 2 ? (value >> 1) & 0xF : (value >> seg) & 0xF
        return UInt8(code ^ mask)
    }

    /// The 16-bit sample a μ-law code stands for (`ulaw2linear`).
    public static func linear(muLaw code: UInt8) -> Int16 {
        let u = Int32(~code)
        let t = (((u & 0x0F) << 3) + 0x84) << ((u & 0x70) >> 4)
        return Int16(u & 0x80 != 0 ? 0x84 - t : t - 0x84)
    }

    /// The 16-bit sample an A-law code stands for (`alaw2linear`).
    public static func linear(aLaw code: UInt8) -> Int16 {
        let a = Int32(code ^ 0x55)
        var t = (a & 0x0F) << 4
        let seg = (a & 0x70) >> 4
        switch seg {
        case 0: t += 8
        case 1: t += 0x108
        default: t = (t + 0x108) << (seg - 1)
        }
        return Int16(a & 0x80 != 0 ? t : -t)
    }

    public static func encode(_ sample: Int16, law: Law) -> UInt8 {
        law == .muLaw ? muLaw(sample) : aLaw(sample)
    }

    public static func decode(_ code: UInt8, law: Law) -> Int16 {
        law == .muLaw ? linear(muLaw: code) : linear(aLaw: code)
    }
}
