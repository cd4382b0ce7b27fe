// MP3Encoder.swift: the only file importing CLame (LAME, libmp3lame). One continuous MP3
// stream per turn: frames come out as LAME completes them, with no header or tag to rewrite,
// so the bytes can be streamed as they are (OpenAI's default `response_format`).
import AudioIO
import CLame

/// 24 kHz mono frames to a constant-bit-rate mono MP3 stream at `sampleRate` (LAME resamples).
public final class MP3Encoder: AudioEncoder {
    public var format: AudioFormat { .mp3 }
    public let sampleRate: Int
    private let lame: OpaquePointer
    private var finished = false

    /// Kilobits per second of the stream.
    public static let defaultBitrate = 64

    public init(sampleRate: Int = engineSampleRate, kilobitsPerSecond: Int = defaultBitrate) throws(AudioEncoderError) {
        guard let lame = lame_init() else { throw .mp3("lame_init failed") }
        lame_set_in_samplerate(lame, Int32(engineSampleRate))
        lame_set_out_samplerate(lame, Int32(sampleRate))
        lame_set_num_channels(lame, 1)
        lame_set_mode(lame, MONO)
        lame_set_brate(lame, Int32(kilobitsPerSecond))
        lame_set_quality(lame, 5)
        lame_set_bWriteVbrTag(lame, 0)  // a Xing tag would need a rewrite of the first frame at the end
        lame_set_write_id3tag_automatic(lame, 0)
        guard lame_init_params(lame) >= 0 else {
            lame_close(lame)
            throw .unsupportedSampleRate(format: .mp3, sampleRate: sampleRate)
        }
        self.lame = lame
        self.sampleRate = sampleRate
    }

    deinit {
        lame_close(lame)
    }

    public func encode(_ frame: [Float]) throws(AudioEncoderError) -> [[UInt8]] {
        guard !finished, !frame.isEmpty else { return [] }
        var samples = frame.map(pcm16)
        // LAME's bound for the output: 1.25 * samples + 7200.
        var output = [UInt8](repeating: 0, count: samples.count * 5 / 4 + 7200)
        let count = samples.withUnsafeMutableBufferPointer { input in
            output.withUnsafeMutableBufferPointer { out in
                lame_encode_buffer(lame, input.baseAddress, input.baseAddress, Int32(input.count), out.baseAddress, Int32(out.count))
            }
        }
        guard count >= 0 else { throw .mp3("lame_encode_buffer failed (\(count))") }
        return count == 0 ? [] : [Array(output.prefix(Int(count)))]
    }

    public func finish() throws(AudioEncoderError) -> [[UInt8]] {
        guard !finished else { return [] }
        finished = true
        var output = [UInt8](repeating: 0, count: 7200)
        let count = output.withUnsafeMutableBufferPointer { lame_encode_flush(lame, $0.baseAddress, Int32($0.count)) }
        guard count >= 0 else { throw .mp3("lame_encode_flush failed (\(count))") }
        return count == 0 ? [] : [Array(output.prefix(Int(count)))]
    }
}
