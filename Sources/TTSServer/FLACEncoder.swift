// FLACEncoder.swift: OpenAI's `response_format: flac`, one continuous FLAC stream per turn
// (AudioIO's `FLACStreamWriter` over libsndfile and libFLAC). The header goes out first with
// an unknown length; each message holds the FLAC frames completed by that input frame.
import AudioIO

/// 24 kHz mono frames to a 16-bit mono FLAC stream at `sampleRate`.
public final class FLACEncoder: AudioEncoder {
    public var format: AudioFormat { .flac }
    public let sampleRate: Int
    private let rate: RateConverter
    private let writer: FLACStreamWriter

    public init(sampleRate: Int = engineSampleRate) throws(AudioEncoderError) {
        self.sampleRate = sampleRate
        rate = try RateConverter(outputRate: sampleRate)
        do { writer = try FLACStreamWriter(sampleRate: sampleRate) } catch { throw .flac("\(error)") }
    }

    public func encode(_ frame: [Float]) throws(AudioEncoderError) -> [[UInt8]] {
        let samples = try rate.process(frame)
        do { return message(try writer.append(samples)) } catch { throw .flac("\(error)") }
    }

    public func finish() throws(AudioEncoderError) -> [[UInt8]] {
        let samples = try rate.flush()
        do { return message(try writer.append(samples) + writer.finish()) } catch { throw .flac("\(error)") }
    }
}
