import Foundation
import Testing
import TTSEngine
@testable import TTSServer

/// Admission by measured headroom through the service (issue 24): `at_capacity` with a retry
/// hint in each protocol's form, `/ready` not ready at zero headroom, the capacity on `/metrics`.
@Suite struct CapacityServiceTests {
    @Test func readyIsNotReadyWhileNoTurnFits() throws {
        let engine = FakeSpeechEngine(capacityStreams: 1)
        let service = try startService(engine: engine) { $0.metricsAccess = .open }
        defer { service.stop() }
        let port = try #require(service.port)
        #expect(try httpRequest(port: port, path: "/ready").status == 200)
        let metrics = try httpRequest(port: port, path: "/metrics").text
        #expect(metricValue(metrics, "pocket_tts_capacity_streams") == 1)
        #expect(metricValue(metrics, "pocket_tts_headroom_streams") == 1)

        let client = try TTSTestClient.connect(port: port)
        try client.config()
        _ = try client.expectAccepted()
        let full = try httpRequest(port: port, path: "/ready")
        #expect(full.status == 503 && full.text == "at capacity: 1 of 1 streams\n")
        #expect(full.headers["retry-after"] == "2")
        let fullMetrics = try httpRequest(port: port, path: "/metrics").text
        #expect(metricValue(fullMetrics, "pocket_tts_headroom_streams") == 0)
        #expect(metricValue(fullMetrics, "pocket_tts_active_streams") == 1)

        let other = try TTSTestClient.connect(port: port)
        try other.config()
        guard case .error("at_capacity", let message) = try other.next() else { Issue.record("no at_capacity"); return }
        #expect(message == "server at capacity: try again in 2 s")

        try client.cancel()
        #expect(eventually { (try? httpRequest(port: port, path: "/ready").status) == 200 })
        try other.config()
        _ = try other.expectAccepted()
    }

    @Test func httpSpeechAtCapacityIs503WithRetryAfter() throws {
        let service = try startService(engine: FakeSpeechEngine(capacityStreams: 0))
        defer { service.stop() }
        let port = try #require(service.port)
        #expect(try httpRequest(port: port, path: "/ready").status == 503)
        let body = "{\"model\":\"tts-1\",\"input\":\"Hello there.\",\"voice\":\"alba\"}"
        let response = try httpRequest(port: port, method: "POST", path: "/v1/audio/speech",
                                       headers: ["Content-Type": "application/json"], body: Array(body.utf8))
        #expect(response.status == 503)
        #expect(response.headers["retry-after"] == "2")
        #expect(response.text.contains("at_capacity") || response.text.contains("server at capacity"))
    }

    @Test func theNativeErrorCarriesTheRetryHint() {
        #expect(NativeAdapter.frame(.error(.atCapacity(retryAfterSeconds: 3)))
            == .text("{\"type\":\"error\",\"data\":{\"message\":\"server at capacity: try again in 3 s\",\"code\":\"at_capacity\",\"retry_after\":3}}"))
        #expect(NativeAdapter.frame(.error(.unknownVoice("x")))
            == .text("{\"type\":\"error\",\"data\":{\"message\":\"unknown voice \\\"x\\\"\",\"code\":\"unknown_voice\"}}"))
        #expect(ProtocolError.atCapacity == .atCapacity(retryAfterSeconds: ProtocolError.defaultRetryAfterSeconds))
        #expect(ProtocolError.atCapacity(retryAfterSeconds: 5).closeCode == 1013)
        #expect(HTTPSpeechOutput.status(of: .atCapacity(retryAfterSeconds: 5)) == 503)
    }

    /// The real engine with costs that fit one stream: the second turn is refused, /ready says
    /// 503 meanwhile, and the first turn's audio comes whole.
    @Test func theEngineAdmitsByItsCapacity() throws {
        let fixture = try EngineServiceFixture(maxStreams: 4) { $0.metricsAccess = .open }
        defer { fixture.stop() }
        // The producer: 62.5 + 1·N ms of each 64: one stream fits, two do not (any core count).
        fixture.engine.setCapacityCosts(CapacityModel.Costs(stepBase: 0.0625, stepPerStream: 0.001, promptRowSeconds: 0,
                                                            promptRowsPerFrame: 0, decodeBase: 0, decodePerStream: 0.0001),
                                        tracksLive: false)
        #expect(fixture.engine.capacity.streams == 1)
        let metrics = try httpRequest(port: fixture.port, path: "/metrics").text
        #expect(metricValue(metrics, "pocket_tts_capacity_streams") == 1)
        let first = try fixture.connect()
        try first.config()
        _ = try first.expectAccepted()
        #expect(try httpRequest(port: fixture.port, path: "/ready").status == 503)
        let second = try fixture.connect()
        try second.config()
        guard case .error("at_capacity", _) = try second.next() else { Issue.record("no at_capacity"); return }
        try first.text("Hello world.")
        try first.flush()
        let (audio, _) = try first.collectTurn()
        #expect(!audio.isEmpty)
    }

    @Test func maxStreamsIsAutoOrANumber() throws {
        var config = ServerConfig()
        #expect(config.maxStreams == nil && config.measureCapacity && config.playoutMargin == 0.2)
        var engine = config.engineConfiguration
        #expect(engine.maxStreams == ServerConfig.autoMaxStreams && engine.budgetedStreams == 1 && engine.playoutMargin == 0.2)
        try config.apply(yaml: "max_streams: 12\nplayout_margin: 0.3", source: "test")
        engine = config.engineConfiguration
        #expect(config.maxStreams == 12 && engine.maxStreams == 12 && engine.budgetedStreams == nil && engine.playoutMargin == 0.3)
        try config.apply(flags: ["max_streams": "auto"])
        #expect(config.maxStreams == nil)
        try config.apply(flags: ["measure_capacity": "false"])
        #expect(!config.measureCapacity)
        #expect(throws: ServerConfigError.self) { try config.apply(flags: ["max_streams": "0"]) }
        #expect(throws: ServerConfigError.self) { try config.apply(flags: ["max_streams": "many"]) }
        #expect(throws: ServerConfigError.self) { try config.apply(flags: ["playout_margin": "1"]) }
        #expect(throws: ServerConfigError.self) { try config.apply(flags: ["playout_margin": "-0.1"]) }
    }

    /// The example file in Configs/ is the defaults.
    @Test func theExampleFileSaysAuto() throws {
        let file = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("Configs/server.yaml")
        let config = try ServerConfig.load(filePath: file.path, environment: [:])
        #expect(config.maxStreams == nil && config.playoutMargin == 0.2)
    }
}
