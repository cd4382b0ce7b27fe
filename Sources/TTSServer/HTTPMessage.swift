// HTTPMessage.swift: the plain values `WebSocketServer` hands to and takes from its handlers.

/// One HTTP request as read by the event loop: a plain value, safe to keep and pass around.
public struct HTTPRequest: Sendable, Equatable {
    /// "GET", "POST", "OPTIONS", "PUT", "PATCH", "DELETE", "HEAD" or "CONNECT".
    public var method: String
    /// The URI path without the query, e.g. "/tts/ws".
    public var path: String
    /// URL-decoded query arguments; for `?voice=alba&x` that is ["voice": "alba", "x": ""].
    public var query: [String: String]
    /// Header values by lower-cased name ("authorization", "x-api-key", ...). Every header
    /// libwebsockets knows is here; other names only if listed in
    /// `WebSocketServer.Configuration.customHeaderNames`.
    public var headers: [String: String]
    /// The body of a request that declared a Content-Length; empty otherwise.
    public var body: [UInt8]
    /// True for a WebSocket upgrade request (seen by the `upgrade` handler).
    public var isWebSocketUpgrade: Bool
    /// The peer's address, e.g. "127.0.0.1".
    public var peer: String
    /// The fields and files of a `multipart/form-data` or `application/x-www-form-urlencoded`
    /// body, parsed by libwebsockets as it arrives (then `body` stays empty); nil for other bodies.
    public var form: HTTPForm?

    public init(
        method: String, path: String, query: [String: String] = [:], headers: [String: String] = [:],
        body: [UInt8] = [], isWebSocketUpgrade: Bool = false, peer: String = ""
    ) {
        self.method = method
        self.path = path
        self.query = query
        self.headers = headers
        self.body = body
        self.isWebSocketUpgrade = isWebSocketUpgrade
        self.peer = peer
    }

    /// The value of a header, by case-insensitive name.
    public func header(_ name: String) -> String? {
        headers[name.lowercased()]
    }
}

/// A parsed HTML form: the fields the server was told to keep
/// (`WebSocketServer.Configuration.formFieldNames`), and every uploaded file, by field name.
public struct HTTPForm: Sendable, Equatable {
    public var fields: [String: String]
    public var files: [String: HTTPFormFile]

    public init(fields: [String: String] = [:], files: [String: HTTPFormFile] = [:]) {
        self.fields = fields
        self.files = files
    }
}

/// One uploaded file of a multipart form. `filename` is the client's: never use it as a path.
public struct HTTPFormFile: Sendable, Equatable {
    public var filename: String
    public var bytes: [UInt8]

    public init(filename: String, bytes: [UInt8]) {
        self.filename = filename
        self.bytes = bytes
    }
}

/// The answer to an `HTTPRequest`: status, content type, body and any extra headers.
public struct HTTPResponse: Sendable, Equatable {
    public var status: Int
    public var contentType: String
    public var body: [UInt8]
    /// Extra headers, e.g. ["WWW-Authenticate": "Bearer"]. Content-Type and Content-Length are
    /// written from the fields above.
    public var headers: [String: String]

    public init(status: Int, contentType: String, body: [UInt8], headers: [String: String] = [:]) {
        self.status = status
        self.contentType = contentType
        self.body = body
        self.headers = headers
    }

    public init(status: Int, contentType: String = "text/plain; charset=utf-8", text: String,
                headers: [String: String] = [:]) {
        self.init(status: status, contentType: contentType, body: Array(text.utf8), headers: headers)
    }

    public static let notFound = HTTPResponse.json(404, "not found")

    /// An error as `{"detail": "..."}` (`detail` is ours, not a client's input: not escaped).
    public static func json(_ status: Int, _ detail: String, headers: [String: String] = [:]) -> HTTPResponse {
        HTTPResponse(status: status, contentType: "application/json", text: "{\"detail\":\"\(detail)\"}\n", headers: headers)
    }
}

extension HTTPResponse {
    /// The whole response as HTTP/1.1 bytes, ending the connection (`Connection: close`).
    func rawHTTP11() -> [UInt8] {
        var head = "HTTP/1.1 \(status) \(Self.reasonPhrase(status))\r\n"
        head += "Content-Type: \(contentType)\r\nContent-Length: \(body.count)\r\nConnection: close\r\n"
        for (name, value) in headers.sorted(by: { $0.key < $1.key }) { head += "\(name): \(value)\r\n" }
        return Array((head + "\r\n").utf8) + body
    }

    static func reasonPhrase(_ status: Int) -> String {
        switch status {
        case 200: "OK"
        case 400: "Bad Request"
        case 401: "Unauthorized"
        case 403: "Forbidden"
        case 404: "Not Found"
        case 405: "Method Not Allowed"
        case 413: "Content Too Large"
        case 426: "Upgrade Required"
        case 429: "Too Many Requests"
        case 500: "Internal Server Error"
        case 503: "Service Unavailable"
        default: "Status \(status)"
        }
    }
}
