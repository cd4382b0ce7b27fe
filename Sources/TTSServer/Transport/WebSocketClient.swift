// WebSocketClient.swift: a blocking WebSocket client on libwebsockets' client API, for
// `pocket-tts say` and the end-to-end tests. The server side is WebSocketServer.swift and
// EventLoop*.swift; CWebSockets is imported only in this folder (Transport/).
//
// One client, one connection, one thread: every call runs `lws_service` on the caller's thread
// until what it waits for has happened or its deadline (a scheduler timer wakes the service)
// has passed. Not thread-safe; use it from one thread at a time.
import CWebSockets
#if canImport(Glibc)
import Glibc
#endif

public enum WebSocketClientError: Error, Equatable, CustomStringConvertible {
    /// Not a ws:// or wss:// URL with a host.
    case invalidURL(String)
    case contextCreationFailed
    /// The TCP connection or the upgrade failed (libwebsockets' reason, e.g. a 401 answer).
    case connectFailed(String)
    case timedOut(String)
    /// The connection is closed; the peer's close code and reason when it sent one.
    case closed(code: UInt16, reason: String)

    public var description: String {
        switch self {
        case .invalidURL(let url): "not a ws:// or wss:// URL: \(url)"
        case .contextCreationFailed: "libwebsockets: cannot create a client context"
        case .connectFailed(let reason): "connection failed: \(reason)"
        case .timedOut(let what): "timed out \(what)"
        case .closed(let code, let reason): "connection closed (\(code)\(reason.isEmpty ? "" : ": \(reason)"))"
        }
    }
}

/// The parts of a `ws://host:port/path?query` URL.
public struct WebSocketURL: Sendable, Equatable {
    public var secure: Bool
    public var host: String
    public var port: Int
    /// Path and query, e.g. "/tts/ws?api_key=k".
    public var path: String

    public init(_ text: String) throws(WebSocketClientError) {
        let lower = text.lowercased()
        guard let scheme = ["ws://", "wss://"].first(where: { lower.hasPrefix($0) }) else { throw .invalidURL(text) }
        secure = scheme == "wss://"
        let rest = text.dropFirst(scheme.count)
        let authority = rest.prefix { $0 != "/" && $0 != "?" }
        let remainder = rest.dropFirst(authority.count)
        path = remainder.isEmpty ? "/" : remainder.hasPrefix("?") ? "/" + remainder : String(remainder)
        var hostPart = Substring(authority)
        port = secure ? 443 : 80
        if hostPart.hasPrefix("[") {  // [::1]:8000
            guard let close = hostPart.firstIndex(of: "]") else { throw .invalidURL(text) }
            let after = hostPart[hostPart.index(after: close)...]
            if after.hasPrefix(":") {
                guard let number = Int(after.dropFirst()) else { throw .invalidURL(text) }
                port = number
            }
            hostPart = hostPart[hostPart.index(after: hostPart.startIndex)..<close]
        } else if let colon = hostPart.lastIndex(of: ":") {
            guard let number = Int(hostPart[hostPart.index(after: colon)...]) else { throw .invalidURL(text) }
            port = number
            hostPart = hostPart[..<colon]
        }
        host = String(hostPart)
        guard !host.isEmpty, (1...65535).contains(port) else { throw .invalidURL(text) }
    }
}

public final class WebSocketClient {
    private let state: ClientState
    private var context: OpaquePointer?

    /// Connects and completes the upgrade; `headers` go on the upgrade request.
    public init(url: String, headers: [String: String] = [:], timeout: Double = 10) throws(WebSocketClientError) {
        let target = try WebSocketURL(url)
        state = ClientState(headers: headers)
        lws_set_log_level(LLL_ERR, nil)
        var info = lws_context_creation_info()
        info.port = CONTEXT_PORT_NO_LISTEN
        info.protocols = UnsafePointer(state.protocols)
        info.user = Unmanaged.passUnretained(state).toOpaque()
        info.options = target.secure ? UInt64(LWS_SERVER_OPTION_DO_SSL_GLOBAL_INIT) : 0
        guard let context = lws_create_context(&info) else { throw .contextCreationFailed }
        self.context = context
        state.context = context

        let address = strdup(target.host), path = strdup(target.path)
        let hostHeader = strdup(target.port == (target.secure ? 443 : 80) ? target.host : "\(target.host):\(target.port)")
        defer { free(address); free(path); free(hostHeader) }
        var connect = lws_client_connect_info()
        connect.context = context
        connect.address = UnsafePointer(address)
        connect.port = Int32(target.port)
        connect.path = UnsafePointer(path)
        connect.host = UnsafePointer(hostHeader)
        connect.origin = UnsafePointer(hostHeader)
        connect.ssl_connection = target.secure ? Int32(LCCSCF_USE_SSL.rawValue) : 0
        if lws_client_connect_via_info(&connect) == nil, state.failure == nil {
            state.failure = "cannot start connecting to \(target.host):\(target.port)"
        }
        do throws(WebSocketClientError) {
            try serviceUntil(timeout, "connecting to \(url)") { $0.isOpen || $0.failure != nil }
        } catch {
            destroy()
            throw error
        }
        if let failure = state.failure {
            destroy()
            throw .connectFailed("\(target.host):\(target.port): \(failure)")
        }
    }

