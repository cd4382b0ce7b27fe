import Foundation
import Testing
@testable import TTSServer

@Suite struct OpusTests {
    /// 440 Hz at 24 kHz, amplitude 0.5: [count]
    func sine(count: Int, sampleRate: Double = 24000) -> [Float] {
        (0..<count).map { Float(0.5 * sin(2 * Double.pi * 440 * Double($0) / sampleRate)) }
    }

    @Test func roundTripOfASineKeepsTheWaveform() throws {
        let frame = 1920  // 80 ms at 24 kHz
        let frames = 13   // 1.04 s
        let input = sine(count: frame * frames)
        let encoder = try OpusEncoder(sampleRate: 24000, channels: 1, application: .audio,
                                      bitrate: .bitsPerSecond(64000))
        let decoder = try OpusDecoder(sampleRate: 24000, channels: 1)
        #expect(try encoder.bitrate() == 64000)
        #expect(encoder.lookahead > 0 && encoder.lookahead < frame)

        var output: [Float] = []
        for start in stride(from: 0, to: input.count, by: frame) {
            let packet = try encoder.encode(input[start..<start + frame])
            #expect(!packet.isEmpty && packet.count <= OpusEncoder.maxPacketBytes)
            let pcm = try decoder.decode(packet)
            #expect(pcm.count == frame)
            output += pcm
        }
        #expect(output.count == input.count)

        // Decoded audio lags the input by the encoder's lookahead: compare x[t] with y[t + lookahead],
        // skipping the first 80 ms while the codec settles.
        let delay = encoder.lookahead
        var signal = 0.0, noise = 0.0
        for t in frame..<(input.count - delay) {
            let x = Double(input[t]), y = Double(output[t + delay])
            signal += x * x
            noise += (x - y) * (x - y)
        }
        let snr = 10 * log10(signal / noise)
        #expect(snr >= 20, "SNR \(snr) dB")

        // A misaligned comparison must be much worse: the check can fail.
        var misaligned = 0.0, alignedSignal = 0.0
        for t in frame..<(input.count - delay - 27) {
            alignedSignal += Double(input[t]) * Double(input[t])
            let d = Double(input[t]) - Double(output[t + delay + 27])
            misaligned += d * d
        }
        #expect(10 * log10(alignedSignal / misaligned) < 10)
    }

    @Test func stereoAndOtherRatesRoundTrip() throws {
        let encoder = try OpusEncoder(sampleRate: 48000, channels: 2, application: .voip)
        let decoder = try OpusDecoder(sampleRate: 48000, channels: 2)
        let pcm = [Float](repeating: 0.1, count: 960 * 2)  // 20 ms stereo
        let decoded = try decoder.decode(try encoder.encode(pcm))
        #expect(decoded.count == 960 * 2)
    }

    @Test func invalidFrameSizeIsATypedError() throws {
        let encoder = try OpusEncoder()
        #expect(throws: OpusError.self) { try encoder.encode([Float](repeating: 0, count: 1000)) }
        do {
            _ = try encoder.encode([Float](repeating: 0, count: 1000))
            Issue.record("1000 samples at 24 kHz is not an Opus frame size")
        } catch {
            #expect(error.code == .badArgument)
            #expect(error == .encode(samplesPerChannel: 1000, code: .badArgument, message: error.message))
            #expect(error.message.lowercased().contains("invalid argument"))
        }
    }

    @Test func invalidBitrateIsATypedError() throws {
        let encoder = try OpusEncoder()
        do {
            try encoder.setBitrate(.bitsPerSecond(0))
            Issue.record("a zero bitrate must be refused")
        } catch {
            #expect(error.code == .badArgument)
            guard case .control(let request, _, _) = error else {
                Issue.record("unexpected \(error)"); return
            }
            #expect(request.contains("OPUS_SET_BITRATE"))
        }
        #expect(throws: OpusError.self) { try OpusEncoder(bitrate: .bitsPerSecond(-8000)) }
        try encoder.setBitrate(.bitsPerSecond(32000))
        #expect(try encoder.bitrate() == 32000)
    }

    @Test func invalidSampleRateAndPacketAreTypedErrors() throws {
        #expect(throws: OpusError.createEncoder(code: .badArgument, message: "invalid argument")) {
            try OpusEncoder(sampleRate: 44100)
        }
        #expect(throws: OpusError.self) { try OpusDecoder(sampleRate: 22050) }
        let decoder = try OpusDecoder()
        #expect(throws: OpusError.self) { try decoder.decode([]) }
    }
}
