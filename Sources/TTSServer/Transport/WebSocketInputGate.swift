// WebSocketInputGate.swift: back-pressure from a connection's outbox to its input.
//
// Every client message may add a reply to the outbox (a pong, an event, an error), and the
// loop handles all the messages of one socket read before it writes anything. A burst of small
// requests would fill the outbox although the client reads everything. Instead, once the
// outbox holds `pauseLevel` items the loop stops reading the socket (libwebsockets receive
// flow control: the kernel buffers, then TCP slows the client down) and holds any message
// libwebsockets has already parsed; as the client reads its replies, held messages are
// handed on and reading resumes. A client that never reads is still closed: by the audio
// queue bound (`max_queued_audio`) during a turn, by the idle timers otherwise.

/// Client messages received but not yet handed to the handler, and whether the socket is being
/// read. A pure value owned by the loop thread; the glue carries out what it answers.
struct WebSocketInputGate {
    /// Outbox items at which reading stops.
    let pauseLevel: Int
    private var held: [WebSocketMessage] = []
    private var head = 0
    /// The glue has stopped reading the socket (`lws_rx_flow_control(wsi, 0)`).
    private(set) var isReadingPaused = false

    init(pauseLevel: Int) {
        self.pauseLevel = max(1, pauseLevel)
    }

    /// Messages held back.
    var heldCount: Int { held.count - head }

    /// A message arrived while the outbox holds `pending` items: returns it when it may be
    /// handed on now, else keeps it (nil) behind any message held before it.
    mutating func admit(_ message: WebSocketMessage, pending: Int) -> WebSocketMessage? {
        if heldCount == 0, pending < pauseLevel { return message }
        held.append(message)
        return nil
    }

    /// True when reading must stop now (messages are held, or the outbox reached `pauseLevel`).
    mutating func shouldPause(pending: Int) -> Bool {
        guard !isReadingPaused, heldCount > 0 || pending >= pauseLevel else { return false }
        isReadingPaused = true
        return true
    }

    /// The oldest held message, once the outbox has drained below `pauseLevel`.
    mutating func release(pending: Int) -> WebSocketMessage? {
        guard heldCount > 0, pending < pauseLevel else { return nil }
        let message = held[head]
        head += 1
        if head == held.count {
            held.removeAll(keepingCapacity: true)
            head = 0
        }
        return message
    }

    /// True when reading may resume now (nothing held, the outbox below `pauseLevel`).
    mutating func shouldResume(pending: Int) -> Bool {
        guard isReadingPaused, heldCount == 0, pending < pauseLevel else { return false }
        isReadingPaused = false
        return true
    }

    /// The connection is closing: held messages are dropped and reading must resume (when this
    /// answers true), so that the peer's close frame can be read.
    mutating func closing() -> Bool {
        held.removeAll()
        head = 0
        defer { isReadingPaused = false }
        return isReadingPaused
    }
}