    deinit { destroy() }

    /// Queues a message and waits until libwebsockets has taken it.
    public func send(_ message: WebSocketMessage, timeout: Double = 10) throws(WebSocketClientError) {
        try checkOpen()
        state.outbox.append(message)
        if let wsi = state.wsi { lws_callback_on_writable(wsi) }
        try serviceUntil(timeout, "sending") { $0.outbox.isEmpty || $0.closed != nil }
        try checkOpen()
    }

    /// The next message; `.closed` once the peer has closed and every message is read.
    public func receive(timeout: Double = 30) throws(WebSocketClientError) -> WebSocketMessage {
        try serviceUntil(timeout, "waiting for a message") { !$0.inbox.isEmpty || $0.closed != nil }
        if !state.inbox.isEmpty { return state.inbox.removeFirst() }
        let closed = state.closed ?? (1006, "")
        throw .closed(code: closed.code, reason: closed.reason)
    }

    /// Sends a close (1000) and waits briefly for the peer's answer; then frees everything.
    public func close(timeout: Double = 2) {
        if state.closed == nil, let wsi = state.wsi {
            state.closeRequested = true
            lws_callback_on_writable(wsi)
            try? serviceUntil(timeout, "closing") { $0.closed != nil }
        }
        destroy()
    }

    private func checkOpen() throws(WebSocketClientError) {
        if let closed = state.closed { throw .closed(code: closed.code, reason: closed.reason) }
    }

    private func destroy() {
        guard let context else { return }
        lws_sul_cancel(state.deadline)
        lws_context_destroy(context)
        self.context = nil
        state.context = nil
        state.wsi = nil
    }

    /// Services the connection until `done` or `seconds` have passed.
    private func serviceUntil(_ seconds: Double, _ what: String,
                              _ done: (ClientState) -> Bool) throws(WebSocketClientError) {
        guard let context else { throw .closed(code: 1006, reason: "") }
        let end = monotonicSeconds() + seconds
        // Wakes lws_service at the deadline: without a timer it may sleep until the next event.
        lws_sul_schedule(context, 0, state.deadline, { _ in }, lws_usec_t(seconds * 1_000_000))
        defer { lws_sul_cancel(state.deadline) }
        while !done(state) {
            if monotonicSeconds() >= end { throw .timedOut(what) }
            if lws_service(context, 0) < 0 { throw .closed(code: state.closed?.code ?? 1006, reason: "") }
        }
    }
}

/// What the lws callback sees: the connection's buffers and flags, touched only on the thread
/// that runs `lws_service` (the client's caller).
private final class ClientState {
    let headers: [(name: String, value: String)]
    let protocols: UnsafeMutablePointer<lws_protocols>  // [2]: ours, then the terminator
    let protocolName: UnsafeMutablePointer<CChar>
    var context: OpaquePointer?
    var wsi: OpaquePointer?
    /// The scheduler entry that bounds each wait (linked into lws' lists: must not move).
    let deadline: UnsafeMutablePointer<lws_sorted_usec_list_t>
    var isOpen = false
    var failure: String?
    var closed: (code: UInt16, reason: String)?
    var closeRequested = false
    var outbox: [WebSocketMessage] = []
    var inbox: [WebSocketMessage] = []
    private var fragments: [UInt8] = []
    private var fragmentsAreBinary = false
    private var peerClose: (code: UInt16, reason: String)?
    private let pre = cws_lws_pre()

