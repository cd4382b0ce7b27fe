// WebSocketServer.swift: the only file importing CWebSockets (libwebsockets 4.1).
//
// One event-loop thread owns the lws context and every socket. HTTP requests go to a handler
// closure that returns a response; WebSocket upgrades first pass an `upgrade` handler that may
// refuse them with an HTTP response (e.g. 401) before any 101 is sent. Other threads talk to a
// connection only through its outbox (`WebSocketConnection.send/close`), which wakes the loop
// with `lws_cancel_service`, the one lws call that is thread-safe. The loop then asks for
// LWS_CALLBACK_SERVER_WRITEABLE and writes one message per writeable callback. Work from other
// threads (`post`) and timers (`schedule(after:)`, on the lws scheduler) also run on the loop.
import CWebSockets
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// An HTTP + WebSocket server on one libwebsockets event-loop thread. `start`/`stop` belong to
/// the owner's thread; handlers run on the loop thread and must not block it.
public final class WebSocketServer {
    public let configuration: Configuration
    public let handlers: Handlers
    /// The port actually listened on while running (resolves a configured 0).
    public private(set) var port: Int?
    /// The raw TCP port listened on while running (`Configuration.rawListener`), if any.
    public private(set) var rawPort: Int?
    private var loop: EventLoop?
    private var thread: pthread_t?
    /// Work for the loop thread; open while the loop runs.
    private let mailbox: LoopMailbox
    /// Debug builds: flags loop-thread work longer than 1 ms.
    private let workCheck: LoopWorkCheck

    public init(configuration: Configuration = Configuration(), handlers: Handlers) {
        self.configuration = configuration
        self.handlers = handlers
        mailbox = LoopMailbox(capacity: configuration.mailboxCapacity)
        workCheck = LoopWorkCheck(report: handlers.slowWork)
    }

    deinit {
        stop()
    }

    public var isRunning: Bool { thread != nil }

    /// Creates the context, listens, and starts the event-loop thread.
    public func start() throws(WebSocketServerError) {
        guard loop == nil else { throw .alreadyRunning }
        lws_set_log_level(LLL_ERR | (configuration.logLibraryWarnings ? LLL_WARN : 0), nil)
        let loop = EventLoop(configuration: configuration, handlers: handlers, mailbox: mailbox, workCheck: workCheck)
        let host = configuration.host
        let ipv4 = isIPv4Host(host)
        let allIPv4 = ipv4 && (configuration.rawListener.map { isIPv4Host($0.host) } ?? true)

        var info = lws_context_creation_info()
        info.options = UInt64(LWS_SERVER_OPTION_EXPLICIT_VHOSTS) | UInt64(LWS_SERVER_OPTION_VALIDATE_UTF8)
            | (allIPv4 ? UInt64(LWS_SERVER_OPTION_DISABLE_IPV6) : 0)  // (per vhost below, too)
        info.user = Unmanaged.passUnretained(loop).toOpaque()
        info.max_http_header_data = 16384  // holds any head the request screen lets through (RequestScreen)
        info.port = CONTEXT_PORT_NO_LISTEN
        guard let context = lws_create_context(&info) else { throw .contextCreationFailed }

        info.port = Int32(clamping: configuration.port)
        info.iface = UnsafePointer(loop.iface)
        info.protocols = UnsafePointer(loop.protocols)
        info.options |= ipv4 ? UInt64(LWS_SERVER_OPTION_DISABLE_IPV6) : 0
        guard let vhost = lws_create_vhost(context, &info) else {
            lws_context_destroy(context)
            throw addressInUse(host: host, port: configuration.port)
                ? .portInUse(host: host, port: configuration.port)
                : .listenFailed(host: host, port: configuration.port)
        }
        let listenPort = Int(lws_get_vhost_listen_port(vhost))
        var rawListenPort: Int?
        if let listener = configuration.rawListener {
            do {
                rawListenPort = try loop.listenRaw(listener, in: context)
            } catch {
                lws_context_destroy(context)
                throw error
            }
        }
        loop.context = context
        loop.waker.attach(context)
        mailbox.open(waker: loop.waker)

        var thread = pthread_t()
        let retained = Unmanaged.passRetained(loop).toOpaque()
        let status = pthread_create(&thread, nil, { raw in
            Unmanaged<EventLoop>.fromOpaque(raw!).takeRetainedValue().run()
            return nil
        }, retained)
        guard status == 0 else {
            Unmanaged<EventLoop>.fromOpaque(retained).release()
            mailbox.close()
            loop.waker.detach()
            lws_context_destroy(context)
            throw .threadStartFailed(code: status)
        }
        self.loop = loop
        self.thread = thread
        port = listenPort
        rawPort = rawListenPort
    }

