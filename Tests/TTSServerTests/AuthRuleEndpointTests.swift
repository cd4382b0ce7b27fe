import Testing
@testable import TTSServer

/// The one API-key rule (Authenticator.swift), endpoint by endpoint through a running service:
/// no key, a wrong key beside a right one, and each place a key may come in.
@Suite struct AuthRuleEndpointTests {
    /// Every endpoint that needs the key: (method, path, body).
    static let endpoints: [(String, String, String)] = [
        ("GET", "/metrics", ""), ("GET", "/v1/models", ""), ("GET", "/v1/audio/voices", ""), ("GET", "/voices", ""),
        ("GET", "/v1/voices", ""),
        ("POST", "/v1/audio/speech", #"{"model":"tts-1","input":"Hi.","voice":"alba"}"#),
        ("POST", "/v1/speak", #"{"text":"Hi."}"#),
        ("POST", "/v1/text-to-speech/alba", #"{"text":"Hi."}"#),
    ]

    @Test func httpEndpointsFollowOneRule() throws {
        let service = try startService(engine: FakeSpeechEngine()) { $0.apiKeys = ["k1"] }
        defer { service.stop() }
        let port = try #require(service.port)
        for (method, path, body) in Self.endpoints {
            func status(_ path: String, _ headers: [String: String]) throws -> Int {
                var headers = headers
                if !body.isEmpty { headers["Content-Type"] = "application/json" }
                return try httpRequest(port: port, method: method, path: path, headers: headers, body: Array(body.utf8)).status
            }
            #expect(try status(path, [:]) == 401, "\(method) \(path) without a key")
            #expect(try status(path, ["Authorization": "Bearer wrong", "X-API-Key": "k1"]) == 401, "\(method) \(path) wrong beside right")
            #expect(try status(path, ["X-API-Key": "k1", "xi-api-key": "wrong"]) == 401, "\(method) \(path) wrong beside right")
            for (headers, query) in [(["Authorization": "Bearer k1"], ""), (["Authorization": "Token k1"], ""), (["X-API-Key": "k1"], ""),
                                     (["xi-api-key": "k1"], ""), (["kyutai-api-key": "k1"], ""), ([:], "?api_key=k1")] {
                let answer = try status(path + query, headers)
                #expect(answer != 401 && answer != 403, "\(method) \(path)\(query) \(headers): \(answer)")
            }
        }
    }

    @Test func webSocketUpgradesFollowOneRule() throws {
        let service = try startService(engine: FakeSpeechEngine()) { $0.apiKeys = ["k1"] }
        defer { service.stop() }
        let port = try #require(service.port)
        for path in ["/tts/ws", "/v1/speak", "/api/tts_streaming", "/v1/text-to-speech/alba/stream-input"] {
            let wrong = try TestWebSocket.connect(port: port, path: path, headers: ["Authorization": "Bearer wrong", "X-API-Key": "k1"])
            #expect(wrong.response.status == 401, "\(path) wrong beside right")
            let right = try TestWebSocket.connect(port: port, path: path + "?api_key=k1")
            #expect(right.response.status == 101, "\(path) ?api_key")
            let token = try TestWebSocket.connect(port: port, path: path, headers: ["Authorization": "Token k1"])
            #expect(token.response.status == 101, "\(path) Token")
        }
    }
}
