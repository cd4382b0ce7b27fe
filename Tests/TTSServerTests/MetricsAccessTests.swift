import Testing
@testable import TTSServer

/// `/metrics` is open, behind the API key, or off (`metrics_access`).
@Suite struct MetricsAccessTests {
    @Test func behindTheKeyByDefaultWhenKeysAreConfigured() throws {
        let service = try startService(engine: FakeSpeechEngine()) { $0.apiKeys = ["k1"] }
        defer { service.stop() }
        let port = try #require(service.port)
        let refused = try httpRequest(port: port, path: "/metrics")
        #expect(refused.status == 401 && refused.headers["www-authenticate"] == "Bearer")
        #expect(try httpRequest(port: port, path: "/metrics", headers: ["X-API-Key": "nope"]).status == 401)
        #expect(try httpRequest(port: port, path: "/metrics", headers: ["X-API-Key": "k1"]).status == 200)
        #expect(try httpRequest(port: port, path: "/metrics", headers: ["Authorization": "Bearer k1"]).status == 200)
        #expect(try httpRequest(port: port, path: "/health").status == 200)  // probes need no key
        #expect(try httpRequest(port: port, path: "/ready").status == 200)
    }

    @Test func openWithoutKeys() throws {
        let service = try startService(engine: FakeSpeechEngine())
        defer { service.stop() }
        #expect(try httpRequest(port: try #require(service.port), path: "/metrics").status == 200)
    }

    @Test func openOrOffOnRequest() throws {
        let open = try startService(engine: FakeSpeechEngine()) { $0.apiKeys = ["k1"]; $0.metricsAccess = .open }
        defer { open.stop() }
        #expect(try httpRequest(port: try #require(open.port), path: "/metrics").status == 200)
        let off = try startService(engine: FakeSpeechEngine()) { $0.metricsAccess = .off }
        defer { off.stop() }
        #expect(try httpRequest(port: try #require(off.port), path: "/metrics").status == 404)
    }

    @Test func theConfigKey() throws {
        var config = ServerConfig()
        #expect(config.metricsAccess == .apiKey)
        try config.apply(flags: ["metrics_access": "off"])
        #expect(config.metricsAccess == .off)
        #expect(throws: ServerConfigError.self) { try config.apply(flags: ["metrics_access": "public"]) }
    }
}