    /// Wakes the loop, lets it close every connection and destroy the context, joins the
    /// thread. Must not be called from a handler (the loop thread would wait for itself).
    public func stop() {
        guard let loop, let thread else { return }
        precondition(pthread_equal(pthread_self(), thread) == 0, "stop() called on the event-loop thread")
        loop.stopRequested.store(true, ordering: .releasing)
        loop.waker.wake()
        pthread_join(thread, nil)
        self.loop = nil
        self.thread = nil
        port = nil
        rawPort = nil
    }

    /// Runs `work` on the event-loop thread soon. Callable from any thread, handlers included;
    /// returns false (and drops `work`) when the server is not running. From another thread,
    /// waits while `mailboxCapacity` posts are pending (back-pressure: see LoopMailbox).
    /// `file` and `line` name the work in debug builds' slow-work reports.
    @discardableResult
    public func post(_ work: @escaping @Sendable () -> Void, file: String = #fileID, line: Int = #line) -> Bool {
        mailbox.post(.run(workCheck.wrap(work, as: "work posted at \(file):\(line)")))
    }

    /// Runs `work` on the event-loop thread once `seconds` have passed (a libwebsockets
    /// scheduler timer: no thread sleeps). Callable from any thread; false when not running.
    /// Timers still pending when the server stops never fire.
    @discardableResult
    public func schedule(after seconds: Double, file: String = #fileID, line: Int = #line,
                         _ work: @escaping @Sendable () -> Void) -> Bool {
        mailbox.post(.timer(seconds: max(0, seconds), workCheck.wrap(work, as: "timer set at \(file):\(line)")))
    }
}

/// Calls `lws_cancel_service` while the context lives. The lock makes a wake-up and the
/// context's destruction exclusive: a late `send` after `stop` is a no-op, never a use after free.
/// Also keeps the sockets that asked for the wake-up, so that the loop looks at those only.
final class LoopWaker: Sendable {
    private let context = Mutex<UInt>(0)  // the lws_context address, 0 when there is none
    private let ready = Mutex<[UInt]>([])  // keys of sockets whose outbox has something new

    /// Wakes the loop for the socket `key` (its outbox has something to send).
    func wake(socket key: UInt) {
        ready.withLock { $0.append(key) }
        wake()
    }

    /// Loop side: the sockets woken for since the last call, each once, oldest first.
    func takeReady() -> [UInt] {
        let keys = ready.withLock { keys in
            defer { keys.removeAll(keepingCapacity: true) }
            return keys
        }
        var seen = Set<UInt>()
        return keys.filter { seen.insert($0).inserted }
    }

    func attach(_ context: OpaquePointer) {
        let address = UInt(bitPattern: Int(bitPattern: UnsafeRawPointer(context)))
        self.context.withLock { $0 = address }
    }
    func detach() { context.withLock { $0 = 0 } }
    func wake() {
        context.withLock { address in
            if let context = OpaquePointer(bitPattern: address) { lws_cancel_service(context) }
        }
    }
}

/// State of one socket on the loop thread.
final class Socket {
    var connection: WebSocketConnection?  // set once upgraded
    var upgradeRequest: HTTPRequest?      // accepted upgrade, until ESTABLISHED
    var httpRequest: HTTPRequest?         // request whose body is being read
    var bodyOverflow = false
    /// `HTTP_BODY_COMPLETION`s in a row with no request being read (`completeBody`).
    var idleCompletions = 0
    var response: HTTPResponse?           // response whose body is being written
    var responseSent = 0
    var fragments: [UInt8] = []           // WebSocket message being reassembled
    var fragmentsAreBinary = false
    var closeDeadlineSet = false          // a queued close must complete within closeTimeoutSeconds
    var input: WebSocketInputGate         // messages held while the outbox is too full for replies
    var form: FormReader?                 // form body being parsed (lws_spa)
    var chunked: HTTPChunkedBody?         // a chunked request body being decoded
    var stream: HTTPResponseStream?       // streamed response being written
    var discarding = false                // an oversized message is being read and dropped
    var maxMessageBytes: Int              // the bound of a message on this socket (by its path)
    var framer: (any StreamFramer)?       // a raw TCP connection's (WebSocketServer+Raw.swift)

