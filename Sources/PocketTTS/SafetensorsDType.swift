/// The element types this package reads and writes in safetensors files, named as in the
/// file header. Values are always handed out as Float32 (I64: the voice states' positions,
/// exact below 2^24).
public enum SafetensorsDType: String, Sendable, CaseIterable, Codable {
    case float32 = "F32"
    case bfloat16 = "BF16"
    case float16 = "F16"
    case int64 = "I64"

    /// Bytes per element.
    public var byteCount: Int {
        switch self {
        case .float32: 4
        case .bfloat16, .float16: 2
        case .int64: 8
        }
    }
}

/// Bit-level conversions between Float32 and the 16-bit float formats (host little-endian).
public enum FloatConversion {
    /// bfloat16 bits → Float32 (exact: bfloat16 is the top half of a Float32).
    @inline(__always)
    public static func float(fromBFloat16 bits: UInt16) -> Float {
        Float(bitPattern: UInt32(bits) << 16)
    }

    /// Float32 → bfloat16 bits, rounding to nearest, ties to even (as torch does).
    /// NaN becomes the canonical quiet NaN 0x7FC0; values past the bfloat16 range round to ±infinity.
    @inline(__always)
    public static func bfloat16(from value: Float) -> UInt16 {
        let bits = value.bitPattern
        if value.isNaN {
            return 0x7FC0
        }
        let roundingBias: UInt32 = 0x7FFF + ((bits >> 16) & 1)
        return UInt16(truncatingIfNeeded: (bits &+ roundingBias) >> 16)
    }

    /// IEEE half-precision bits → Float32 (exact, subnormals included).
    @inline(__always)
    public static func float(fromFloat16 bits: UInt16) -> Float {
        let sign = UInt32(bits & 0x8000) << 16
        let exponent = UInt32(bits >> 10) & 0x1F
        let mantissa = UInt32(bits & 0x03FF)
        switch exponent {
        case 0:
            // Zero or subnormal: mantissa · 2^-24.
            let magnitude = Float(mantissa) * 0x1p-24
            return sign == 0 ? magnitude : -magnitude
        case 0x1F:
            return Float(bitPattern: sign | 0x7F80_0000 | (mantissa << 13))
        default:
            return Float(bitPattern: sign | ((exponent + 112) << 23) | (mantissa << 13))
        }
    }

    /// Decodes `count` elements of `dtype` from `bytes` (any alignment) into `destination`.
    public static func decode(
        _ bytes: UnsafeRawBufferPointer, dtype: SafetensorsDType, into destination: UnsafeMutableBufferPointer<Float>
    ) {
        let count = destination.count
        precondition(bytes.count == count * dtype.byteCount, "byte count does not match element count")
        guard count > 0, let source = bytes.baseAddress, let target = destination.baseAddress else { return }
        switch dtype {
        case .float32:
            UnsafeMutableRawPointer(target).copyMemory(from: source, byteCount: count * 4)
        case .bfloat16:
            for index in 0..<count {
                target[index] = float(fromBFloat16: source.loadUnaligned(fromByteOffset: 2 * index, as: UInt16.self))
            }
        case .float16:
            for index in 0..<count {
                target[index] = float(fromFloat16: source.loadUnaligned(fromByteOffset: 2 * index, as: UInt16.self))
            }
        case .int64:
            for index in 0..<count {
                target[index] = Float(Int64(littleEndian: source.loadUnaligned(fromByteOffset: 8 * index, as: Int64.self)))
            }
        }
    }

    /// Encodes Float32 values as `dtype` little-endian bytes (bfloat16: round to nearest even;
    /// int64: the values must be integers). Float16 output is not supported (precondition): this
    /// package writes F32, BF16 and I64 only.
    public static func encode(_ values: [Float], as dtype: SafetensorsDType) -> [UInt8] {
        precondition(dtype != .float16, "writing F16 is not supported")
        var bytes = [UInt8](repeating: 0, count: values.count * dtype.byteCount)
        bytes.withUnsafeMutableBytes { raw in
            values.withUnsafeBufferPointer { source in
                guard let target = raw.baseAddress, let base = source.baseAddress else { return }
                switch dtype {
                case .float32:
                    target.copyMemory(from: base, byteCount: source.count * 4)
                case .bfloat16:
                    for index in 0..<source.count {
                        target.storeBytes(of: bfloat16(from: base[index]), toByteOffset: 2 * index, as: UInt16.self)
                    }
                case .int64:
                    for index in 0..<source.count {
                        let value = base[index]
                        precondition(value == value.rounded() && abs(value) < 0x1p63, "FloatConversion: \(value) is not an int64")
                        target.storeBytes(of: Int64(value).littleEndian, toByteOffset: 8 * index, as: Int64.self)
                    }
                case .float16:
                    break
                }
            }
        }
        return bytes
    }
}
