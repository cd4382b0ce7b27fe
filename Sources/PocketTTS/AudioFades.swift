// AudioFades: the audio-side details of pocket-tts 4.0.1's generation: the 5 ms fade-in on the
// first audio of every fresh Mimi decoder state (models/tts_model.py `_decode_audio_worker`)
// and the voice prompt trimmed to end on a pause (data/audio_utils.py `end_on_pause`).
import Foundation

public enum AudioFades {
    /// `torch.linspace(start, end, count)` in float32, bit for bit: start + step·i (one rounding,
    /// as torch's fused multiply-add) for the first half, end − step·(count − 1 − i) for the rest,
    /// step = (end − start) / (count − 1) in float.
    public static func linspace(_ start: Float, _ end: Float, count: Int) -> [Float] {
        precondition(count >= 0, "AudioFades.linspace: negative count")
        if count == 0 { return [] }
        if count == 1 { return [start] }
        let step = (end - start) / Float(count - 1)
        return (0..<count).map { i in
            i < count / 2 ? start.addingProduct(step, Float(i)) : end.addingProduct(-step, Float(count - 1 - i))
        }
    }

    /// Samples of the decoder's fade-in: `sample_rate // 200` (5 ms; 120 at 24 kHz).
    public static func fadeInLength(sampleRate: Int) -> Int { sampleRate / 200 }

    /// `end_on_pause(wav, sample_rate)` of data/audio_utils.py on mono samples: ends a voice
    /// prompt on exactly `pauseSeconds` of silence. In frames of 20 ms, the trailing ones more
    /// than `floorDecibels` below the loudest (RMS in dB) are cut, the last `fadeSeconds` of what
    /// remains fade out linearly (`linspace(1, 0, n)`), and `pauseSeconds` of zeros follow.
    /// Fewer samples than one frame come back unchanged.
    public static func endOnPause(
        _ samples: [Float], sampleRate: Int, pauseSeconds: Double = 0.08, fadeSeconds: Double = 0.02,
        floorDecibels: Float = 35
    ) -> [Float] {
        let frame = max(1, Int(0.02 * Double(sampleRate)))
        let n = samples.count / frame
        if n == 0 { return samples }
        // db = 20·log10(rms + 1e-12) per frame, rms = sqrt(mean(x²)) in float.
        let decibels = (0..<n).map { f -> Float in
            var sum = 0.0
            for x in samples[f * frame..<(f + 1) * frame] { sum += Double(x) * Double(x) }
            let rms = Float(sum / Double(frame)).squareRoot()
            return 20 * log10(rms + 1e-12)
        }
        let threshold = decibels.max()! - floorDecibels
        let lastLoud = decibels.lastIndex { $0 > threshold } ?? (n - 1)  // the loudest frame always passes
        let end = (lastLoud + 1) * frame
        var out = Array(samples[0..<end])
        let fade = min(Int(fadeSeconds * Double(sampleRate)), end)
        for (i, g) in linspace(1, 0, count: fade).enumerated() { out[end - fade + i] *= g }
        out.append(contentsOf: repeatElement(0, count: Int(pauseSeconds * Double(sampleRate))))
        return out
    }
}