    init(pauseLevel: Int, maxMessageBytes: Int) {
        input = WebSocketInputGate(pauseLevel: pauseLevel)
        self.maxMessageBytes = maxMessageBytes
    }
}

/// Everything the loop thread owns. Handed to that thread once by `start`; after that only
/// `stopRequested` and `waker` are touched from elsewhere, and both are synchronized.
final class EventLoop: @unchecked Sendable {
    let configuration: WebSocketServer.Configuration
    let handlers: WebSocketServer.Handlers
    let stopRequested = Atomic<Bool>(false)
    let waker = LoopWaker()
    let mailbox: LoopMailbox
    let workCheck: LoopWorkCheck
    var context: OpaquePointer?
    // C memory that must outlive the context.
    let protocols: UnsafeMutablePointer<lws_protocols>  // [2]: ours, then the terminator
    let protocolName: UnsafeMutablePointer<CChar>
    let iface: UnsafeMutablePointer<CChar>?
    /// The raw TCP port's vhost memory, when there is one (WebSocketServer+Raw.swift).
    var raw: RawVhost?
    // Loop-thread state.
    var sockets: [UInt: Socket] = [:]  // by wsi address
    /// Descriptors whose client frames FrameMaskGuard tracks, by wsi address.
    var maskGuarded: [UInt: Int32] = [:]
    var nextConnectionID: UInt64 = 1
    /// Scheduled timers by address; each fires once and is freed.
    private var timers: [UInt: (timer: UnsafeMutablePointer<cws_timer>, work: @Sendable () -> Void)] = [:]
    let pre = cws_lws_pre()
    static let httpChunkBytes = 16384

    init(configuration: WebSocketServer.Configuration, handlers: WebSocketServer.Handlers, mailbox: LoopMailbox,
         workCheck: LoopWorkCheck) {
        self.configuration = configuration
        self.handlers = handlers
        self.mailbox = mailbox
        self.workCheck = workCheck
        let host = configuration.host
        iface = ["", "*", "0.0.0.0", "::"].contains(host) ? nil : strdup(host)
        protocolName = strdup("tts")
        protocols = .allocate(capacity: 2)
        protocols.initialize(repeating: lws_protocols(), count: 2)
        protocols[0].name = UnsafePointer(protocolName)
        protocols[0].callback = { EventLoop.callback($0, $1, $2, $3, $4, runsPostedWork: true) }
        protocols[0].rx_buffer_size = 65536
    }

    deinit {
        protocols.deinitialize(count: 2)
        protocols.deallocate()
        free(protocolName)
        free(iface)
    }

    func run() {
        guard let context else { return }
        mailbox.enterLoopThread()
        while !stopRequested.load(ordering: .acquiring) {
            if lws_service(context, 0) < 0 { break }
        }
        mailbox.close()
        for (_, entry) in timers { lws_sul_cancel(Self.sul(of: entry.timer)) }
        waker.detach()
        lws_context_destroy(context)  // closes every socket: close handlers run here
        self.context = nil
        for (_, entry) in timers { entry.timer.deallocate() }
        timers.removeAll()
    }

    // MARK: Posted work and timers

    private func runPosted() {
        for item in mailbox.take() {
            switch item {
            case .run(let work): work()
            case .timer(let seconds, let work): addTimer(after: seconds, work)
            }
        }
    }

