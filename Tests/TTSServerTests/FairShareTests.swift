import Foundation
import Testing
@testable import TTSServer

/// No address holds more than its share of the engine's streams (TTSService+Admission.swift):
/// with one address doing its worst inside the limits, another is still admitted and gets audio.
@Suite(.serialized) struct FairShareTests {
    @Test func theShareIsHalfTheCurrentCapacityByDefault() {
        func share(_ configure: (inout ServerConfig) -> Void, streams: Int?) -> Int? {
            var config = ServerConfig()
            configure(&config)
            return TTSService(config: config).streamShare(capacity: streams.map { SpeechCapacity(streams: $0, active: 0) })
        }
        #expect(share({ _ in }, streams: 8) == 4)
        #expect(share({ _ in }, streams: 9) == 4)
        #expect(share({ _ in }, streams: 2) == 1)
        #expect(share({ _ in }, streams: 1) == 1)  // one stream: someone must be able to speak
        #expect(share({ $0.maxStreams = 6 }, streams: nil) == 3)  // no measured capacity: the number
        #expect(share({ _ in }, streams: nil) == nil)
        #expect(share({ $0.maxStreamsPerAddress = 3 }, streams: 100) == 3)
        #expect(share({ $0.maxStreamsPerAddress = 0 }, streams: 8) == nil)
        #expect(share({ $0.maxSessionsPerAddress = 0 }, streams: 8) == nil)  // behind a proxy
    }

    @Test func configKeysParse() throws {
        var config = try ServerConfig.load(filePath: nil, environment: [:], flags: ["max_streams_per_address": "5", "max_turn_audio_s": "30"])
        #expect(config.maxStreamsPerAddress == 5 && config.maxTurnAudioSeconds == 30)
        try config.apply(yaml: "max_streams_per_address: auto", source: "test")
        #expect(config.maxStreamsPerAddress == nil)
        #expect(throws: ServerConfigError.self) { try ServerConfig.load(filePath: nil, environment: [:], flags: ["max_turn_audio_s": "0"]) }
        #expect(throws: ServerConfigError.self) {
            try ServerConfig.load(filePath: nil, environment: [:], flags: ["max_streams_per_address": "all"])
        }
        #expect(ServerConfig().maxStreamsPerAddress == nil && ServerConfig().maxTurnAudioSeconds == 600)
    }

    @Test func oneAddressAtItsWorstLeavesRoomForAnother() throws {
        // 4 streams; address A opens every session it may (8), each asking for a turn it never ends.
        let engine = FakeSpeechEngine(maxTurns: 4, capacityStreams: 4)
        let service = try startService(engine: engine)
        defer { service.stop() }
        let port = try #require(service.port)
        var hogs: [TTSTestClient] = []
        var accepted = 0, refused = 0
        for _ in 0..<8 {
            let client = try TTSTestClient.connect(port: port, from: "127.0.0.1")
            try client.config()
            switch try client.next() {
            case .event("config_accepted", _): accepted += 1
            case .error("at_capacity", _): refused += 1
            case let other: Issue.record("unexpected \(other)")
            }
            try client.text("Hello there.")  // speaking, never flushed: the stream stays taken
            hogs.append(client)
        }
        #expect(accepted == 2 && refused == 6, "address A got \(accepted) streams of 4")
        // An HTTP request from A is refused too (the share counts both kinds).
        let body = Array("{\"model\":\"tts-1\",\"input\":\"Hello.\",\"voice\":\"alba\",\"response_format\":\"pcm\"}".utf8)
        let json = ["Content-Type": "application/json"]
        #expect(try HTTPTestClient(port: port, from: "127.0.0.1").send(path: "/v1/audio/speech", headers: json, body: body).status == 503)

        // Address B is admitted and gets its first audio, over WebSocket and over HTTP.
        let other = try TTSTestClient.connect(port: port, from: "127.0.0.2")
        try other.config()
        _ = try other.expectAccepted()
        try other.text("Hello from another address.")
        try other.flush()
        let turn = try other.collectTurn()
        #expect(!turn.audio.isEmpty)
        let fromB = try HTTPTestClient(port: port, from: "127.0.0.2")
        #expect(try fromB.send(path: "/v1/audio/speech", headers: json, body: body).status == 200)
        #expect(!(try fromB.restOfBody()).isEmpty)

        // A's share frees up as its turns end.
        try hogs[0].cancel()
        #expect(eventually(5) { engine.openTurns == 1 })
        try hogs[0].config()
        #expect(try hogs[0].expectAccepted().count == 32)
    }
}
