import AudioIO
import Testing
@testable import TTSServer

private func int16s(_ bytes: [UInt8]) -> [Int16] {
    stride(from: 0, to: bytes.count, by: 2).map { Int16(bitPattern: UInt16(bytes[$0]) | UInt16(bytes[$0 + 1]) << 8) }
}

private func u32(_ bytes: [UInt8], _ at: Int) -> UInt32 {
    (0..<4).reduce(0) { $0 | UInt32(bytes[at + $1]) << (8 * $1) }
}

private func u16(_ bytes: [UInt8], _ at: Int) -> UInt16 {
    UInt16(bytes[at]) | UInt16(bytes[at + 1]) << 8
}

@Suite struct PCMEncodersTests {
    @Test func pcm16ClampsScalesAndTruncates() throws {
        // The reference: (x.clamp(-1, 1) * 32767).short(), truncation toward zero.
        let input: [Float] = [0, 1, -1, 2, -3, 0.5, -0.5, 0.99999, 1e-5, -1e-5, 0.1, -0.1, .nan]
        let expected: [Int16] = [0, 32767, -32767, 32767, -32767, 16383, -16383, 32766, 0, 0, 3276, -3276, 0]
        let encoder = try PCM16Encoder()
        let payloads = try encoder.encode(input)
        #expect(payloads.count == 1)
        #expect(int16s(payloads[0]) == expected)
        #expect(payloads[0][2] == 0xFF && payloads[0][3] == 0x7F)  // little-endian 32767
        #expect(try encoder.finish() == [])
    }

    @Test func pcm16MatchesIntegerConversionOnRandomSamples() throws {
        var rng = SystemRandomNumberGenerator()
        let input = (0..<1920).map { _ in Float.random(in: -1.2...1.2, using: &rng) }
        let bytes = try PCM16Encoder().encode(input)[0]
        #expect(bytes.count == 3840)
        #expect(int16s(bytes) == input.map { Int16((min(max($0, -1), 1) * 32767).rounded(.towardZero)) })
    }

    @Test func pcmF32IsTheFloatBitsLittleEndian() throws {
        let input: [Float] = [0, -1.5, 0.25, 3.0e-8]
        let bytes = try PCMFloatEncoder().encode(input)[0]
        #expect(bytes.count == 16)
        let back = (0..<4).map { Float(bitPattern: u32(bytes, 4 * $0)) }
        #expect(back == input)
        #expect(Array(bytes[4..<8]) == [0x00, 0x00, 0xC0, 0xBF])  // -1.5
    }

    @Test func g711EncodersUseTheTables() throws {
        let input: [Float] = [0, 0.5, -0.5, 1, -1, 0.001]
        let mu = try G711Encoder(law: .muLaw, sampleRate: 24000).encode(input)[0]
        let a = try G711Encoder(law: .aLaw, sampleRate: 24000).encode(input)[0]
        #expect(mu == input.map { G711.muLaw(pcm16($0)) })
        #expect(a == input.map { G711.aLaw(pcm16($0)) })
        #expect(mu[0] == 0xFF && a[0] == 0xD5)
    }

    @Test func g711At8kHzResamplesToOneThirdTheSamples() throws {
        let input = AudioTestSignals.speechLike(frames: 10)
        let encoder = try G711Encoder(law: .muLaw)
        #expect(encoder.sampleRate == 8000 && encoder.format == .mulaw)
        var codes: [UInt8] = []
        for start in stride(from: 0, to: input.count, by: 1920) { codes += try encoder.encode(Array(input[start..<start + 1920])).joined() }
        codes += try encoder.finish().joined()
        #expect(abs(codes.count - input.count / 3) <= 1)
        // Decoded back, the 8 kHz stream matches the input brought to 8 kHz (speech-band signal).
        let decoded = codes.map { Float(G711.linear(muLaw: $0)) / 32768 }
        let reference = try Resampler.resample(input, from: 24000, to: 8000)
        let (db, _) = AudioTestSignals.snr(reference: reference, decoded: decoded)
        #expect(db >= 30)  // G.711 gives ~38 dB on speech
    }

    @Test func wavStartsWithAStreamingHeader() throws {
        let encoder = try WAVEncoder(sampleRate: 16000)
        let input = AudioTestSignals.speechLike(frames: 3)
        var payloads: [[UInt8]] = []
        for start in stride(from: 0, to: input.count, by: 1920) { payloads += try encoder.encode(Array(input[start..<start + 1920])) }
        payloads += try encoder.finish()
        let first = payloads[0]
        #expect(Array(first[0..<4]) == Array("RIFF".utf8))
        #expect(u32(first, 4) == 0xFFFF_FFFF)
        #expect(Array(first[8..<16]) == Array("WAVEfmt ".utf8))
        #expect(u32(first, 16) == 16 && u16(first, 20) == 1 && u16(first, 22) == 1)
        #expect(u32(first, 24) == 16000 && u32(first, 28) == 32000 && u16(first, 32) == 2 && u16(first, 34) == 16)
        #expect(Array(first[36..<40]) == Array("data".utf8))
        #expect(u32(first, 40) == 0xFFFF_FFFF)
        // Only the first message has it; the rest is 16-bit PCM at 16 kHz.
        let data = Array(first.dropFirst(44)) + payloads.dropFirst().joined()
        #expect(payloads.dropFirst().allSatisfy { Array($0.prefix(4)) != Array("RIFF".utf8) })
        #expect(abs(data.count / 2 - input.count * 2 / 3) <= 1)
        let samples = int16s(data).map { Float($0) / 32767 }
        let (db, _) = AudioTestSignals.snr(reference: try Resampler.resample(input, from: 24000, to: 16000), decoded: samples)
        #expect(db >= 60)
    }

    @Test func wavWithoutAudioIsTheHeaderAlone() throws {
        let encoder = try WAVEncoder()
        #expect(try encoder.finish() == [WAVEncoder.header(sampleRate: 24000)])
        #expect(WAVEncoder.header(sampleRate: 24000).count == 44)
    }

    @Test func resampledPCMHasTheOutputRateLength() throws {
        for rate in [8000, 16000, 22050, 44100, 48000] {
            let encoder = try PCM16Encoder(sampleRate: rate)
            var total = 0
            for _ in 0..<10 { total += try encoder.encode([Float](repeating: 0.1, count: 1920)).joined().count / 2 }
            total += try encoder.finish().joined().count / 2
            #expect(abs(total - 19200 * rate / 24000) <= 1, "rate \(rate): \(total)")
        }
    }

    @Test func factoryMakesEachFormat() throws {
        for format in AudioFormat.allCases {
            let rate = format == .opus ? 48000 : 16000
            let encoder = try makeAudioEncoder(format: format, sampleRate: rate)
            #expect(encoder.format == format)
            #expect(encoder.sampleRate == rate)
        }
        #expect(throws: AudioEncoderError.unsupportedSampleRate(format: .pcm, sampleRate: 100)) {
            _ = try makeAudioEncoder(format: .pcm, sampleRate: 100)
        }
    }
}