    private func addTimer(after seconds: Double, _ work: @escaping @Sendable () -> Void) {
        guard let context else { return }
        let timer = UnsafeMutablePointer<cws_timer>.allocate(capacity: 1)
        timer.initialize(to: cws_timer())
        timer.pointee.user = Unmanaged.passUnretained(self).toOpaque()
        timers[UInt(bitPattern: timer)] = (timer, work)
        lws_sul_schedule(context, 0, Self.sul(of: timer), { sul in
            // `sul` is the first member of a cws_timer.
            guard let timer = UnsafeMutableRawPointer(sul)?.assumingMemoryBound(to: cws_timer.self),
                  let user = timer.pointee.user else { return }
            Unmanaged<EventLoop>.fromOpaque(user).takeUnretainedValue().fire(timer)
        }, lws_usec_t(seconds * 1_000_000))
    }

    /// The scheduler entry: the first member of the timer.
    private static func sul(of timer: UnsafeMutablePointer<cws_timer>) -> UnsafeMutablePointer<lws_sorted_usec_list_t> {
        UnsafeMutableRawPointer(timer).assumingMemoryBound(to: lws_sorted_usec_list_t.self)
    }

    private func fire(_ timer: UnsafeMutablePointer<cws_timer>) {
        guard let entry = timers.removeValue(forKey: UInt(bitPattern: timer)) else { return }
        entry.timer.deallocate()
        entry.work()
    }

    // MARK: The one lws callback

    /// The C callback of both vhosts (WebSocket/HTTP and raw): finds the loop from the context
    /// and runs `handle`, measured for slow-work reports. Posted work (EVENT_WAIT_CANCELLED, which
    /// lws sends to every protocol of every vhost) runs once per wake-up, in the WebSocket
    /// protocol's callback (`runsPostedWork`), and is measured item by item there.
    static func callback(_ wsi: OpaquePointer?, _ reason: lws_callback_reasons, _ user: UnsafeMutableRawPointer?,
                         _ input: UnsafeMutableRawPointer?, _ length: Int, runsPostedWork: Bool) -> Int32 {
        guard let wsi, let context = lws_get_context(wsi), let raw = lws_context_user(context) else { return 0 }
        let loop = Unmanaged<EventLoop>.fromOpaque(raw).takeUnretainedValue()
        if reason == LWS_CALLBACK_EVENT_WAIT_CANCELLED {
            return runsPostedWork ? loop.handle(wsi, reason, user, input, length) : 0
        }
        return loop.workCheck.measure("libwebsockets callback \(reasonName(reason))") {
            loop.handle(wsi, reason, user, input, length)
        }
    }

