// PCMEncoders.swift: uncompressed formats — 16-bit PCM, 32-bit float PCM, G.711 μ-law/A-law
// and streaming WAV. Each message carries the samples of one input frame (after resampling,
// whatever the resampler had ready).

import AudioIO

/// Uncompressed PCM at any rate: resampled, then each sample encoded by `bytes`.
public class PCMEncoder: AudioEncoder {
    public let format: AudioFormat
    public let sampleRate: Int
    private let rate: RateConverter
    private let bytes: ([Float]) -> [UInt8]

    init(format: AudioFormat, sampleRate: Int, bytes: @escaping ([Float]) -> [UInt8]) throws(AudioEncoderError) {
        self.format = format
        self.sampleRate = sampleRate
        self.bytes = bytes
        rate = try RateConverter(outputRate: sampleRate)
    }

    public func encode(_ frame: [Float]) throws(AudioEncoderError) -> [[UInt8]] {
        message(bytes(try rate.process(frame)))
    }

    public func finish() throws(AudioEncoderError) -> [[UInt8]] {
        message(bytes(try rate.flush()))
    }
}

/// Signed 16-bit little-endian PCM (the reference's conversion).
public final class PCM16Encoder: PCMEncoder {
    public init(sampleRate: Int = engineSampleRate) throws(AudioEncoderError) {
        try super.init(format: .pcm, sampleRate: sampleRate, bytes: pcm16Bytes)
    }
}

/// 32-bit float little-endian PCM, unclamped.
public final class PCMFloatEncoder: PCMEncoder {
    public init(sampleRate: Int = engineSampleRate) throws(AudioEncoderError) {
        try super.init(format: .pcmF32, sampleRate: sampleRate, bytes: PCMFloatEncoder.bytes)
    }

    static func bytes(_ samples: [Float]) -> [UInt8] {
        guard !samples.isEmpty else { return [] }  // see pcm16Bytes
        return [UInt8](unsafeUninitializedCapacity: samples.count * 4) { bytes, count in
            for (i, sample) in samples.enumerated() {
                let bits = sample.bitPattern
                for b in 0..<4 { bytes[4 * i + b] = UInt8(truncatingIfNeeded: bits >> (8 * b)) }
            }
            count = samples.count * 4
        }
    }
}

/// G.711 μ-law or A-law, one byte per sample (usually at 8000 Hz).
public final class G711Encoder: AudioEncoder {
    public let law: G711.Law
    public var format: AudioFormat { law == .muLaw ? .mulaw : .alaw }
    public let sampleRate: Int
    private let rate: RateConverter

    public init(law: G711.Law, sampleRate: Int = 8000) throws(AudioEncoderError) {
        self.law = law
        self.sampleRate = sampleRate
        rate = try RateConverter(outputRate: sampleRate)
    }

    public func encode(_ frame: [Float]) throws(AudioEncoderError) -> [[UInt8]] {
        message(codes(try rate.process(frame)))
    }

    public func finish() throws(AudioEncoderError) -> [[UInt8]] {
        message(codes(try rate.flush()))
    }

    private func codes(_ samples: [Float]) -> [UInt8] {
        law == .muLaw ? samples.map { G711.muLaw(pcm16($0)) } : samples.map { G711.aLaw(pcm16($0)) }
    }
}

/// A WAV stream of 16-bit mono PCM. The length is unknown when it starts, so the RIFF and data
/// sizes are 0xFFFFFFFF (what streaming players and ffmpeg accept); the first message starts
/// with the 44-byte header.
public final class WAVEncoder: AudioEncoder {
    public var format: AudioFormat { .wav }
    public let sampleRate: Int
    private let rate: RateConverter
    private var headerSent = false

    public init(sampleRate: Int = engineSampleRate) throws(AudioEncoderError) {
        self.sampleRate = sampleRate
        rate = try RateConverter(outputRate: sampleRate)
    }

    public func encode(_ frame: [Float]) throws(AudioEncoderError) -> [[UInt8]] {
        message(withHeader(pcm16Bytes(try rate.process(frame))))
    }

    /// The rest of the samples; the header alone if nothing was sent yet.
    public func finish() throws(AudioEncoderError) -> [[UInt8]] {
        let rest = pcm16Bytes(try rate.flush())
        if headerSent { return message(rest) }
        headerSent = true
        return [Self.header(sampleRate: sampleRate) + rest]
    }

    private func withHeader(_ data: [UInt8]) -> [UInt8] {
        guard !headerSent, !data.isEmpty else { return data }
        headerSent = true
        return Self.header(sampleRate: sampleRate) + data
    }

    /// The 44-byte canonical header: PCM, mono, 16 bits, sizes unknown (0xFFFFFFFF).
    public static func header(sampleRate: Int) -> [UInt8] {
        func u32(_ v: UInt32) -> [UInt8] { (0..<4).map { UInt8(truncatingIfNeeded: v >> (8 * $0)) } }
        func u16(_ v: UInt16) -> [UInt8] { [UInt8(truncatingIfNeeded: v), UInt8(truncatingIfNeeded: v >> 8)] }
        let rate = UInt32(sampleRate)
        return Array("RIFF".utf8) + u32(0xFFFF_FFFF) + Array("WAVE".utf8)
            + Array("fmt ".utf8) + u32(16) + u16(1) + u16(1) + u32(rate) + u32(rate * 2) + u16(2) + u16(16)
            + Array("data".utf8) + u32(0xFFFF_FFFF)
    }
}

/// No message for no bytes.
func message(_ bytes: [UInt8]) -> [[UInt8]] {
    bytes.isEmpty ? [] : [bytes]
}
