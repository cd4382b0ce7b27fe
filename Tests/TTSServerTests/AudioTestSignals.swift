// AudioTestSignals.swift: a speech-like test signal and the comparisons the encoder tests use.
import Foundation

enum AudioTestSignals {
    /// A voiced-speech-like signal at 24 kHz: a gliding 110...180 Hz fundamental with 12
    /// harmonics falling off, under a syllable-rate (4 Hz) envelope; peak about 0.6.
    static func speechLike(frames: Int, sampleRate: Int = 24000) -> [Float] {
        let count = frames * 1920 * sampleRate / 24000
        var phase = 0.0
        return (0..<count).map { n in
            let t = Double(n) / Double(sampleRate)
            let f0 = 145 + 35 * sin(2 * .pi * 0.7 * t)
            phase += 2 * .pi * f0 / Double(sampleRate)
            var x = 0.0
            for h in 1...12 { x += sin(Double(h) * phase + Double(h)) / Double(h) }
            let envelope = 0.3 + 0.7 * pow(sin(.pi * 4 * t), 2)
            return Float(0.2 * envelope * x)
        }
    }

    /// Signal-to-noise ratio of `decoded` against `reference` in dB, over the overlap, after
    /// shifting `decoded` by the lag in -maxLag...maxLag that fits best (returned too).
    static func snr(reference: [Float], decoded: [Float], maxLag: Int = 0, skip: Int = 0) -> (db: Double, lag: Int) {
        var best = (db: -Double.infinity, lag: 0)
        for lag in -maxLag...maxLag {
            var signal = 0.0, noise = 0.0
            for i in skip..<reference.count {
                let j = i + lag
                guard j >= 0, j < decoded.count else { continue }
                let r = Double(reference[i])
                signal += r * r
                noise += (r - Double(decoded[j])) * (r - Double(decoded[j]))
            }
            let db = 10 * log10(signal / max(noise, 1e-30))
            if db > best.db { best = (db, lag) }
        }
        return best
    }
}
