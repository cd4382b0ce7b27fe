// SessionTransport.swift: what the session host (TTSService+SessionHost.swift) needs of the
// connection under a session, whatever carries it:
//
//   WebSocketConnection    a WebSocket (every WebSocket protocol), and a raw TCP connection
//                          on `wyoming_port` (WebSocketServer+Raw.swift: the same handle and
//                          outbox, its framer cuts the byte stream into messages)
//   HTTPSpeechTransport    a streamed HTTP response (the HTTP speech endpoints)
//
// The host writes the frames its session's adapter renders, reads the outbox level (back-
// pressure: the machine's send window), and ends the session one of three ways: a close (with a
// status and reason), a normal end of a complete exchange, or a failure for an error.

/// One session's connection, used on the event-loop thread.
protocol SessionTransport: AnyObject {
    /// The session's key, unique among open sessions (the engine's `TurnKey.session`).
    var id: UInt64 { get }
    /// The client's address (per-address caps, the fair share of streams).
    var peer: String { get }
    /// Frames written and not yet taken by the client.
    var outboxLevel: Int { get }
    /// Writes one frame of the session's protocol.
    @discardableResult func send(_ frame: WebSocketMessage) -> WebSocketSendResult
    /// Closes after the frames queued, with a WebSocket status and reason (an HTTP response is
    /// cut: an error response if nothing was sent yet).
    @discardableResult func close(code: UInt16, reason: String) -> WebSocketSendResult
    /// Ends an exchange that is complete, after the frames queued (an HTTP response's last chunk).
    func finish()
    /// Ends the session for `error`, after the frames queued, in the transport's own shape where
    /// it has one (an HTTP response not yet started answers with the endpoint's error).
    func fail(_ error: ProtocolError)
    /// Holds the client's next messages (and stops reading them) until `releaseInput`.
    func holdInput()
    func releaseInput()
}

extension WebSocketConnection: SessionTransport {
    var peer: String { request.peer }
    var outboxLevel: Int { pendingCount }
    func finish() { close(code: SessionMachine.CloseCode.normal, reason: "") }
    func fail(_ error: ProtocolError) { close(code: 1011, reason: error.message) }
}

/// A streamed HTTP response as a session's transport: each frame is a chunk of the body (the
/// head goes before the first), `finish` ends the body, `fail` answers in the endpoint's error
/// shape before any audio and cuts the body after it.
final class HTTPSpeechTransport: SessionTransport {
    let stream: HTTPResponseStream
    let output: HTTPSpeechOutput

    init(stream: HTTPResponseStream, output: HTTPSpeechOutput) {
        self.stream = stream
        self.output = output
    }

    /// The stream's id with the top bit set: never a WebSocket connection's.
    static func id(of stream: HTTPResponseStream) -> UInt64 { stream.id | (1 << 63) }

    var id: UInt64 { Self.id(of: stream) }
    var peer: String { stream.request.peer }
    var outboxLevel: Int { stream.pendingCount }

    func send(_ frame: WebSocketMessage) -> WebSocketSendResult {
        startIfNeeded()
        let bytes: [UInt8] = switch frame {
        case .binary(let bytes): bytes
        case .text(let text): Array(text.utf8)
        }
        return stream.write(bytes) ? .enqueued : .closed
    }

    func close(code: UInt16, reason: String) -> WebSocketSendResult {
        if stream.isStarted {
            stream.abort()  // the client sees the chunked body end without its last chunk
        } else {
            stream.respond(output.error(500, reason, "internal_error", nil))
        }
        return .enqueued
    }

    func finish() {
        startIfNeeded()  // no audio at all (e.g. only punctuation): an empty body
        stream.finish()
    }

    func fail(_ error: ProtocolError) {
        if stream.isStarted {
            stream.abort(afterPending: true)  // e.g. max_turn_audio_s: the audio made, then the cut
        } else {
            stream.respond(output.refusal(error))
        }
    }

    /// The request's text is all in: there is no input to hold.
    func holdInput() {}
    func releaseInput() {}

    private func startIfNeeded() {
        if !stream.isStarted { stream.start(status: 200, contentType: output.contentType, headers: output.headers) }
    }
}
