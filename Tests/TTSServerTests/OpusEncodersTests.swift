import AudioIO
import Testing
@testable import TTSServer

@Suite struct OpusEncodersTests {
    /// Encodes `input` frame by frame; returns every payload.
    private func encodeAll(_ encoder: any AudioEncoder, _ input: [Float]) throws -> [[UInt8]] {
        var payloads: [[UInt8]] = []
        for start in stride(from: 0, to: input.count, by: 1920) {
            payloads += try encoder.encode(Array(input[start..<min(start + 1920, input.count)]))
        }
        return payloads + (try encoder.finish())
    }

    @Test(arguments: [24000, 48000, 16000, 8000])
    func rawPacketsDecodeBackToTheInput(sampleRate: Int) throws {
        let input = AudioTestSignals.speechLike(frames: 25)
        let encoder = try OpusPacketEncoder(sampleRate: sampleRate)
        let packets = try encodeAll(encoder, input)
        let reference = try Resampler.resample(input, from: 24000, to: sampleRate)
        // Whole 80 ms packets, enough to cover the input and the lookahead.
        let decoder = try OpusDecoder(sampleRate: sampleRate)
        var decoded: [Float] = []
        for packet in packets {
            let pcm = try decoder.decode(packet)
            #expect(pcm.count == encoder.frameSize)
            decoded += pcm
        }
        #expect(packets.count == (reference.count + encoder.lookahead + encoder.frameSize - 1) / encoder.frameSize)
        let aligned = Array(decoded.dropFirst(encoder.lookahead))
        #expect(aligned.count >= reference.count)
        let (db, lag) = AudioTestSignals.snr(reference: reference, decoded: aligned, maxLag: 8)
        print("opus \(sampleRate) Hz: \(packets.count) packets, \(packets.map(\.count).reduce(0, +)) bytes, SNR \(db) dB, lag \(lag)")
        #expect(db >= 20)
        #expect(lag == 0)
    }

    @Test func rawOpusRefusesNonOpusRates() {
        #expect(throws: AudioEncoderError.unsupportedSampleRate(format: .opus, sampleRate: 22050)) {
            _ = try OpusPacketEncoder(sampleRate: 22050)
        }
    }

    @Test(arguments: [24000, 22050])
    func oggStreamDecodesBackToTheInput(sampleRate: Int) throws {
        let input = AudioTestSignals.speechLike(frames: 25)
        let encoder = try OggOpusEncoder(sampleRate: sampleRate)
        var stream: [UInt8] = []
        var sizes: [Int] = []
        for start in stride(from: 0, to: input.count, by: 1920) {
            let payloads = try encoder.encode(Array(input[start..<start + 1920]))
            #expect(payloads.count <= 1)
            sizes.append(payloads.first?.count ?? 0)
            stream += payloads.joined()
        }
        stream += try encoder.finish().joined()
        // Pages come out as the audio goes in: the headers at once, then audio every frame or so.
        #expect(Array(stream.prefix(4)) == Array("OggS".utf8))
        #expect(sizes[0] > 0)
        #expect(sizes.filter { $0 == 0 }.count <= 3, "sizes \(sizes)")

        let (decoded, channels, inputRate) = try OggOpusFileReader.decode(stream)
        #expect(channels == 1)
        #expect(inputRate == sampleRate)
        let reference = try Resampler.resample(input, from: 24000, to: 48000)
        #expect(abs(decoded.count - reference.count) <= 4, "decoded \(decoded.count), expected \(reference.count)")
        let (db, lag) = AudioTestSignals.snr(reference: reference, decoded: decoded, maxLag: 16)
        print("ogg \(sampleRate) Hz: \(stream.count) bytes, SNR \(db) dB, lag \(lag)")
        #expect(db >= 20)
    }

    @Test(arguments: [24000, 22050, 8000])
    func oggWithoutAudioIsAValidStream(sampleRate: Int) throws {
        // libopusenc 0.2.1 aborts on draining an empty stream with a dirty heap, which a loop
        // of encoders makes likely: this runs many.
        for _ in 0..<50 {
            let encoder = try OggOpusEncoder(sampleRate: sampleRate)
            let stream = try encoder.finish().joined()
            let (decoded, channels, _) = try OggOpusFileReader.decode(Array(stream))
            #expect(channels == 1)
            #expect(decoded.count <= 48000 / sampleRate + 1)  // the one sample of silence
            #expect(decoded.allSatisfy { abs($0) < 1e-3 })
        }
    }
}
