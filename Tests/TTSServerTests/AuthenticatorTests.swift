import Testing
@testable import TTSServer

private func request(_ headers: [String: String]) -> HTTPRequest {
    HTTPRequest(method: "GET", path: "/tts/ws", headers: headers, isWebSocketUpgrade: true)
}

@Suite struct AuthenticatorTests {
    let auth = Authenticator(apiKeys: ["secret-1", "s3cr3t-two"])

    @Test func noKeysConfiguredMeansOpen() {
        let open = Authenticator(apiKeys: [])
        #expect(open.isOpen)
        #expect(open.check(request([:])) == .allowed)
        #expect(open.check(request(["authorization": "Bearer whatever"])) == .allowed)
        #expect(Authenticator(apiKeys: [""]).isOpen)
    }

    @Test func bearerToken() {
        #expect(!auth.isOpen)
        #expect(auth.check(request(["authorization": "Bearer secret-1"])) == .allowed)
        #expect(auth.check(request(["authorization": "bearer   s3cr3t-two "])) == .allowed)
        #expect(auth.check(request(["authorization": "Bearer secret-2"])) == .invalidKey)
        #expect(auth.check(request(["authorization": "Basic c2VjcmV0LTE="])) == .invalidKey)
        #expect(auth.check(request(["authorization": "secret-1"])) == .invalidKey)
    }

    @Test func apiKeyHeader() {
        #expect(auth.check(request(["x-api-key": "secret-1"])) == .allowed)
        #expect(auth.check(request(["x-api-key": "secret-"])) == .invalidKey)
        #expect(auth.check(request(["x-api-key": "secret-12"])) == .invalidKey)
        #expect(auth.check(request(["x-api-key": ""])) == .invalidKey)
    }

    @Test func eitherHeaderSuffices() {
        #expect(auth.check(request(["authorization": "Bearer nope", "x-api-key": "s3cr3t-two"])) == .allowed)
        #expect(auth.check(request(["authorization": "Bearer secret-1", "x-api-key": "nope"])) == .allowed)
    }

    @Test func missingKey() {
        #expect(auth.check(request([:])) == .missingKey)
        #expect(auth.check(request(["cookie": "secret-1"])) == .missingKey)
    }

    @Test func unauthorizedResponse() {
        let response = Authenticator.unauthorized(.missingKey)
        #expect(response.status == 401)
        #expect(response.headers["WWW-Authenticate"] == "Bearer")
        #expect(String(decoding: response.body, as: UTF8.self).contains("X-API-Key"))
        #expect(Authenticator.unauthorized(.invalidKey).status == 401)
    }
}

@Suite struct AuthenticatorQueryKeyTests {
    private func upgrade(query: [String: String], headers: [String: String] = [:]) -> HTTPRequest {
        HTTPRequest(method: "GET", path: "/tts/ws", query: query, headers: headers, isWebSocketUpgrade: true)
    }

    @Test func browsersSendTheKeyAsApiKeyParameter() {
        let auth = Authenticator(apiKeys: ["secret-1"])
        #expect(auth.check(upgrade(query: ["api_key": "secret-1"])) == .allowed)
        #expect(auth.check(upgrade(query: ["api_key": "secret-2"])) == .invalidKey)
        #expect(auth.check(upgrade(query: ["api_key": ""])) == .invalidKey)
        #expect(auth.check(upgrade(query: ["key": "secret-1"])) == .missingKey)  // only `api_key` counts
        // A right key anywhere lets the request in, as with the two headers.
        #expect(auth.check(upgrade(query: ["api_key": "secret-1"], headers: ["x-api-key": "wrong"])) == .allowed)
    }

    @Test func theParameterIsIgnoredWithoutConfiguredKeys() {
        #expect(Authenticator(apiKeys: []).check(upgrade(query: ["api_key": "anything"])) == .allowed)
    }
}
