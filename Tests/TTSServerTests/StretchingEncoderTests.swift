import AudioIO
import Foundation
import Testing
@testable import TTSServer

/// `speed`: the turn's audio time-stretched before its encoder; speed 1 untouched.
@Suite struct StretchingEncoderTests {
    static func encodeAll(_ encoder: any AudioEncoder, _ frames: [[Float]]) throws -> [UInt8] {
        var bytes: [UInt8] = []
        for frame in frames { bytes += try encoder.encode(frame).flatMap { $0 } }
        return bytes + (try encoder.finish().flatMap { $0 })
    }

    @Test func speedOneBypassesTheStretcher() throws {
        let frames = try TinyModel.frames("Hello big world.")
        let plain = try makeAudioEncoder(format: .pcm, sampleRate: 24000)
        let atOne = try makeAudioEncoder(format: .pcm, sampleRate: 24000, speed: 1)
        #expect(atOne is PCM16Encoder && !(atOne is StretchingEncoder))
        #expect(try Self.encodeAll(atOne, frames) == (try Self.encodeAll(plain, frames)))
        #expect(try makeAudioEncoder(format: .ogg, sampleRate: 24000, speed: 1.5) is StretchingEncoder)
    }

    @Test(arguments: [0.5, 1.5, 2.0, 4.0])
    func everySampleIsScaledByOneOverSpeed(speed: Double) throws {
        let frames = try TinyModel.frames("Hello big world.")
        let samples = frames.reduce(0) { $0 + $1.count }
        let encoder = try makeAudioEncoder(format: .pcm, sampleRate: 24000, speed: speed)
        #expect(encoder.format == .pcm && encoder.sampleRate == 24000)
        let bytes = try Self.encodeAll(encoder, frames)
        #expect(bytes.count == 2 * Int((Double(samples) / speed).rounded()))
        // At another rate the stretch comes first, then the resampler: 1/speed of the samples there too.
        let wav = try Self.encodeAll(try makeAudioEncoder(format: .wav, sampleRate: 16000, speed: speed), frames)
        let expected = Double(samples) / speed * 16000 / 24000
        #expect(abs(Double(wav.count - 44) / 2 - expected) <= 2)
    }

    /// The native protocol's `speed`, deterministic at temperature 0: the same audio, stretched.
    @Test func nativeConfigSpeedStretchesTheTurn() throws {
        let fixture = try EngineServiceFixture()
        defer { fixture.stop() }
        let samples = try TinyModel.frames("Good morning.").reduce(0) { $0 + $1.count }
        let client = try fixture.connect()
        for speed in [1.0, 2.0, 0.5] {
            try client.config("\"format\":\"pcm\",\"temperature\":0,\"speed\":\(speed)")
            _ = try client.expectAccepted()
            try client.text("Good morning.")
            try client.flush()
            let audio = try client.collectTurn().audio
            #expect(audio.reduce(0) { $0 + $1.count } == 2 * Int((Double(samples) / speed).rounded()), "speed \(speed)")
        }
        try client.config("\"speed\":5")
        guard case .error(let code, let message) = try client.next() else { Issue.record("no error for speed 5"); return }
        #expect(code == "invalid_config" && message.contains("speed"))
    }

    /// Kyutai's query takes `speed` too (ours; applied when valid, like `temperature`).
    @Test func kyutaiQuerySpeedStretchesTheUtterance() throws {
        let fixture = try EngineServiceFixture { $0.apiKeys = ["secret"] }
        defer { fixture.stop() }
        let samples = try TinyModel.frames("Hello big world.").reduce(0) { $0 + $1.count }
        let client = try KyutaiTestClient(port: fixture.port, query: "voice=alba&format=PcmMessagePack&temperature=0&speed=2")
        #expect(try client.next() == .ready)
        for word in ["Hello", "big", "world."] { try client.text(word) }
        try client.eos()
        let (messages, code) = try client.untilClose()
        #expect(code == 1000)
        let received = messages.reduce(0) { total, message in if case .audio(let pcm) = message { total + pcm.count } else { total } }
        #expect(received == samples / 2)
    }
}
