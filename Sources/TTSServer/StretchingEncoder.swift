// StretchingEncoder.swift: a turn's `speed` (OpenAI's `speed`, the native config's). The
// engine's frames are time-stretched at the same pitch (AudioIO's `TimeStretcher`, one per
// turn), then go to the turn's encoder as any audio. Speed 1 never gets here: its audio is
// the engine's, bit for bit (`makeAudioEncoder`).
import AudioIO

/// The turn's encoder behind a time stretcher.
final class StretchingEncoder: AudioEncoder {
    var format: AudioFormat { encoder.format }
    var sampleRate: Int { encoder.sampleRate }
    let speed: Double
    private let stretcher: TimeStretcher
    private let encoder: any AudioEncoder

    init(_ encoder: any AudioEncoder, speed: Double) throws(AudioEncoderError) {
        do { stretcher = try TimeStretcher(sampleRate: engineSampleRate, speed: speed) } catch { throw .timeStretch(error) }
        self.encoder = encoder
        self.speed = speed
    }

    func encode(_ frame: [Float]) throws(AudioEncoderError) -> [[UInt8]] {
        let stretched = stretcher.process(frame)
        return stretched.isEmpty ? [] : try encoder.encode(stretched)
    }

    func finish() throws(AudioEncoderError) -> [[UInt8]] {
        let tail = stretcher.flush()
        return (tail.isEmpty ? [] : try encoder.encode(tail)) + (try encoder.finish())
    }
}
