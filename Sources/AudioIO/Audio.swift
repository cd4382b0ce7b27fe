// Audio: mono samples and their rate, and the reference's 16-bit conversion.

/// Mono audio: samples in [-1, 1] and their rate.
public struct Audio: Sendable, Equatable {
    public var samples: [Float]  // [T]
    public var sampleRate: Int

    public init(samples: [Float], sampleRate: Int) {
        self.samples = samples
        self.sampleRate = sampleRate
    }

    public var duration: Double { Double(samples.count) / Double(sampleRate) }
}

/// A float sample as 16-bit PCM the way the reference writes it: clamp to [-1, 1], scale by
/// 32767, truncate toward zero (`(x.clamp(-1, 1) * 32767).short()`). NaN becomes 0.
@inlinable
public func pcm16(_ sample: Float) -> Int16 {
    if sample.isNaN { return 0 }
    return Int16(min(max(sample, -1), 1) * 32767)
}

/// Sample encodings for written WAV files.
public enum SampleFormat: String, Sendable, CaseIterable {
    /// 16-bit PCM, converted as the reference does: `(clamp(x, -1, 1) * 32767)` truncated.
    case s16
    /// 32-bit float, the samples unchanged (what parity checks compare).
    case f32
}
