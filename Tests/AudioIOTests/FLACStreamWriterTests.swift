import Foundation
import Testing
@testable import AudioIO

@Suite struct FLACStreamWriterTests {
    /// Writes `bytes` to a temporary file and decodes it with libsndfile.
    static func decode(_ bytes: [UInt8]) throws -> Audio {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("stream-\(UUID().uuidString).flac").path
        defer { try? FileManager.default.removeItem(atPath: path) }
        try Data(bytes).write(to: URL(fileURLWithPath: path))
        return try AudioFile.read(path)
    }

    @Test func streamsOneHeaderThenFramesThatDecodeToTheSamePCM() throws {
        let rate = 24000
        // 1 s of a gliding tone with a little noise, frame by frame as the engine sends it.
        var random = SystemRandomNumberGenerator()
        let samples = (0..<rate).map { i -> Float in
            0.4 * Float(sin(Double(i) * 2 * .pi * (200 + Double(i) / 100) / Double(rate))) + Float.random(in: -0.01...0.01, using: &random)
        }
        let writer = try FLACStreamWriter(sampleRate: rate)
        var chunks: [[UInt8]] = []
        for start in stride(from: 0, to: samples.count, by: 1920) {
            chunks.append(try writer.append(Array(samples[start..<min(samples.count, start + 1920)])))
        }
        chunks.append(writer.finish())
        #expect(writer.finish().isEmpty)
        let stream = chunks.flatMap { $0 }
        // It streams: the header and frames come before the end, and the header is there once.
        #expect(chunks.dropLast().reduce(0) { $0 + $1.count } > stream.count / 2)
        let first = try #require(chunks.first { !$0.isEmpty })
        #expect(Array(first.prefix(4)) == Array("fLaC".utf8))
        #expect(stream.firstRange(of: Array("fLaC".utf8))?.lowerBound == 0)
        #expect(stream[4...].firstRange(of: Array("fLaC".utf8)) == nil)
        // Lossless: exactly the 16-bit samples every other 16-bit output carries.
        let decoded = try Self.decode(stream)
        #expect(decoded.sampleRate == rate)
        #expect(decoded.samples.count == samples.count)
        #expect(decoded.samples == samples.map { Float(pcm16($0)) / 32768 })
    }

    @Test func aStreamWithoutSamplesIsAHeaderAlone() throws {
        let writer = try FLACStreamWriter(sampleRate: 24000)
        let bytes = try writer.append([]) + writer.finish()
        #expect(Array(bytes.prefix(4)) == Array("fLaC".utf8))
    }
}
