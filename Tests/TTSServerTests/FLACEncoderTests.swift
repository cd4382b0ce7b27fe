import AudioIO
import Foundation
import Testing
@testable import TTSServer

/// Decodes a FLAC stream with libsndfile (through a temporary file).
func decodeFLAC(_ bytes: [UInt8]) throws -> Audio {
    let path = FileManager.default.temporaryDirectory.appendingPathComponent("response-\(UUID().uuidString).flac").path
    defer { try? FileManager.default.removeItem(atPath: path) }
    try Data(bytes).write(to: URL(fileURLWithPath: path))
    return try AudioFile.read(path)
}

/// The 16-bit samples of a WAV stream's body (after its 44-byte header).
func wavSamples(_ bytes: [UInt8]) -> [Float] {
    stride(from: 44, to: bytes.count - 1, by: 2).map { Float(Int16(bitPattern: UInt16(bytes[$0]) | UInt16(bytes[$0 + 1]) << 8)) / 32768 }
}

@Suite struct FLACEncoderTests {
    @Test(arguments: [24000, 16000])
    func decodesToTheSamplesOfTheWAVStream(rate: Int) throws {
        let frames = try TinyModel.frames("Hello big world.")
        let flac = try FLACEncoder(sampleRate: rate)
        #expect(flac.format == .flac && flac.sampleRate == rate)
        var messages: [[UInt8]] = []
        for frame in frames { messages += try flac.encode(frame) }
        let streamed = messages.count
        messages += try flac.finish()
        #expect(streamed >= 1)  // frames go out before the end
        let bytes = messages.flatMap { $0 }
        #expect(Array(bytes.prefix(4)) == Array("fLaC".utf8) && bytes[4...].firstRange(of: Array("fLaC".utf8)) == nil)
        let wav = try StretchingEncoderTests.encodeAll(try WAVEncoder(sampleRate: rate), frames)
        let decoded = try decodeFLAC(bytes)
        #expect(decoded.sampleRate == rate)
        // Lossless: the very 16-bit samples of the WAV stream.
        #expect(decoded.samples == wavSamples(wav))
    }

    @Test func anEmptyTurnIsAHeaderThatDecodesToNothing() throws {
        let bytes = try FLACEncoder().finish().flatMap { $0 }
        #expect(Array(bytes.prefix(4)) == Array("fLaC".utf8))
    }
}
