import Foundation
import Testing
@testable import TTSServer

/// Wyoming's framing as pure values: bytes in, events out, and the events we write.
@Suite struct WyomingEventTests {
    let limits = WyomingLimits(maxLineBytes: 256, maxDataBytes: 128, maxPayloadBytes: 64)

    /// Splits `bytes` fed in pieces of `step` bytes.
    func split(_ bytes: [UInt8], step: Int, limits: WyomingLimits? = nil) -> [WebSocketMessage] {
        var framer = WyomingFramer(limits: limits ?? self.limits)
        var messages: [WebSocketMessage] = []
        var at = 0
        while at < bytes.count {
            let end = min(bytes.count, at + step)
            messages += Array(bytes[at..<end]).withUnsafeBytes { framer.append($0) }
            at = end
        }
        return messages
    }

    func decode(_ message: WebSocketMessage) throws -> WyomingEvent {
        guard case .binary(let bytes) = message else { throw ProtocolError.notAMessageObject }
        return try WyomingEvent.decode(bytes, limits: limits)
    }

    @Test func writesAsThePackageDoes() throws {
        let event = WyomingEvent(type: "audio-chunk", data: ["rate": .integer(24000)], payload: [1, 2, 3])
        let bytes = event.encoded
        let newline = try #require(bytes.firstIndex(of: 10))
        let header = try #require(try JSONSerialization.jsonObject(with: Data(bytes[..<newline])) as? [String: Any])
        #expect(header["type"] as? String == "audio-chunk" && header["version"] as? String == "1.10.2")
        #expect(header["data_length"] as? Int == 14 && header["payload_length"] as? Int == 3 && header["data"] == nil)
        #expect(Array(bytes[(newline + 1)...]) == Array(#"{"rate":24000}"#.utf8) + [1, 2, 3])
        // No data, no payload: neither length is written.
        #expect(WyomingEvent(type: "synthesize-stopped").encoded == Array(#"{"type":"synthesize-stopped","version":"1.10.2"}"#.utf8) + [10])
        #expect(try WyomingEvent.decode(bytes, limits: limits) == event)
    }

    @Test func readsBothFormsOfData() throws {
        // Data in the header line (older writers), data in a block after it, and both: the block wins.
        let inline = Array(#"{"type":"synthesize","data":{"text":"Hi.","voice":{"name":"alba"}}}"#.utf8) + [10]
        let block = Array(#"{"text":"Hi."}"#.utf8)
        let separate = Array(#"{"type":"synthesize","data_length":\#(block.count)}"#.utf8) + [10] + block
        let both = Array(#"{"type":"synthesize","data":{"text":"old","x":1},"data_length":\#(block.count)}"#.utf8) + [10] + block
        let events = try split(inline + separate + both, step: 1000).map(decode)
        #expect(events.map(\.type) == ["synthesize", "synthesize", "synthesize"])
        #expect(events[0].data["voice"] == .object(["name": .string("alba")]))
        #expect(events[1].data == ["text": .string("Hi.")])
        #expect(events[2].data == ["text": .string("Hi."), "x": .integer(1)])
    }

    @Test func splitsWhateverTheReadsAre() throws {
        let stream = [WyomingEvent(type: "describe"), WyomingEvent(type: "ping", data: ["text": .string("é")]),
                      WyomingEvent(type: "audio-chunk", data: ["rate": .integer(16000)], payload: Array(repeating: 7, count: 50)),
                      WyomingEvent(type: "synthesize", data: ["text": .string("Hello there.")])]
        let bytes = stream.flatMap(\.encoded) + Array("\n\r\n".utf8) + WyomingEvent(type: "describe").encoded  // blank lines
        for step in [1, 2, 3, 7, 64, 4096] {
            let events = try split(bytes, step: step).map(decode)
            #expect(events == stream + [WyomingEvent(type: "describe")], "reads of \(step) bytes")
        }
        // A length of 0, null or below 0 is none; a CRLF line end is read.
        let lenient = Array(#"{"type":"ping","data_length":0,"payload_length":-4}"#.utf8) + [13, 10]
        #expect(try split(lenient, step: 5).map(decode) == [WyomingEvent(type: "ping")])
    }

    @Test func boundsEveryLengthAndStopsAtTheFirstBadEvent() throws {
        func failure(_ bytes: [UInt8]) -> String? {
            let messages = split(bytes + WyomingEvent(type: "describe").encoded, step: 17)
            guard case .text(let reason)? = messages.last else { return nil }
            return reason
        }
        #expect(failure(Array(repeating: UInt8(ascii: "x"), count: 300))?.contains("longer than 256") == true)  // no newline
        #expect(failure(Array(#"{"type":"x","data_length":129}"#.utf8) + [10])?.contains("data_length") == true)
        #expect(failure(Array(#"{"type":"x","payload_length":65}"#.utf8) + [10])?.contains("payload_length") == true)
        #expect(failure(Array(#"{"type":"x","data_length":"5"}"#.utf8) + [10])?.contains("integer") == true)
        #expect(failure(Array("not json".utf8) + [10]) != nil)
        #expect(failure(Array(#"{"data":{}}"#.utf8) + [10]) != nil)  // no type
        #expect(failure([0xFF, 0xFE, 10]) != nil)  // not UTF-8
        #expect(failure(Array(String(repeating: "[", count: 40).utf8) + [10]) != nil)  // deeper than the JSON bound
        // After a failure, nothing more comes out.
        var framer = WyomingFramer(limits: limits)
        _ = Array("bad\n".utf8).withUnsafeBytes { framer.append($0) }
        #expect(WyomingEvent(type: "describe").encoded.withUnsafeBytes { framer.append($0) }.isEmpty)
        // A data block that is not an object is found by `decode`, once the framer has cut it.
        let array = Array("[1]".utf8)
        let event = Array(#"{"type":"x","data_length":3}"#.utf8) + [10] + array
        let cut = split(event, step: 100)
        #expect(cut.count == 1)
        if let first = cut.first { #expect(throws: ProtocolError.self) { try decode(first) } }
    }
}
