import AudioIO
import Foundation
import Testing
@testable import TTSServer

/// An SSML turn's encoder: silence of exact length between frames, never stretched; the speed
/// changes at a mark, everything before it encoded first.
@Suite struct SSMLAudioEncoderTests {
    static func samples(_ payloads: [[UInt8]]) -> [Int16] {
        let bytes = payloads.flatMap { $0 }
        return stride(from: 0, to: bytes.count - 1, by: 2).map { Int16(bitPattern: UInt16(bytes[$0]) | UInt16(bytes[$0 + 1]) << 8) }
    }

    static let tone = (0..<1920).map { Float(sin(Double($0) * 0.05) * 0.5) }

    @Test func silenceGoesBetweenTheFramesAtItsLength() throws {
        let encoder = try SSMLAudioEncoder(makeAudioEncoder(format: .pcm, sampleRate: 24000), speed: 1)
        var payloads = try encoder.encode(Self.tone)
        payloads += try encoder.apply(.silence(seconds: 0.5))
        payloads += try encoder.encode(Self.tone)
        payloads += try encoder.finish()
        let out = Self.samples(payloads)
        #expect(out.count == 1920 + 12_000 + 1920)
        #expect(out[1920..<(1920 + 12_000)].allSatisfy { $0 == 0 })
        #expect(out[..<1920].contains { $0 != 0 } && out[(1920 + 12_000)...].contains { $0 != 0 })
    }

    @Test(arguments: [0.5, 2.0])
    func silenceIsNotStretchedAndTheRateChangesAtTheMark(speed: Double) throws {
        let encoder = try SSMLAudioEncoder(makeAudioEncoder(format: .pcm, sampleRate: 24000), speed: speed)
        var payloads: [[UInt8]] = []
        for _ in 0..<10 { payloads += try encoder.encode(Self.tone) }
        payloads += try encoder.apply(.silence(seconds: 0.25))
        let beforeRate = Self.samples(payloads).count
        #expect(beforeRate == Int((19_200 / speed).rounded()) + 6_000)  // the stretcher's tail came out first
        payloads += try encoder.apply(.rate(2))  // twice the turn's speed from here
        for _ in 0..<10 { payloads += try encoder.encode(Self.tone) }
        payloads += try encoder.finish()
        #expect(encoder.speed == speed * 2)
        let after = Self.samples(payloads).count - beforeRate
        #expect(after == Int((19_200 / (speed * 2)).rounded()))
    }

    @Test func rateKeepsTheSpeedInRange() throws {
        let encoder = try SSMLAudioEncoder(makeAudioEncoder(format: .pcm, sampleRate: 24000), speed: 3)
        _ = try encoder.apply(.rate(2))
        #expect(encoder.speed == TimeStretcher.speedRange.upperBound)
        _ = try encoder.apply(.rate(1))
        #expect(encoder.speed == 3)
    }
}
