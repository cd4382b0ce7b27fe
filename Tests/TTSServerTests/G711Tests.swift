import Foundation
import Testing
@testable import TTSServer

/// Tables from Python's audioop (Scripts/reference/make_g711_fixture.py).
private struct G711Fixture: Decodable {
    let encode: [String: [[Int]]]
    let decode: [String: [Int]]

    static func load() throws -> G711Fixture {
        let url = try #require(Bundle.module.url(forResource: "g711", withExtension: "json", subdirectory: "Fixtures/g711"))
        return try JSONDecoder().decode(G711Fixture.self, from: Data(contentsOf: url))
    }

    /// The full encode table from its runs: [65536], index = sample + 32768.
    func encodeTable(_ law: String) -> [UInt8] {
        let runs = encode[law]!
        var table: [UInt8] = []
        for (i, run) in runs.enumerated() {
            let end = i + 1 < runs.count ? runs[i + 1][0] : 32768
            table += [UInt8](repeating: UInt8(run[1]), count: end - run[0])
        }
        return table
    }
}

@Suite struct G711Tests {
    @Test func knownValuesFromTheStandard() {
        // Zero, the extremes, and the decoded end points of both laws.
        #expect(G711.muLaw(0) == 0xFF)
        #expect(G711.muLaw(32767) == 0x80)
        #expect(G711.muLaw(-32768) == 0x00)
        #expect(G711.aLaw(0) == 0xD5)
        #expect(G711.aLaw(32767) == 0xAA)
        #expect(G711.aLaw(-32768) == 0x2A)
        #expect(G711.linear(muLaw: 0xFF) == 0)
        #expect(G711.linear(muLaw: 0x80) == 32124)
        #expect(G711.linear(muLaw: 0x00) == -32124)
        #expect(G711.linear(aLaw: 0xD5) == 8)
        #expect(G711.linear(aLaw: 0x55) == -8)
        #expect(G711.linear(aLaw: 0xAA) == 32256)
        #expect(G711.linear(aLaw: 0x2A) == -32256)
    }

    @Test func everySampleEncodesAsAudioopDoes() throws {
        let fixture = try G711Fixture.load()
        let mu = fixture.encodeTable("mulaw"), a = fixture.encodeTable("alaw")
        #expect(mu.count == 65536 && a.count == 65536)
        var muMismatches = 0, aMismatches = 0
        for sample in Int(Int16.min)...Int(Int16.max) {
            if G711.muLaw(Int16(sample)) != mu[sample + 32768] { muMismatches += 1 }
            if G711.aLaw(Int16(sample)) != a[sample + 32768] { aMismatches += 1 }
        }
        #expect(muMismatches == 0)
        #expect(aMismatches == 0)
    }

    @Test func everyCodeDecodesAsAudioopDoes() throws {
        let fixture = try G711Fixture.load()
        #expect((0...255).map { Int(G711.linear(muLaw: UInt8($0))) } == fixture.decode["mulaw"]!)
        #expect((0...255).map { Int(G711.linear(aLaw: UInt8($0))) } == fixture.decode["alaw"]!)
    }

    @Test(arguments: [G711.Law.muLaw, .aLaw])
    func roundTripErrorIsBoundedBySegment(law: G711.Law) {
        // Each segment doubles the step; a code decodes to the middle of its step, so the error is
        // at most half a step: (|x| + bias) / 32 in the top segments, plus the clipping of μ-law
        // above 32635 (still inside the bound). The decoded value of every code encodes to it again.
        for sample in stride(from: Int(Int16.min), through: Int(Int16.max), by: 7) {
            let decoded = Int(G711.decode(G711.encode(Int16(sample), law: law), law: law))
            let error = abs(decoded - sample)
            let bound = (abs(sample) + 132) / 32 + 16
            #expect(error <= bound, "sample \(sample) -> \(decoded)")
        }
        for code in 0...255 where !(law == .muLaw && code == 0x7F) {  // μ-law 0x7F is "-0"
            let value = G711.decode(UInt8(code), law: law)
            #expect(G711.encode(value, law: law) == UInt8(code), "code \(code)")
        }
    }

    @Test(arguments: [G711.Law.muLaw, .aLaw])
    func decodingIsMonotonicInTheSample(law: G711.Law) {
        var previous = Int.min
        for sample in stride(from: Int(Int16.min), through: Int(Int16.max), by: 3) {
            let value = Int(G711.decode(G711.encode(Int16(sample), law: law), law: law))
            #expect(value >= previous)
            previous = value
        }
    }
}
