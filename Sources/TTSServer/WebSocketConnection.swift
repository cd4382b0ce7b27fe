// WebSocketConnection.swift: the handle to one WebSocket connection, usable from any thread,
// and the outbox through which other threads hand messages to the event loop.
import Synchronization

public enum WebSocketMessage: Sendable, Equatable {
    case text(String)
    case binary([UInt8])
}

/// What became of a message handed to `WebSocketConnection.send`.
public enum WebSocketSendResult: Sendable, Equatable {
    /// Queued; the event loop writes it when the socket can take it.
    case enqueued
    /// The outbox already holds `WebSocketServer.Configuration.outboxCapacity` items.
    case outboxFull
    /// The connection is closing or closed: the message was dropped.
    case closed
}

/// One open WebSocket connection. `send` and `close` may be called from any thread; they queue
/// work in the connection's outbox and wake the event loop, which does the writing.
public final class WebSocketConnection: Sendable, CustomStringConvertible {
    /// Unique within one server, counting from 1.
    public let id: UInt64
    /// The upgrade request: path, query, headers, peer.
    public let request: HTTPRequest
    let outbox: WebSocketOutbox
    private let wake: @Sendable () -> Void
    private let inputHeld = Atomic<Bool>(false)

    init(id: UInt64, request: HTTPRequest, outboxCapacity: Int, wake: @escaping @Sendable () -> Void) {
        self.id = id
        self.request = request
        self.outbox = WebSocketOutbox(capacity: outboxCapacity)
        self.wake = wake
    }

    @discardableResult
    public func send(_ message: WebSocketMessage) -> WebSocketSendResult {
        enqueue(.message(message))
    }

    @discardableResult
    public func send(text: String) -> WebSocketSendResult { send(.text(text)) }

    @discardableResult
    public func send(binary: [UInt8]) -> WebSocketSendResult { send(.binary(binary)) }

    /// Closes after the messages already queued are written. `code` is a WebSocket close status
    /// (1000 normal, 1008 policy violation, 1011 internal error, 4000-4999 application);
    /// `reason` is cut to 123 bytes of UTF-8.
    @discardableResult
    public func close(code: UInt16 = 1000, reason: String = "") -> WebSocketSendResult {
        enqueue(.close(code: code, reason: reason))
    }

    /// Sends a WebSocket ping (the peer's pong is handled by libwebsockets). Never refused for
    /// a full outbox: it is control traffic.
    @discardableResult
    public func ping() -> WebSocketSendResult {
        enqueue(.ping)
    }

    /// Items waiting in the outbox (a measure of how far the client lags).
    public var pendingCount: Int { outbox.count }

    /// Holds the client's next messages (and stops reading its socket) until `releaseInput`:
    /// the handler is still busy with an earlier one (a long text segmented slice by slice).
    public func holdInput() { inputHeld.store(true, ordering: .releasing) }

    /// Hands held messages on again (from the loop's next pass).
    public func releaseInput() {
        guard inputHeld.exchange(false, ordering: .acquiringAndReleasing), outbox.requestWake() else { return }
        wake()
    }

    /// The outbox level the input gate sees: full while the input is held.
    var inputGateLevel: Int { inputHeld.load(ordering: .acquiring) ? Int.max / 2 : outbox.count }

    public var description: String { "ws#\(id) \(request.path)" }

    private func enqueue(_ item: WebSocketOutbox.Item) -> WebSocketSendResult {
        let (result, needsWake) = outbox.enqueue(item)
        if needsWake { wake() }
        return result
    }
}

/// The FIFO between any thread and the event loop for one connection. The only lock of the
/// WebSocket layer lives here.
final class WebSocketOutbox: Sendable {
    enum Item: Sendable, Equatable {
        case message(WebSocketMessage)
        case close(code: UInt16, reason: String)
        case ping
    }

    private struct State {
        var items = PendingQueue<Item>()
        var closing = false     // a close is queued or the connection is gone: refuse more
        var wakeRequested = false
    }

    private let capacity: Int
    private let state = Mutex(State())

    init(capacity: Int) {
        precondition(capacity > 0, "outbox capacity must be positive")
        self.capacity = capacity
    }

    var count: Int { state.withLock { $0.items.count } }

    /// Queues `item`. `needsWake` is true when the loop has not been asked to look yet.
    func enqueue(_ item: Item) -> (result: WebSocketSendResult, needsWake: Bool) {
        state.withLock { state in
            if state.closing { return (.closed, false) }
            if case .message = item, state.items.count >= capacity { return (.outboxFull, false) }
            if case .close = item { state.closing = true }
            state.items.append(item)
            let needsWake = !state.wakeRequested
            state.wakeRequested = true
            return (.enqueued, needsWake)
        }
    }

    /// Asks the loop for a writeable callback with nothing new queued; `needsWake` as in `enqueue`.
    func requestWake() -> Bool {
        state.withLock { state in
            defer { state.wakeRequested = true }
            return !state.wakeRequested
        }
    }

    /// Loop side: true once per wake request (clears it).
    func takeWakeRequest() -> Bool {
        state.withLock { state in
            defer { state.wakeRequested = false }
            return state.wakeRequested
        }
    }

    /// Loop side: the oldest pending item.
    func next() -> Item? {
        state.withLock { state in
            state.items.popFirst()
        }
    }

    var isEmpty: Bool { state.withLock { $0.items.isEmpty } }

    /// A close is queued (or the connection is gone).
    var isClosing: Bool { state.withLock { $0.closing } }

    /// Loop side: the connection is gone; drop what is pending and refuse new items.
    func shutDown() {
        state.withLock { state in
            state.closing = true
            state.items.removeAll()
        }
    }
}
