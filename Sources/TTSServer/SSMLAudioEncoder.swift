// SSMLAudioEncoder.swift: the encoder of an SSML turn. Like `StretchingEncoder` it time-stretches
// the engine's frames at the turn's speed, but the speed may change between chunks (`<prosody
// rate>`: the turn's `speed` times the rate) and silence may go between them (`<break>`). At
// each mark the stretcher is flushed first, so that everything before the mark is encoded
// before what the mark adds; silence is never stretched (a 500 ms break is 12,000 samples at
// 24 kHz whatever the speed). One per turn, on its consumer thread only, like any encoder.
import AudioIO

final class SSMLAudioEncoder: AudioEncoder {
    var format: AudioFormat { encoder.format }
    var sampleRate: Int { encoder.sampleRate }
    /// The turn's `speed`.
    let baseSpeed: Double
    /// The speed now: `baseSpeed` times the rate, within `TimeStretcher.speedRange`.
    private(set) var speed: Double
    private var stretcher: TimeStretcher?
    private let encoder: any AudioEncoder

    init(_ encoder: any AudioEncoder, speed: Double) throws(AudioEncoderError) {
        self.encoder = encoder
        baseSpeed = speed
        self.speed = speed
        try makeStretcher()
    }

    func encode(_ frame: [Float]) throws(AudioEncoderError) -> [[UInt8]] {
        let audio = stretcher?.process(frame) ?? frame
        return audio.isEmpty ? [] : try encoder.encode(audio)
    }

    /// Carries out `mark` after the audio encoded so far; returns the payloads completed.
    func apply(_ mark: SpeechMark) throws(AudioEncoderError) -> [[UInt8]] {
        var payloads = try drainStretcher()
        switch mark {
        case .silence(let seconds):
            let samples = Int((seconds * Double(engineSampleRate)).rounded())
            if samples > 0 { payloads += try encoder.encode([Float](repeating: 0, count: samples)) }
        case .rate(let rate):
            speed = min(max(baseSpeed * rate, TimeStretcher.speedRange.lowerBound), TimeStretcher.speedRange.upperBound)
        }
        try makeStretcher()
        return payloads
    }

    func finish() throws(AudioEncoderError) -> [[UInt8]] {
        try drainStretcher() + (try encoder.finish())
    }

    /// Encodes what the stretcher holds and drops it.
    private func drainStretcher() throws(AudioEncoderError) -> [[UInt8]] {
        guard let tail = stretcher?.flush() else { return [] }
        stretcher = nil
        return tail.isEmpty ? [] : try encoder.encode(tail)
    }

    private func makeStretcher() throws(AudioEncoderError) {
        guard speed != 1 else {
            stretcher = nil
            return
        }
        do { stretcher = try TimeStretcher(sampleRate: engineSampleRate, speed: speed) } catch { throw .timeStretch(error) }
    }
}