    func handle(_ wsi: OpaquePointer, _ reason: lws_callback_reasons, _ user: UnsafeMutableRawPointer?,
                _ input: UnsafeMutableRawPointer?, _ length: Int) -> Int32 {
        let key = UInt(bitPattern: Int(bitPattern: UnsafeRawPointer(wsi)))
        switch reason {
        case LWS_CALLBACK_SERVER_NEW_CLIENT_INSTANTIATED:
            let descriptor = lws_get_socket_fd(wsi)  // before any byte is read from it
            if descriptor >= 0 {
                FrameMaskGuard.register(descriptor, maxBodyBytes: configuration.maxRequestBodyBytes)
                maskGuarded[key] = descriptor
            }
        case LWS_CALLBACK_HTTP:
            // A plain request before any upgrade: the tracker would not find where frames start
            // (the request screen goes on: every request of a keep-alive connection is screened).
            if let descriptor = maskGuarded[key] { FrameMaskGuard.httpRequestStarted(descriptor) }
            return onHTTPRequest(wsi, key)
        case LWS_CALLBACK_HTTP_BODY:
            sockets[key]?.idleCompletions = 0
            if let socket = sockets[key], socket.httpRequest != nil, let input {
                if socket.chunked != nil { return onChunkedBody(wsi, key, UnsafeRawBufferPointer(start: input, count: length)) }
                appendBody(socket, UnsafeMutableRawBufferPointer(start: input, count: length))
            }
            return 0
        case LWS_CALLBACK_HTTP_BODY_COMPLETION:
            return completeBody(wsi, key)
        case LWS_CALLBACK_HTTP_WRITEABLE:
            if sockets[key]?.stream != nil { return writeStreamItem(wsi, key) }
            guard sockets[key]?.response != nil else { break }
            return writeResponseChunk(wsi, key)
        case LWS_CALLBACK_HTTP_CONFIRM_UPGRADE:
            return onUpgradeRequest(wsi, key, input)
        case LWS_CALLBACK_ESTABLISHED:
            return onOpen(wsi, key)
        case LWS_CALLBACK_RECEIVE:
            return onReceive(wsi, key, input, length)
        case LWS_CALLBACK_SERVER_WRITEABLE:
            return onWriteable(wsi, key)
        case LWS_CALLBACK_EVENT_WAIT_CANCELLED:
            runPosted()
            for socketKey in waker.takeReady() {  // only the sockets with something new to send
                if let socket = sockets[socketKey], let stream = socket.stream {
                    if stream.isAborted {  // also when the client has stopped reading
                        lws_set_timeout(OpaquePointer(bitPattern: socketKey), PENDING_TIMEOUT_CLOSE_SEND, LWS_TO_KILL_ASYNC)
                        continue
                    }
                    if stream.takeWakeRequest() { lws_callback_on_writable(OpaquePointer(bitPattern: socketKey)) }
                    if stream.isEnded, !socket.closeDeadlineSet {
                        // The session has let go of it: the client reads the rest within the drain timeout or is dropped.
                        socket.closeDeadlineSet = true
                        dropAfter(configuration.drainTimeoutSeconds, socketKey, stream)
                    }
                    continue
                }
                guard let socket = sockets[socketKey], let connection = socket.connection,
                      connection.outbox.takeWakeRequest() else { continue }
                lws_callback_on_writable(OpaquePointer(bitPattern: socketKey))
                if connection.outbox.isClosing, !socket.closeDeadlineSet {
                    // A peer that stops reading (or never answers the close) cannot hold the
                    // socket open: it is dropped once the close timeout has passed.
                    socket.closeDeadlineSet = true
                    dropAfter(configuration.closeTimeoutSeconds, socketKey, connection)
                }
            }
            return 0
        case LWS_CALLBACK_RAW_ADOPT:
            if let descriptor = maskGuarded.removeValue(forKey: key) { FrameMaskGuard.unregister(descriptor) }  // not WebSocket
            return onRawOpen(wsi, key)
        case LWS_CALLBACK_RAW_RX:
            return onRawReceive(wsi, key, input, length)
        case LWS_CALLBACK_RAW_WRITEABLE:
            return onWriteable(wsi, key)
        case LWS_CALLBACK_CLOSED, LWS_CALLBACK_CLOSED_HTTP, LWS_CALLBACK_WSI_DESTROY, LWS_CALLBACK_RAW_CLOSE:
            if let descriptor = maskGuarded.removeValue(forKey: key) { FrameMaskGuard.unregister(descriptor) }
            if let socket = sockets.removeValue(forKey: key) {
                if let connection = socket.connection {
                    connection.outbox.shutDown()
                    handlers.close(connection)
                }
                if let stream = socket.stream {  // the client left before the response's end
                    stream.markClosed()
                    handlers.streamClosed(stream)
                }
            }
            return 0
        default:
            break
        }
        return lws_callback_http_dummy(wsi, reason, user, input, length)
    }

    // MARK: WebSocket

    private func onUpgradeRequest(_ wsi: OpaquePointer, _ key: UInt, _ input: UnsafeMutableRawPointer?) -> Int32 {
        guard let input, String(cString: input.assumingMemoryBound(to: CChar.self)).lowercased() == "websocket"
        else { return -1 }  // no h2c
        let request = readRequest(wsi, isWebSocketUpgrade: true)
        if let refusal = handlers.upgrade(request) {
            // Answer, then hang up: the socket never becomes a WebSocket. Written raw: lws has
            // not parsed the request version on this path and would answer "HTTP/1.0", which
            // WebSocket clients reject.
            _ = write(wsi, refusal.rawHTTP11(), LWS_WRITE_HTTP_FINAL)
            return -1
        }
        socket(key).upgradeRequest = request
        return 0
    }

