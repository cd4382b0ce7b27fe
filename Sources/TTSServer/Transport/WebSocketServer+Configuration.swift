// WebSocketServer+Configuration.swift: the settings, handlers and errors of `WebSocketServer`
// (plain Swift; the libwebsockets glue is in WebSocketServer.swift and EventLoop*.swift).

public enum WebSocketServerError: Error, Equatable, CustomStringConvertible {
    case alreadyRunning
    case contextCreationFailed
    /// Another socket holds `host:port`.
    case portInUse(host: String, port: Int)
    /// The listening socket could not be set up for another reason (bad host, ...).
    case listenFailed(host: String, port: Int)
    case threadStartFailed(code: Int32)
    /// The start-up self-test found the unmasked-frame check inactive (EventLoop+SelfTest.swift).
    case frameMaskCheckInactive(detail: String)

    public var description: String {
        switch self {
        case .alreadyRunning: return "the server is already running"
        case .contextCreationFailed: return "lws_create_context failed"
        case .portInUse(let host, let port): return "\(host):\(port) is already in use"
        case .listenFailed(let host, let port): return "cannot listen on \(host):\(port)"
        case .threadStartFailed(let code): return "cannot start the event-loop thread (\(code))"
        case .frameMaskCheckInactive(let detail):
            return "the unmasked-frame check (RFC 6455 5.1) is not active with this libwebsockets: \(detail); "
                + "the server does not start without it (see README, \"Unmasked client frames\")"
        }
    }
}

extension WebSocketServer {
    public struct Configuration: Sendable {
        /// An IP literal ("127.0.0.1", "::1"), "0.0.0.0" / "::" for all interfaces, or an
        /// interface name.
        public var host: String
        /// 0 picks a free port; read it back from `WebSocketServer.port`.
        public var port: Int
        /// A reassembled WebSocket message larger than this closes the connection with 1009
        /// (once the client has sent all of it, read and dropped, or after `drainTimeoutSeconds`).
        public var maxMessageBytes: Int
        /// Paths (the upgrade request's, without the query) whose messages may be larger than
        /// `maxMessageBytes`, with their own bound (Kyutai's `Voice` message).
        public var maxMessageBytesByPath: [String: Int] = [:]
        /// Seconds an oversized message may take to arrive (being dropped) before the socket is.
        public var drainTimeoutSeconds: Double
        /// Posts (engine reports, work from other threads) pending for the loop before posters on
        /// other threads wait (see LoopMailbox).
        public var mailboxCapacity: Int
        /// A request body larger than this gets 413.
        public var maxRequestBodyBytes: Int
        /// Items a connection's outbox holds before `send` answers `.outboxFull`.
        public var outboxCapacity: Int
        /// Outbox items at which the loop stops reading that connection until the client has
        /// read some (back-pressure: a burst of requests waits in TCP, not in the outbox).
        /// Below `outboxCapacity`, leaving room for the replies of one message and for audio.
        public var pauseReadingLevel: Int
        /// Headers libwebsockets does not know by name, to copy into `HTTPRequest.headers`.
        public var customHeaderNames: [String]
        /// Paths whose form bodies are parsed into `HTTPRequest.form`; other bodies stay raw.
        public var formPaths: Set<String> = []
        /// Form fields (not files) kept from form bodies (`HTTPRequest.form`); others are dropped.
        public var formFieldNames: [String] = []
        /// Bytes of kept form fields per request.
        public var maxFormFieldBytes = 1 << 20
        /// libwebsockets logs errors only unless this is set.
        public var logLibraryWarnings: Bool
        /// Seconds from a close being queued until the socket is dropped, whatever the peer
        /// does: a peer that stops reading, or never answers the close, cannot hold it open.
        public var closeTimeoutSeconds: Double
        /// A raw TCP port served by the same loop (Wyoming), or nil.
        public var rawListener: RawListener?
        /// The frame the start-up self-test sends (tests: `.masked` makes it fail on purpose).
        var selfTestFrame = FrameMaskSelfTestFrame.unmasked

        public init(
            host: String = "127.0.0.1", port: Int = 0, maxMessageBytes: Int = 1 << 20,
            maxRequestBodyBytes: Int = 1 << 20, outboxCapacity: Int = 1024, pauseReadingLevel: Int? = nil,
            customHeaderNames: [String] = ["x-api-key"], logLibraryWarnings: Bool = false,
            closeTimeoutSeconds: Double = 3, drainTimeoutSeconds: Double = 10, mailboxCapacity: Int = 4096
        ) {
            precondition(closeTimeoutSeconds > 0, "the close timeout must be positive")
            self.host = host
            self.port = port
            self.maxMessageBytes = maxMessageBytes
            self.maxRequestBodyBytes = maxRequestBodyBytes
            self.outboxCapacity = outboxCapacity
            self.pauseReadingLevel = max(1, pauseReadingLevel ?? outboxCapacity / 2)
            self.customHeaderNames = customHeaderNames
            self.logLibraryWarnings = logLibraryWarnings
            self.closeTimeoutSeconds = closeTimeoutSeconds
            self.drainTimeoutSeconds = max(closeTimeoutSeconds, drainTimeoutSeconds)
            self.mailboxCapacity = max(1, mailboxCapacity)
        }
    }

    /// Called on the event-loop thread.
    public struct Handlers: Sendable {
        /// Answers a plain HTTP request.
        public var http: @Sendable (HTTPRequest) -> HTTPResponse = { _ in .notFound }
        /// nil accepts a WebSocket upgrade; a response refuses it (sent, then the socket closes).
        public var upgrade: @Sendable (HTTPRequest) -> HTTPResponse? = { _ in nil }
        public var open: @Sendable (WebSocketConnection) -> Void = { _ in }
        public var message: @Sendable (WebSocketConnection, WebSocketMessage) -> Void = { _, _ in }
        /// Takes a request whose answer may stream: return true and write the response to the
        /// stream (from any thread), or false to have `http` answer it.
        public var stream: @Sendable (HTTPRequest, HTTPResponseStream) -> Bool = { _, _ in false }
        /// An item of a stream has been written (read `pendingCount` for the rest).
        public var streamWritten: @Sendable (HTTPResponseStream) -> Void = { _ in }
        /// The stream's response is complete, or its client has gone.
        public var streamClosed: @Sendable (HTTPResponseStream) -> Void = { _ in }
        /// A queued message has been written to the socket (read `pendingCount` for the rest).
        public var written: @Sendable (WebSocketConnection) -> Void = { _ in }
        /// The connection is gone (either side closed it, or the server stopped).
        public var close: @Sendable (WebSocketConnection) -> Void = { _ in }
        /// Debug builds: loop-thread work that took more than 1 ms, what it was and its
        /// seconds. By default a (rate-limited) warning.
        public var slowWork: @Sendable (_ what: String, _ seconds: Double) -> Void = LoopWorkCheck.logWarning

        public init() {}
    }
}
