// AudioEncoder.swift: turns the engine's audio (24 kHz mono Float32, one 80 ms frame of 1920
// samples at a time) into the bytes of the client's chosen format and rate. One encoder per
// turn; each returned payload is one WebSocket message. Encoders belong to one thread (the
// consumer) at a time.
import AudioIO

/// Why an encoder could not be made or could not encode.
public enum AudioEncoderError: Error, Equatable, CustomStringConvertible {
    case unsupportedSampleRate(format: AudioFormat, sampleRate: Int)
    case resampler(ResamplerError)
    case opus(OpusError)
    case oggOpus(OggOpusError)
    case mp3(String)
    case flac(String)
    case timeStretch(TimeStretcherError)

    public var description: String {
        switch self {
        case .unsupportedSampleRate(let format, let rate): "\(format.rawValue) cannot be encoded at \(rate) Hz"
        case .resampler(let error): "\(error)"
        case .opus(let error): "\(error)"
        case .oggOpus(let error): "\(error)"
        case .mp3(let detail): "mp3: \(detail)"
        case .flac(let detail): "flac: \(detail)"
        case .timeStretch(let error): "\(error)"
        }
    }
}

/// One turn's audio encoder.
public protocol AudioEncoder: AnyObject {
    var format: AudioFormat { get }
    /// The output sample rate.
    var sampleRate: Int { get }

    /// Encodes the next frame of 24 kHz mono samples ([1920] from the engine; any length is
    /// accepted). Returns the payloads completed, each one message; possibly none.
    func encode(_ frame: [Float]) throws(AudioEncoderError) -> [[UInt8]]

    /// Ends the turn: returns the remaining payloads. Call once, last.
    func finish() throws(AudioEncoderError) -> [[UInt8]]
}

/// The engine's output rate.
public let engineSampleRate = 24000

/// Opus bits per second unless configured: enough to keep the waveform (SNR >= 20 dB on
/// speech at every rate, which the tests check); 24-32 kbps sound fine but match it less.
public let defaultOpusBitrate = 64000

/// The encoder for `format` at `sampleRate`. `opusBitrate`: bits per second for `opus` and
/// `ogg`, nil to let libopus choose. `speed` other than 1: the audio is time-stretched first
/// (`StretchingEncoder`); at 1 the encoder gets the engine's samples untouched.
public func makeAudioEncoder(format: AudioFormat, sampleRate: Int, opusBitrate: Int? = defaultOpusBitrate,
                             speed: Double = 1) throws(AudioEncoderError) -> any AudioEncoder {
    let encoder = try makeAudioEncoder(format: format, sampleRate: sampleRate, opusBitrate: opusBitrate)
    return speed == 1 ? encoder : try StretchingEncoder(encoder, speed: speed)
}

private func makeAudioEncoder(format: AudioFormat, sampleRate: Int, opusBitrate: Int?) throws(AudioEncoderError) -> any AudioEncoder {
    guard TurnConfig.sampleRateRange.contains(sampleRate) else {
        throw .unsupportedSampleRate(format: format, sampleRate: sampleRate)
    }
    switch format {
    case .pcm: return try PCM16Encoder(sampleRate: sampleRate)
    case .pcmF32: return try PCMFloatEncoder(sampleRate: sampleRate)
    case .wav: return try WAVEncoder(sampleRate: sampleRate)
    case .mp3: return try MP3Encoder(sampleRate: sampleRate)
    case .mulaw: return try G711Encoder(law: .muLaw, sampleRate: sampleRate)
    case .alaw: return try G711Encoder(law: .aLaw, sampleRate: sampleRate)
    case .opus: return try OpusPacketEncoder(sampleRate: sampleRate, bitsPerSecond: opusBitrate)
    case .ogg: return try OggOpusEncoder(sampleRate: sampleRate, bitsPerSecond: opusBitrate)
    case .flac: return try FLACEncoder(sampleRate: sampleRate)
    }
}

/// 24 kHz input to the output rate: a streaming libsoxr resampler, or nothing at 24 kHz.
struct RateConverter {
    private let resampler: Resampler?

    init(outputRate: Int) throws(AudioEncoderError) {
        if outputRate == engineSampleRate {
            resampler = nil
        } else {
            do { resampler = try Resampler(inputRate: engineSampleRate, outputRate: outputRate) }
            catch { throw .resampler(error) }
        }
    }

    func process(_ frame: [Float]) throws(AudioEncoderError) -> [Float] {
        guard let resampler else { return frame }
        do { return try resampler.process(frame) } catch { throw .resampler(error) }
    }

    func flush() throws(AudioEncoderError) -> [Float] {
        guard let resampler else { return [] }
        do { return try resampler.flush() } catch { throw .resampler(error) }
    }
}

/// `samples` as 16-bit little-endian PCM. [2 * count]
func pcm16Bytes(_ samples: [Float]) -> [UInt8] {
    // Not for 0 samples: Array(unsafeUninitializedCapacity: 0) writes its count into the shared
    // empty-array storage, a data race between encoder threads (ThreadSanitizer reports it).
    guard !samples.isEmpty else { return [] }
    return [UInt8](unsafeUninitializedCapacity: samples.count * 2) { bytes, count in
        for (i, sample) in samples.enumerated() {
            let bits = UInt16(bitPattern: pcm16(sample))
            bytes[2 * i] = UInt8(truncatingIfNeeded: bits)
            bytes[2 * i + 1] = UInt8(truncatingIfNeeded: bits >> 8)
        }
        count = samples.count * 2
    }
}