    private func onOpen(_ wsi: OpaquePointer, _ key: UInt) -> Int32 {
        let socket = self.socket(key)
        let request = socket.upgradeRequest ?? readRequest(wsi, isWebSocketUpgrade: true)
        socket.upgradeRequest = nil
        socket.maxMessageBytes = configuration.maxMessageBytesByPath[request.path] ?? configuration.maxMessageBytes
        let waker = self.waker
        let connection = WebSocketConnection(
            id: nextConnectionID, request: request, outboxCapacity: configuration.outboxCapacity,
            wake: { waker.wake(socket: key) })
        nextConnectionID += 1
        socket.connection = connection
        handlers.open(connection)
        return 0
    }

    private func onReceive(_ wsi: OpaquePointer, _ key: UInt, _ input: UnsafeMutableRawPointer?, _ length: Int) -> Int32 {
        guard let socket = sockets[key], let connection = socket.connection else { return -1 }
        let isMessageEnd = lws_is_final_fragment(wsi) != 0
        if socket.discarding {
            // Drain an oversized message, then close: a client busy sending it reads the close
            // once it is done, instead of meeting a reset in the middle of its send.
            if isMessageEnd { closeOversized(socket, connection) }
            return 0
        }
        if connection.outbox.isClosing { return 0 }  // closing: nothing more is handed on
        if let descriptor = maskGuarded[key], FrameMaskGuard.receivedUnmaskedFrame(descriptor) {
            connection.close(code: 1002, reason: "client frames must be masked")  // RFC 6455 5.1
            return 0
        }
        if lws_is_first_fragment(wsi) != 0 {
            socket.fragments.removeAll(keepingCapacity: true)
            socket.fragmentsAreBinary = lws_frame_is_binary(wsi) != 0
        }
        if socket.fragments.count + length > socket.maxMessageBytes {
            socket.fragments = []
            if isMessageEnd {
                closeOversized(socket, connection)
            } else {
                socket.discarding = true
                dropAfter(configuration.drainTimeoutSeconds, key, connection)  // however long the rest takes
            }
            return 0
        }
        if let input, length > 0 {
            socket.fragments.append(contentsOf: UnsafeRawBufferPointer(start: input, count: length))
        }
        guard lws_is_final_fragment(wsi) != 0 else { return 0 }
        let bytes = socket.fragments
        socket.fragments = []
        let message: WebSocketMessage = socket.fragmentsAreBinary ? .binary(bytes) : .text(String(decoding: bytes, as: UTF8.self))
        if let ready = socket.input.admit(message, pending: connection.inputGateLevel) { handlers.message(connection, ready) }
        if socket.input.shouldPause(pending: connection.inputGateLevel) { lws_rx_flow_control(wsi, 0) }
        return 0
    }

    private func closeOversized(_ socket: Socket, _ connection: WebSocketConnection) {
        socket.discarding = false
        connection.close(code: 1009, reason: "message exceeds \(socket.maxMessageBytes) bytes")
    }

    /// After a write: hands on held messages while the outbox has room, then reads again.
    private func releaseInput(_ wsi: OpaquePointer, _ socket: Socket, _ connection: WebSocketConnection) {
        if connection.outbox.isClosing {
            if socket.input.closing() { lws_rx_flow_control(wsi, 1) }  // the peer's close must be read
            return
        }
        while let message = socket.input.release(pending: connection.inputGateLevel) { handlers.message(connection, message) }
        if socket.input.shouldResume(pending: connection.inputGateLevel) { lws_rx_flow_control(wsi, 1) }
    }

    /// One outbox item per writeable callback; asks for another while items remain.
    private func onWriteable(_ wsi: OpaquePointer, _ key: UInt) -> Int32 {
        guard let socket = sockets[key], let connection = socket.connection else { return 0 }
        guard let item = connection.outbox.next() else {
            releaseInput(wsi, socket, connection)  // woken by `releaseInput`
            return 0
        }
        // A raw TCP connection: bytes as they are (LWS_WRITE_RAW, a macro Swift does not see, is
        // LWS_WRITE_HTTP), no control frames.
        let isRaw = socket.framer != nil
        switch item {
        case .message(.text(let text)):
            guard write(wsi, text.utf8, isRaw ? LWS_WRITE_HTTP : LWS_WRITE_TEXT) else { return -1 }
        case .message(.binary(let bytes)):
            guard write(wsi, bytes, isRaw ? LWS_WRITE_HTTP : LWS_WRITE_BINARY) else { return -1 }
        case .ping:
            guard isRaw || write(wsi, [UInt8](), LWS_WRITE_PING) else { return -1 }
        case .close(let code, let reason):
            if socket.input.closing() { lws_rx_flow_control(wsi, 1) }  // the peer's close must be read
            if !isRaw { setCloseReason(wsi, code: code, reason: reason) }
            return -1
        }
        handlers.written(connection)
        releaseInput(wsi, socket, connection)
        if !connection.outbox.isEmpty { lws_callback_on_writable(wsi) }
        return 0
    }

