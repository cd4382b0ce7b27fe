// Authenticator.swift: API-key checks on HTTP and WebSocket upgrade requests. A key comes as
// `Authorization: Bearer <key>` or `X-API-Key: <key>`, or, for browsers (which cannot set
// headers on a WebSocket), as the query parameter `?api_key=<key>`. With no keys configured
// every request is let in and the parameter is ignored.

public struct Authenticator: Sendable {
    public enum Decision: Equatable, Sendable {
        case allowed
        /// Neither header was sent.
        case missingKey
        /// A key was sent but is not one of ours.
        case invalidKey
    }

    /// The request headers the keys come in (lower-case): the WebSocket server must collect them.
    public static let headerNames = ["authorization", "x-api-key"]
    /// The query parameter browsers send the key in (README, "Web page").
    public static let queryParameterName = "api_key"

    private let keys: [[UInt8]]

    public init(apiKeys: [String]) {
        keys = apiKeys.filter { !$0.isEmpty }.map { Array($0.utf8) }
    }

    /// No keys configured: everything is allowed.
    public var isOpen: Bool { keys.isEmpty }

    public func check(_ request: HTTPRequest) -> Decision {
        check(authorization: request.header("authorization"), apiKey: request.header("x-api-key"),
              queryKey: request.query[Self.queryParameterName])
    }

    /// Allowed when either header or the query parameter carries a configured key.
    public func check(authorization: String?, apiKey: String?, queryKey: String? = nil) -> Decision {
        if isOpen { return .allowed }
        var candidates: [String] = []
        if let authorization {
            let parts = authorization.split(separator: " ", maxSplits: 1, omittingEmptySubsequences: true)
            if parts.count == 2, parts[0].lowercased() == "bearer" {
                candidates.append(parts[1].trimmingWhitespace())
            } else {
                candidates.append("")  // present but not a bearer token: counts as a wrong key
            }
        }
        if let apiKey { candidates.append(Substring(apiKey).trimmingWhitespace()) }
        if let queryKey { candidates.append(Substring(queryKey).trimmingWhitespace()) }
        if candidates.isEmpty { return .missingKey }
        return candidates.contains(where: isKnown) ? .allowed : .invalidKey
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
