// HTTPResponseStream.swift: an HTTP response written while it is produced (chunked transfer
// encoding), usable from any thread. Like `WebSocketConnection`, it only queues: the event loop
// writes the head and each chunk when the socket can take them (Transport/EventLoop+HTTP.swift).
import Synchronization

/// One streamed HTTP response. `start`, `write`, `finish` and `respond` may be called from any
/// thread, in that order; once the client is gone they return false and drop what they get.
public final class HTTPResponseStream: Sendable, CustomStringConvertible {
    enum Item: Sendable, Equatable {
        /// Status line and headers; the body follows in chunks.
        case head(status: Int, contentType: String, headers: [String: String])
        case chunk([UInt8])
        /// The last chunk: the response is complete.
        case end
        /// A whole response with a Content-Length instead of a stream (e.g. an error before any audio).
        case whole(HTTPResponse)
        /// Drop the connection without ending the body: the client sees a truncated response.
        case abort
    }

    private struct State {
        var items = PendingQueue<Item>()
        var started = false
        var ended = false          // `end` or `whole` queued
        var closed = false         // the client is gone, or the response has been written
        var aborted = false
        var wakeRequested = false
    }

    /// Unique within one server (shared with WebSocket connection ids).
    public let id: UInt64
    public let request: HTTPRequest
    private let state = Mutex(State())
    private let wake: @Sendable () -> Void

    init(id: UInt64, request: HTTPRequest, wake: @escaping @Sendable () -> Void) {
        self.id = id
        self.request = request
        self.wake = wake
    }

    public var description: String { "http#\(id) \(request.method) \(request.path)" }

    /// Sends the status and headers; the body follows with `write`. False if already started or gone.
    @discardableResult
    public func start(status: Int = 200, contentType: String, headers: [String: String] = [:]) -> Bool {
        enqueue(.head(status: status, contentType: contentType, headers: headers)) { state in
            guard !state.started else { return false }
            state.started = true
            return true
        }
    }

    /// Queues one chunk of the body (empty chunks are dropped: an empty chunk ends a response).
    @discardableResult
    public func write(_ bytes: [UInt8]) -> Bool {
        guard !bytes.isEmpty else { return !isClosed }
        return enqueue(.chunk(bytes)) { $0.started }
    }

    /// Ends the body.
    @discardableResult
    public func finish() -> Bool {
        enqueue(.end) { state in
            guard state.started else { return false }
            state.ended = true
            return true
        }
    }

    /// Answers with a whole response instead of a stream; only before `start`.
    @discardableResult
    public func respond(_ response: HTTPResponse) -> Bool {
        enqueue(.whole(response)) { state in
            guard !state.started else { return false }
            state.started = true
            state.ended = true
            return true
        }
    }

    /// Cuts the response short (after `start`): the connection is dropped without the last chunk,
    /// at once (a client that does not read), or `afterPending` once the chunks queued before
    /// are written (the client gets all the audio made, then sees the body cut).
    @discardableResult
    public func abort(afterPending: Bool = false) -> Bool {
        enqueue(.abort) { state in
            state.ended = true
            state.aborted = !afterPending
            return true
        }
    }

    /// `abort` was called: the loop drops the connection even if the client reads nothing more.
    var isAborted: Bool { state.withLock { $0.aborted } }

    /// Its end (`finish`, `respond` or `abort`) is queued: nothing more comes from the producer.
    var isEnded: Bool { state.withLock { $0.ended } }

    /// True once `start` or `respond` has been called.
    public var isStarted: Bool { state.withLock { $0.started } }

    /// The client is gone, or the whole response has been written.
    public var isClosed: Bool { state.withLock { $0.closed } }

    /// Items queued and not yet written (a measure of how far the client lags).
    public var pendingCount: Int { state.withLock { $0.items.count } }

    private func enqueue(_ item: Item, _ allowed: (inout State) -> Bool) -> Bool {
        let needsWake: Bool? = state.withLock { state in
            guard !state.closed, !state.ended, allowed(&state) else { return nil }
            state.items.append(item)
            defer { state.wakeRequested = true }
            return !state.wakeRequested
        }
        guard let needsWake else { return false }
        if needsWake { wake() }
        return true
    }

    // MARK: Loop side

    /// True once per wake request (clears it).
    func takeWakeRequest() -> Bool {
        state.withLock { state in
            defer { state.wakeRequested = false }
            return state.wakeRequested
        }
    }

    /// The oldest item not yet written.
    func next() -> Item? {
        state.withLock { state in
            state.items.popFirst()
        }
    }

    var hasPending: Bool { state.withLock { !$0.items.isEmpty } }

    /// The response is complete or the client is gone: refuse more.
    func markClosed() {
        state.withLock { state in
            state.closed = true
            state.items.removeAll()
        }
    }
}
