import Foundation
import AudioIO
import PocketTTS
import Testing
@testable import TTSEngine

/// What an upload must hold to become a voice: a second of sound at least, one or two
/// channels, not silence; each refusal says which.
@Suite struct UploadedVoicesSpeechCheckTests {
    static let model = Result { try VoiceFixtures.tinyModel() }

    static func bytes(_ audio: Audio) throws -> [UInt8] {
        let directory = try TemporaryDirectory()
        let path = directory.path("upload.wav")
        try AudioFile.writeWAV(audio, to: path)
        return Array(try Data(contentsOf: URL(fileURLWithPath: path)))
    }

    /// A 16-bit PCM WAV of `channels` channels, each a tone, `seconds` long.
    static func multichannelWAV(channels: Int, seconds: Double, rate: Int = 24000) -> [UInt8] {
        let frames = Int(seconds * Double(rate))
        var data: [UInt8] = []
        for i in 0..<frames {
            let value = Int16(8000 * sin(2 * Double.pi * 220 * Double(i) / Double(rate)))
            for _ in 0..<channels { withUnsafeBytes(of: value.littleEndian) { data += $0 } }
        }
        func le32(_ v: Int) -> [UInt8] { withUnsafeBytes(of: UInt32(v).littleEndian, Array.init) }
        func le16(_ v: Int) -> [UInt8] { withUnsafeBytes(of: UInt16(v).littleEndian, Array.init) }
        return Array("RIFF".utf8) + le32(36 + data.count) + Array("WAVEfmt ".utf8) + le32(16) + le16(1) + le16(channels)
            + le32(rate) + le32(rate * channels * 2) + le16(channels * 2) + le16(16) + Array("data".utf8) + le32(data.count) + data
    }

    func refusal(_ bytes: [UInt8]) throws -> String? {
        let library = try VoiceLibrary(model: try Self.model.get(), configuration: .init(maxCachedVoices: 0))
        do {
            _ = try UploadedVoices().add(audio: bytes, maxBytes: 1 << 22, maxSeconds: 30, library: library)
            return nil
        } catch {
            return error.description
        }
    }

    @Test func aSecondOfSoundInOneOrTwoChannelsIsAccepted() throws {
        #expect(try refusal(try Self.bytes(sine(seconds: 1, hz: 220))) == nil)
        #expect(try refusal(Self.multichannelWAV(channels: 2, seconds: 1.5)) == nil)
    }

    @Test func tooShortIsRefused() throws {
        let message = try #require(try refusal(try Self.bytes(sine(seconds: 0.002, hz: 220))))  // the 48-byte WAV of the report
        #expect(message.contains("at least 1 s"), "\(message)")
        #expect(try refusal(try Self.bytes(sine(seconds: 0.9, hz: 220)))?.contains("0.90 s") == true)
    }

    @Test func moreThanTwoChannelsAreRefused() throws {
        let message = try #require(try refusal(Self.multichannelWAV(channels: 8, seconds: 1.5)))
        #expect(message.contains("8 channels"), "\(message)")
    }

    @Test func silenceIsRefused() throws {
        let silent = Audio(samples: [Float](repeating: 0, count: 48000), sampleRate: 24000)
        let message = try #require(try refusal(try Self.bytes(silent)))
        #expect(message.contains("silent"), "\(message)")
        var hiss = silent
        for i in hiss.samples.indices { hiss.samples[i] = Float.random(in: -1e-4...1e-4) }  // about -85 dBFS
        #expect(try refusal(try Self.bytes(hiss))?.contains("silent") == true)
    }
}
