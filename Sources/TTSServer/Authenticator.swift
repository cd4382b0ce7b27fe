// Authenticator.swift: the one API-key rule of every endpoint and protocol.
//
// A request presents every credential it carries, wherever it carries it, whatever the endpoint:
//   headers  `Authorization: Bearer <key>` (OpenAI, the native protocol), `Authorization: Token <key>`
//            (Deepgram), `X-API-Key`, `xi-api-key` (ElevenLabs), `kyutai-api-key` (Kyutai);
//   query    `?api_key=` (browsers cannot set a WebSocket's headers), `?auth_id=` (Kyutai),
//            `?authorization=` (ElevenLabs; with or without "Bearer ");
//   message  ElevenLabs' first message `xi_api_key` / `authorization` (WebSocket only).
// With keys configured, a request is let in when it presents at least one credential and every
// credential it presents is a configured key: none is `missingKey`, any wrong one is `invalidKey`
// (a wrong `Authorization` beside a right `X-API-Key` is refused). An `Authorization` header of
// another scheme counts as a wrong key. With no keys configured every request is let in and the
// credentials are ignored.

public struct Authenticator: Sendable {
    public enum Decision: Equatable, Sendable {
        case allowed
        /// No credential was presented.
        case missingKey
        /// A credential was presented that is not one of ours.
        case invalidKey
    }

    /// The credentials one request presents (trimmed; "" stands for an unusable one).
    public struct Credentials: Sendable, Equatable {
        public var keys: [String] = []

        public init(keys: [String] = []) { self.keys = keys }

        /// Every header and query parameter above.
        public init(_ request: HTTPRequest) {
            if let authorization = request.header("authorization") { keys.append(Self.scheme(authorization, required: true)) }
            for name in Authenticator.keyHeaderNames { if let key = request.header(name) { keys.append(Self.trim(key)) } }
            for name in [Authenticator.queryParameterName, "auth_id"] { if let key = request.query[name] { keys.append(Self.trim(key)) } }
            if let token = request.query["authorization"] { keys.append(Self.scheme(token, required: false)) }
        }

        /// ElevenLabs' first message: `authorization` (a bearer token, "Bearer " optional) and `xi_api_key`.
        public init(authorization: String?, apiKey: String?) {
            if let authorization { keys.append(Self.scheme(authorization, required: false)) }
            if let apiKey { keys.append(Self.trim(apiKey)) }
        }

        /// The key of "Bearer <key>" or "Token <key>"; without a scheme, the value itself unless
        /// a scheme is required; "" for another scheme.
        static func scheme(_ value: String, required: Bool) -> String {
            let parts = value.split(separator: " ", maxSplits: 1, omittingEmptySubsequences: true)
            if parts.count == 2, ["bearer", "token"].contains(parts[0].lowercased()) { return trim(String(parts[1])) }
            return required || parts.count != 1 ? "" : trim(value)
        }

        static func trim(_ value: String) -> String { Substring(value).trimmingWhitespace() }
    }

    /// The headers besides `Authorization` that carry a key (lower-case): the WebSocket server
    /// must collect them.
    public static let keyHeaderNames = ["x-api-key", "xi-api-key", "kyutai-api-key"]
    /// The query parameter browsers send the key in (README, "Web page").
    public static let queryParameterName = "api_key"

    private let keys: [[UInt8]]

    public init(apiKeys: [String]) {
        keys = apiKeys.filter { !$0.isEmpty }.map { Array($0.utf8) }
    }

    /// No keys configured: everything is allowed.
    public var isOpen: Bool { keys.isEmpty }

    /// The rule for an HTTP request or a WebSocket upgrade.
    public func check(_ request: HTTPRequest) -> Decision {
        check(Credentials(request))
    }

    /// Allowed when at least one credential is presented and each is a configured key.
    public func check(_ credentials: Credentials) -> Decision {
        if isOpen { return .allowed }
        if credentials.keys.isEmpty { return .missingKey }
        return credentials.keys.allSatisfy(isKnown) ? .allowed : .invalidKey
    }

    /// The 401 answer for a refused request.
    public static func unauthorized(_ decision: Decision) -> HTTPResponse {
        let text = decision == .missingKey
            ? "missing API key: send \"Authorization: Bearer <key>\", \"X-API-Key: <key>\" or ?api_key=<key>\n"
            : "invalid API key\n"
        return HTTPResponse(status: 401, text: text, headers: ["WWW-Authenticate": "Bearer"])
    }

    /// Compares against every key in time independent of where the bytes differ.
    private func isKnown(_ candidate: String) -> Bool {
        let bytes = Array(candidate.utf8)
        var found = false
        for key in keys {
            var difference = UInt8(key.count == bytes.count ? 0 : 1)
            for i in 0..<key.count {
                difference |= key[i] ^ (i < bytes.count ? bytes[i] : 0)
            }
            found = found || difference == 0
        }
        return found
    }
}

extension Substring {
    fileprivate func trimmingWhitespace() -> String {
        String(drop(while: \.isWhitespace).reversed().drop(while: \.isWhitespace).reversed())
    }
}
