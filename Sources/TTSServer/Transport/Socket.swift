// Socket.swift: what the event loop knows about one socket, as one phase at a time (plain
// Swift; the libwebsockets calls that move a socket between phases are in EventLoop*.swift).
//
//   awaitingRequest ──HTTP──▶ readingBody ──body complete──▶ responding / streaming ──▶ awaitingRequest
//          │                                                     (keep-alive: the next request)
//          └─upgrade accepted──▶ upgrading ──ESTABLISHED──▶ webSocket      (or selfTest: the start-up probe)
//   raw port: accepted ──▶ raw
//
// The state a phase needs travels with it, so a socket cannot be both reading a body and
// writing a response, or hold a WebSocket connection and a raw framer. Phases whose state the
// loop mutates in place on every read or write (a body, a message being reassembled) hold it
// in a class, so that mutating it never copies the bytes gathered so far.

/// State of one socket on the loop thread.
final class Socket {
    enum Phase {
        /// HTTP: before a request, or between two on a keep-alive connection.
        case awaitingRequest
        /// An HTTP request whose body is being read.
        case readingBody(RequestBody)
        /// A whole HTTP response whose body is being written, `sent` bytes of it so far.
        case responding(HTTPResponse, sent: Int)
        /// A streamed HTTP response being written (`HTTPResponseStream`).
        case streaming(HTTPResponseStream, closeDeadlineSet: Bool)
        /// A WebSocket upgrade accepted, until the connection is established.
        case upgrading(HTTPRequest)
        /// An open WebSocket connection.
        case webSocket(OpenConnection, MessageAssembly)
        /// An open raw TCP connection (EventLoop+Raw.swift).
        case raw(OpenConnection, RawFraming)
        /// The start-up self-test's WebSocket (EventLoop+SelfTest.swift): never seen by the handlers.
        case selfTest(OpenConnection)
    }

    var phase: Phase = .awaitingRequest
    /// libwebsockets 4.1 quirk: `HTTP_BODY_COMPLETION`s in a row with no request being read
    /// (`completeBody`); counted across phases, since they come while an answer is written too.
    var idleCompletions = 0

    /// The WebSocket, raw or self-test connection, in those phases.
    var open: OpenConnection? {
        switch phase {
        case .webSocket(let open, _), .raw(let open, _), .selfTest(let open): open
        default: nil
        }
    }

    /// The streamed response being written, in that phase.
    var stream: HTTPResponseStream? {
        if case .streaming(let stream, _) = phase { return stream }
        return nil
    }
}

/// An HTTP request and its body as it is read.
final class RequestBody {
    var request: HTTPRequest
    /// The body is over the bound: it is read and dropped, and the answer is 413.
    var overflow: Bool
    /// A form body being parsed (lws_spa), instead of gathered into `request.body`.
    var form: FormReader?
    /// A chunked body being decoded.
    var chunked: HTTPChunkedBody?

    init(request: HTTPRequest, overflow: Bool = false, form: FormReader? = nil, chunked: HTTPChunkedBody? = nil) {
        self.request = request
        self.overflow = overflow
        self.form = form
        self.chunked = chunked
    }
}

/// An open connection with an outbox: a WebSocket or a raw TCP connection.
final class OpenConnection {
    let connection: WebSocketConnection
    /// Messages held while the outbox is too full for replies.
    var input: WebSocketInputGate
    /// A queued close must complete within `closeTimeoutSeconds` (set once).
    var closeDeadlineSet = false

    init(_ connection: WebSocketConnection, pauseLevel: Int) {
        self.connection = connection
        input = WebSocketInputGate(pauseLevel: pauseLevel)
    }
}

/// A WebSocket message being reassembled from its frames.
final class MessageAssembly {
    var bytes: [UInt8] = []
    var isBinary = false
    /// An oversized message is being read and dropped.
    var discarding = false
    /// The bound of a message on this socket (by its path).
    let maxBytes: Int

    init(maxBytes: Int) { self.maxBytes = maxBytes }
}

/// A raw connection's framer, which cuts the bytes read into messages.
final class RawFraming {
    var framer: any StreamFramer

    init(_ framer: any StreamFramer) { self.framer = framer }
}