    init(headers: [String: String]) {
        self.headers = headers.sorted { $0.key < $1.key }.map { (name: $0.key.lowercased() + ":", value: $0.value) }
        protocolName = strdup("pocket-tts-client")
        deadline = .allocate(capacity: 1)
        deadline.initialize(to: lws_sorted_usec_list_t())
        protocols = .allocate(capacity: 2)
        protocols.initialize(repeating: lws_protocols(), count: 2)
        protocols[0].name = UnsafePointer(protocolName)
        protocols[0].callback = { wsi, reason, _, input, length in
            guard let wsi, let context = lws_get_context(wsi), let raw = lws_context_user(context) else { return 0 }
            return Unmanaged<ClientState>.fromOpaque(raw).takeUnretainedValue().handle(wsi, reason, input, length)
        }
        protocols[0].rx_buffer_size = 65536
    }

    deinit {
        protocols.deinitialize(count: 2)
        protocols.deallocate()
        free(protocolName)
        deadline.deallocate()
    }

    func handle(_ wsi: OpaquePointer, _ reason: lws_callback_reasons, _ input: UnsafeMutableRawPointer?, _ length: Int) -> Int32 {
        switch reason {
        case LWS_CALLBACK_CLIENT_APPEND_HANDSHAKE_HEADER:
            guard let input else { return 0 }
            let cursor = input.assumingMemoryBound(to: UnsafeMutablePointer<UInt8>?.self)
            guard let start = cursor.pointee else { return 0 }
            let end = start + length
            for (name, value) in headers {
                let added = lws_add_http_header_by_name(wsi, name, value, Int32(value.utf8.count), cursor, end)
                if added != 0 { return -1 }
            }
            return 0
        case LWS_CALLBACK_CLIENT_ESTABLISHED:
            self.wsi = wsi
            isOpen = true
            if !outbox.isEmpty { lws_callback_on_writable(wsi) }
            return 0
        case LWS_CALLBACK_CLIENT_CONNECTION_ERROR:
            failure = input.map { String(cString: $0.assumingMemoryBound(to: CChar.self)) } ?? "unknown error"
            closed = (1006, failure ?? "")
            self.wsi = nil
            return 0
        case LWS_CALLBACK_CLIENT_RECEIVE:
            if lws_is_first_fragment(wsi) != 0 {
                fragments.removeAll(keepingCapacity: true)
                fragmentsAreBinary = lws_frame_is_binary(wsi) != 0
            }
            if let input, length > 0 { fragments.append(contentsOf: UnsafeRawBufferPointer(start: input, count: length)) }
            if lws_is_final_fragment(wsi) != 0 {
                inbox.append(fragmentsAreBinary ? .binary(fragments) : .text(String(decoding: fragments, as: UTF8.self)))
                fragments = []
            }
            return 0
        case LWS_CALLBACK_CLIENT_WRITEABLE:
            return onWriteable(wsi)
        case LWS_CALLBACK_WS_PEER_INITIATED_CLOSE:
            // `input`: the close frame's payload, a big-endian code then the reason.
            if let input, length >= 2 {
                let bytes = UnsafeRawBufferPointer(start: input, count: length)
                peerClose = (UInt16(bytes[0]) << 8 | UInt16(bytes[1]), String(decoding: bytes.dropFirst(2), as: UTF8.self))
            } else {
                peerClose = (1005, "")
            }
            return 0
        case LWS_CALLBACK_CLIENT_CLOSED:
            closed = peerClose ?? (closeRequested ? (1000, "") : (1006, ""))
            self.wsi = nil
            return 0
        default:
            return lws_callback_http_dummy(wsi, reason, nil, input, length)
        }
    }

    /// One queued message per writeable callback, or the close once asked for.
    private func onWriteable(_ wsi: OpaquePointer) -> Int32 {
        if closeRequested, outbox.isEmpty {
            var reason: [UInt8] = []
            lws_close_reason(wsi, LWS_CLOSE_STATUS_NORMAL, &reason, 0)
            return -1
        }
        guard !outbox.isEmpty else { return 0 }
        let message = outbox.removeFirst()
        let (payload, mode): ([UInt8], lws_write_protocol) = switch message {
        case .text(let text): (Array(text.utf8), LWS_WRITE_TEXT)
        case .binary(let bytes): (bytes, LWS_WRITE_BINARY)
        }
        var buffer = [UInt8](repeating: 0, count: pre + payload.count)
        buffer.replaceSubrange(pre..., with: payload)
        let written = buffer.withUnsafeMutableBufferPointer { lws_write(wsi, $0.baseAddress! + pre, payload.count, mode) }
        if written < payload.count { return -1 }
        if !outbox.isEmpty || closeRequested { lws_callback_on_writable(wsi) }
        return 0
    }
}
