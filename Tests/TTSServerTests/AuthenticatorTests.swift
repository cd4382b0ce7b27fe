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

    /// One rule: every credential presented must be a configured key.
    @Test func everyPresentedCredentialMustBeRight() {
        #expect(auth.check(request(["authorization": "Bearer nope", "x-api-key": "s3cr3t-two"])) == .invalidKey)
        #expect(auth.check(request(["authorization": "Bearer secret-1", "x-api-key": "nope"])) == .invalidKey)
        #expect(auth.check(request(["authorization": "Bearer secret-1", "x-api-key": "s3cr3t-two"])) == .allowed)
    }

    /// Each protocol's own place for the key counts on every endpoint.
    @Test func everyVendorsPlaceCounts() {
        #expect(auth.check(request(["authorization": "Token secret-1"])) == .allowed)  // Deepgram
        #expect(auth.check(request(["xi-api-key": "secret-1"])) == .allowed)  // ElevenLabs
        #expect(auth.check(request(["kyutai-api-key": "secret-1"])) == .allowed)  // Kyutai
        #expect(auth.check(request(["xi-api-key": "wrong"])) == .invalidKey)
        let query = { (q: [String: String]) in HTTPRequest(method: "GET", path: "/x", query: q, isWebSocketUpgrade: true) }
        #expect(auth.check(query(["auth_id": "secret-1"])) == .allowed)
        #expect(auth.check(query(["authorization": "secret-1"])) == .allowed)
        #expect(auth.check(query(["authorization": "Bearer secret-1"])) == .allowed)
        #expect(auth.check(query(["authorization": "Basic secret-1"])) == .invalidKey)
        #expect(auth.check(Authenticator.Credentials(authorization: "secret-1", apiKey: nil)) == .allowed)  // a first message
        #expect(auth.check(Authenticator.Credentials(authorization: nil, apiKey: "nope")) == .invalidKey)
        #expect(auth.check(Authenticator.Credentials()) == .missingKey)
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
        // A wrong key anywhere refuses the request, as with the two headers.
        #expect(auth.check(upgrade(query: ["api_key": "secret-1"], headers: ["x-api-key": "wrong"])) == .invalidKey)
    }

    @Test func theParameterIsIgnoredWithoutConfiguredKeys() {
        #expect(Authenticator(apiKeys: []).check(upgrade(query: ["api_key": "anything"])) == .allowed)
    }
}
