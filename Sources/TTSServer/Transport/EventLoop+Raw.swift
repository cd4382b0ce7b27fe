// EventLoop+Raw.swift: a raw TCP port in the same libwebsockets event loop (a second
// vhost whose accepted sockets are bound to the `raw-skt` role: LWS_SERVER_OPTION_ADOPT_APPLY_
// LISTEN_ACCEPT_CONFIG), for protocols that are not HTTP (Wyoming).
//
// A raw connection is a `WebSocketConnection` like any other: the same outbox, input gate
// (back-pressure: reading stops while the outbox is full), close deadline, handlers and ids.
// What differs is only the wire: the listener's `StreamFramer` cuts the bytes read into
// messages, binary and text messages are written as their bytes, pings are not sent and a
// close just ends the connection once what was queued before it is written.
import CWebSockets
#if canImport(Glibc)
import Glibc
#endif

extension WebSocketServer {
    /// A raw TCP port served by the same loop (see EventLoop+Raw.swift).
    public struct RawListener: Sendable {
        /// As `Configuration.host`.
        public var host: String
        /// 0 picks a free port (read it back from `WebSocketServer.rawPort`).
        public var port: Int
        /// The `request.path` of its connections (their request is otherwise empty but for
        /// `peer`), by which handlers tell them apart from WebSocket ones.
        public var path: String
        /// Makes the framer of a new connection.
        public var makeFramer: @Sendable () -> any StreamFramer

        public init(host: String, port: Int, path: String, makeFramer: @escaping @Sendable () -> any StreamFramer) {
            self.host = host
            self.port = port
            self.path = path
            self.makeFramer = makeFramer
        }
    }
}

/// The C memory of the raw vhost, which must outlive the context.
final class RawVhost {
    let listener: WebSocketServer.RawListener
    let memory: VhostMemory
    let role = strdup("raw-skt")!
    var protocols: UnsafeMutablePointer<lws_protocols> { memory.protocols }
    var name: UnsafeMutablePointer<CChar> { memory.name }
    var iface: UnsafeMutablePointer<CChar>? { memory.iface }

    init(_ listener: WebSocketServer.RawListener) {
        self.listener = listener
        memory = VhostMemory(protocolName: "raw", host: listener.host, runsPostedWork: false)
    }

    deinit {
        free(role)
    }
}

/// True when `host` names an IPv4 address or every interface the IPv4 way.
func isIPv4Host(_ host: String) -> Bool {
    host.contains(".") || host.isEmpty || host == "*"
}

extension EventLoop {
    /// Listens on the raw port in `context`; returns the port listened on.
    func listenRaw(_ listener: WebSocketServer.RawListener, in context: OpaquePointer) throws(WebSocketServerError) -> Int {
        let vhost = RawVhost(listener)
        raw = vhost
        var info = lws_context_creation_info()
        info.port = Int32(clamping: listener.port)
        info.iface = UnsafePointer(vhost.iface)
        info.protocols = UnsafePointer(vhost.protocols)
        info.vhost_name = UnsafePointer(vhost.name)
        info.options = UInt64(LWS_SERVER_OPTION_ADOPT_APPLY_LISTEN_ACCEPT_CONFIG)
            | (isIPv4Host(listener.host) ? UInt64(LWS_SERVER_OPTION_DISABLE_IPV6) : 0)
        info.listen_accept_role = UnsafePointer(vhost.role)
        info.listen_accept_protocol = UnsafePointer(vhost.name)
        guard let created = lws_create_vhost(context, &info) else {
            throw addressInUse(host: listener.host, port: listener.port)
                ? .portInUse(host: listener.host, port: listener.port)
                : .listenFailed(host: listener.host, port: listener.port)
        }
        return Int(lws_get_vhost_listen_port(created))
    }

    /// A connection accepted on the raw port.
    func onRawOpen(_ wsi: OpaquePointer, _ key: UInt) -> Int32 {
        guard let listener = raw?.listener else { return -1 }
        var request = HTTPRequest(method: "RAW", path: listener.path)
        request.peer = copyString(capacity: 128) { lws_get_peer_simple(wsi, $0, Int($1)) == nil ? -1 : 0 }
        let waker = self.waker
        let connection = WebSocketConnection(id: nextConnectionID, request: request, outboxCapacity: configuration.outboxCapacity,
                                             wake: { waker.wake(socket: key) })
        nextConnectionID += 1
        socket(key).phase = .raw(OpenConnection(connection, pauseLevel: configuration.pauseReadingLevel),
                                 RawFraming(listener.makeFramer()))
        handlers.open(connection)
        return 0
    }

    /// Bytes read from a raw connection: the framer's messages go to the handler through the
    /// input gate, as WebSocket messages do.
    func onRawReceive(_ wsi: OpaquePointer, _ key: UInt, _ input: UnsafeMutableRawPointer?, _ length: Int) -> Int32 {
        guard let socket = sockets[key], case .raw(let open, let framing) = socket.phase else { return -1 }
        let connection = open.connection
        guard let input, length > 0, !connection.outbox.isClosing else { return 0 }
        let messages = framing.framer.append(UnsafeRawBufferPointer(start: input, count: length))
        for message in messages {
            if connection.outbox.isClosing { break }  // a handler closed it: the rest is dropped
            if let ready = open.input.admit(message, pending: connection.inputGateLevel) { handlers.message(connection, ready) }
        }
        if open.input.shouldPause(pending: connection.inputGateLevel) { lws_rx_flow_control(wsi, 0) }
        return 0
    }
}