    private func setCloseReason(_ wsi: OpaquePointer, code: UInt16, reason: String) {
        var bytes = Array(reason.utf8.prefix(123))  // a close frame carries at most 125 bytes
        while String(validating: bytes, as: UTF8.self) == nil { bytes.removeLast() }
        lws_close_reason(wsi, lws_close_status(rawValue: UInt32(code)), &bytes, bytes.count)
    }

    // MARK: Bookkeeping

    /// Drops the socket in `seconds` if `connection` still holds it then.
    private func dropAfter(_ seconds: Double, _ key: UInt, _ connection: WebSocketConnection) {
        addTimer(after: seconds) { [self] in
            guard sockets[key]?.connection === connection else { return }  // already gone
            lws_set_timeout(OpaquePointer(bitPattern: key), PENDING_TIMEOUT_CLOSE_SEND, LWS_TO_KILL_ASYNC)
        }
    }

    /// Drops the socket in `seconds` if it is still writing `stream` then.
    private func dropAfter(_ seconds: Double, _ key: UInt, _ stream: HTTPResponseStream) {
        addTimer(after: seconds) { [self] in
            guard sockets[key]?.stream === stream else { return }  // written (or gone)
            lws_set_timeout(OpaquePointer(bitPattern: key), PENDING_TIMEOUT_CLOSE_SEND, LWS_TO_KILL_ASYNC)
        }
    }

    /// The end of an HTTP transaction: the connection is kept for the next request, or closed
    /// (-1) when libwebsockets says so or a later request was refused meanwhile (RequestScreen).
    func completeTransaction(_ wsi: OpaquePointer, _ key: UInt) -> Int32 {
        if let descriptor = maskGuarded[key], FrameMaskGuard.httpRequestAnswered(descriptor) { return -1 }
        return lws_http_transaction_completed(wsi) != 0 ? -1 : 0
    }

    func socket(_ key: UInt) -> Socket {
        if let socket = sockets[key] { return socket }
        let socket = Socket(pauseLevel: configuration.pauseReadingLevel, maxMessageBytes: configuration.maxMessageBytes)
        sockets[key] = socket
        return socket
    }
}

/// A callback reason, for slow-work reports.
private func reasonName(_ reason: lws_callback_reasons) -> String {
    switch reason {
    case LWS_CALLBACK_HTTP: "HTTP (a request)"
    case LWS_CALLBACK_HTTP_BODY_COMPLETION: "HTTP_BODY_COMPLETION (a request with a body)"
    case LWS_CALLBACK_HTTP_CONFIRM_UPGRADE: "HTTP_CONFIRM_UPGRADE (an upgrade)"
    case LWS_CALLBACK_ESTABLISHED: "ESTABLISHED (a session opened)"
    case LWS_CALLBACK_RECEIVE: "RECEIVE (a client message)"
    case LWS_CALLBACK_SERVER_WRITEABLE: "SERVER_WRITEABLE (a write)"
    case LWS_CALLBACK_CLOSED: "CLOSED (a session closed)"
    case LWS_CALLBACK_RAW_ADOPT: "RAW_ADOPT (a raw connection opened)"
    case LWS_CALLBACK_RAW_RX: "RAW_RX (raw bytes read)"
    case LWS_CALLBACK_RAW_WRITEABLE: "RAW_WRITEABLE (a raw write)"
    case LWS_CALLBACK_RAW_CLOSE: "RAW_CLOSE (a raw connection closed)"
    default: "\(reason.rawValue)"
    }
}
