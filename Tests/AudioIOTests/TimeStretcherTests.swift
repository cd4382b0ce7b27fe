import Foundation
import Testing
@testable import AudioIO

@Suite struct TimeStretcherTests {
    static let rate = 24000
    static let frame = 1920  // one 80 ms engine frame

    func sine(_ n: Int, hz: Double, amplitude: Float = 0.5) -> [Float] {
        (0..<n).map { amplitude * Float(sin(2 * Double.pi * hz * Double($0) / Double(Self.rate))) }
    }

    /// Streams `input` through a stretcher frame by frame, as the engine's frames arrive.
    func stretch(_ input: [Float], speed: Double) throws -> (output: [Float], beforeFlush: Int) {
        let stretcher = try TimeStretcher(sampleRate: Self.rate, speed: speed)
        var output: [Float] = []
        for start in stride(from: 0, to: input.count, by: Self.frame) {
            output += stretcher.process(Array(input[start..<min(input.count, start + Self.frame)]))
        }
        let beforeFlush = output.count
        output += stretcher.flush()
        return (output, beforeFlush)
    }

    /// The frequency in 300...600 Hz with the most energy in `samples` (a DFT at 0.5 Hz steps).
    func dominantFrequency(_ samples: ArraySlice<Float>) -> Double {
        var best = (hz: 0.0, power: -1.0)
        for step in 600...1200 {
            let hz = Double(step) / 2
            var re = 0.0, im = 0.0
            for (i, x) in samples.enumerated() {
                let phase = 2 * Double.pi * hz * Double(i) / Double(Self.rate)
                re += Double(x) * cos(phase)
                im += Double(x) * sin(phase)
            }
            if re * re + im * im > best.power { best = (hz, re * re + im * im) }
        }
        return best.hz
    }

    func rms(_ samples: ArraySlice<Float>) -> Float {
        (samples.reduce(0) { $0 + $1 * $1 } / Float(max(1, samples.count))).squareRoot()
    }

    @Test(arguments: [0.25, 0.5, 1.5, 2.0, 4.0])
    func durationScalesByOneOverSpeedAndPitchStays(speed: Double) throws {
        let input = sine(2 * Self.rate, hz: 440)
        let (output, beforeFlush) = try stretch(input, speed: speed)
        #expect(output.count == Int((Double(input.count) / speed).rounded()))
        // It streams: most of the audio comes out before the end, not all at flush.
        #expect(output.count - beforeFlush <= Int(Double(Self.rate) * 0.25 / speed) + 4 * Self.frame)
        let middle = output.count / 2
        let window = output[(middle - 2400)..<(middle + 2400)]
        #expect(abs(dominantFrequency(window) - 440) <= 3)
        #expect(abs(rms(window) - 0.5 / Float(2).squareRoot()) < 0.08)
    }

    @Test(arguments: [0.5, 2.0])
    func nothingIsLostAtTheEndAndTheStartIsAligned(speed: Double) throws {
        // 0.5 s silence, 1 s of tone, 0.25 s silence: the tone starts at 0.5 / speed s and ends
        // at 1.5 / speed s in the output, within a few milliseconds.
        let silence = [Float](repeating: 0, count: Self.rate / 2)
        let input = silence + sine(Self.rate, hz: 440) + [Float](repeating: 0, count: Self.rate / 4)
        let (output, _) = try stretch(input, speed: speed)
        let envelope = stride(from: 0, to: output.count - 240, by: 240).map { rms(output[$0..<$0 + 240]) }  // 10 ms
        let loud = envelope.indices.filter { envelope[$0] > 0.15 }
        let onset = Double(try #require(loud.first)) * 0.01
        let offset = Double(try #require(loud.last) + 1) * 0.01
        #expect(abs(onset - 0.5 / speed) <= 0.03, "onset \(onset)")
        #expect(abs(offset - 1.5 / speed) <= 0.03, "offset \(offset)")
        // The tone's last stretch is all there at full level, and the trailing silence is silent.
        let lastTone = Int(1.5 / speed * Double(Self.rate))
        #expect(rms(output[(lastTone - 2400)..<(lastTone - 480)]) > 0.3)
        #expect(rms(output[(lastTone + 960)...]) < 0.05)
    }

    @Test func anEmptyStreamGivesNothing() throws {
        let stretcher = try TimeStretcher(sampleRate: Self.rate, speed: 2)
        #expect(stretcher.flush().isEmpty)
        #expect(stretcher.flush().isEmpty)
    }

    @Test func speedsOutsideTheRangeAreRefused() {
        #expect(throws: TimeStretcherError.invalidSpeed(4.5)) { try TimeStretcher(sampleRate: Self.rate, speed: 4.5) }
        #expect(throws: TimeStretcherError.invalidSpeed(0.2)) { try TimeStretcher(sampleRate: Self.rate, speed: 0.2) }
        #expect(throws: TimeStretcherError.self) { try TimeStretcher(sampleRate: Self.rate, speed: .nan) }
    }
}
