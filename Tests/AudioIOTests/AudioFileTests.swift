import Foundation
import Testing
@testable import AudioIO

@Suite struct AudioFileTests {
    let dir = FileManager.default.temporaryDirectory.appendingPathComponent("audiofile-\(UUID().uuidString)")

    init() throws { try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true) }

    func path(_ name: String) -> String { dir.appendingPathComponent(name).path }

    func sine(_ n: Int, rate: Int, hz: Double = 440, amplitude: Float = 0.5) -> [Float] {
        (0..<n).map { amplitude * Float(sin(2 * Double.pi * hz * Double($0) / Double(rate))) }
    }

    @Test func f32RoundTripIsExact() throws {
        let audio = Audio(samples: sine(2400, rate: 24000), sampleRate: 24000)
        try AudioFile.writeWAV(audio, to: path("a.wav"), format: .f32)
        #expect(try AudioFile.read(path("a.wav")) == audio)
    }

    @Test func s16MatchesReferenceConversion() throws {
        // The reference writes (clamp(x, -1, 1) * 32767) truncated toward zero and reads int16 / 32768.
        let samples: [Float] = [0, 0.5, -0.5, 1.5, -2, 0.99999, -0.00002, 0.25]
        try AudioFile.writeWAV(Audio(samples: samples, sampleRate: 8000), to: path("b.wav"), format: .s16)
        let back = try AudioFile.read(path("b.wav"))
        let expected = samples.map { Float(Int16((min(max($0, -1), 1) * 32767).rounded(.towardZero))) / 32768 }
        #expect(back.samples == expected)
        #expect(back.sampleRate == 8000)
    }

    @Test func stereoIsMixedDownByAveraging() throws {
        // A 16-bit stereo WAV built by hand: left = 1000, right = -3000 → mono -1000/32768.
        var data = Data()
        func le<T: FixedWidthInteger>(_ v: T) { withUnsafeBytes(of: v.littleEndian) { data.append(contentsOf: $0) } }
        let frames = 4
        data.append(contentsOf: Array("RIFF".utf8)); le(UInt32(36 + frames * 4))
        data.append(contentsOf: Array("WAVEfmt ".utf8)); le(UInt32(16)); le(UInt16(1)); le(UInt16(2))
        le(UInt32(16000)); le(UInt32(16000 * 4)); le(UInt16(4)); le(UInt16(16))
        data.append(contentsOf: Array("data".utf8)); le(UInt32(frames * 4))
        for _ in 0..<frames { le(Int16(1000)); le(Int16(-3000)) }
        try data.write(to: URL(fileURLWithPath: path("stereo.wav")))
        let audio = try AudioFile.read(path("stereo.wav"))
        #expect(audio.sampleRate == 16000)
        #expect(audio.samples == [Float](repeating: -1000.0 / 32768, count: frames))
    }

    @Test func missingFileIsNamed() {
        #expect(throws: AudioFileError.notFound(path: path("nope.wav"))) { try AudioFile.read(path("nope.wav")) }
    }

    @Test func garbageIsUnreadable() throws {
        try Data("this is not audio at all, just text".utf8).write(to: URL(fileURLWithPath: path("junk.wav")))
        #expect { try AudioFile.read(path("junk.wav")) } throws: { error in
            if case .unreadable(let p, _) = error as? AudioFileError { return p == path("junk.wav") }
            return false
        }
    }

    @Test func emptyFileIsAnError() throws {
        try AudioFile.writeWAV(Audio(samples: [], sampleRate: 24000), to: path("empty.wav"), format: .s16)
        #expect(throws: AudioFileError.empty(path: path("empty.wav"))) { try AudioFile.read(path("empty.wav")) }
    }

    @Test func streamingWriterEqualsOneShot() throws {
        let samples = sine(5000, rate: 24000)
        let writer = try WAVWriter(path: path("stream.wav"), sampleRate: 24000, format: .f32)
        for chunk in stride(from: 0, to: samples.count, by: 1920) {
            try writer.append(Array(samples[chunk..<min(chunk + 1920, samples.count)]))
        }
        writer.close()
        #expect(try AudioFile.read(path("stream.wav")).samples == samples)
    }
}
