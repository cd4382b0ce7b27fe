// EventLoop.swift: the libwebsockets context's one thread: its lws callback, posted work and
// timers, and the sockets it owns (Socket.swift). HTTP, WebSocket, raw TCP and the start-up
// self-test are in EventLoop+HTTP/+WebSocket/+Raw/+SelfTest.swift.
import CWebSockets
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// Everything the loop thread owns. Handed to that thread once by `start`; after that only
/// `stopRequested` and `waker` are touched from elsewhere, and both are synchronized.
final class EventLoop: @unchecked Sendable {
    let configuration: WebSocketServer.Configuration
    let handlers: WebSocketServer.Handlers
    let stopRequested = Atomic<Bool>(false)
    /// The loop thread's id, and whether its priority was raised (LoopPriority.swift): set as it starts.
    let threadID = Atomic<Int32>(0)
    let priorityRaised = Atomic<Bool>(false)
    let waker = LoopWaker()
    let mailbox: LoopMailbox
    let workCheck: LoopWorkCheck
    var context: OpaquePointer?
    // C memory that must outlive the context.
    let memory: VhostMemory
    var protocols: UnsafeMutablePointer<lws_protocols> { memory.protocols }
    var iface: UnsafeMutablePointer<CChar>? { memory.iface }
    /// The raw TCP port's vhost memory, when there is one (EventLoop+Raw.swift).
    var raw: RawVhost?
    /// The WebSocket/HTTP vhost (the start-up self-test adopts its socket there).
    var vhost: OpaquePointer?
    /// The start-up self-test's descriptor while it runs (EventLoop+SelfTest.swift), else -1.
    var selfTestDescriptor: Int32 = -1
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
        memory = VhostMemory(protocolName: "tts", host: configuration.host, runsPostedWork: true)
    }

    func run() {
        guard let context else { return }
        threadID.store(LoopPriority.currentThreadID(), ordering: .releasing)
        priorityRaised.store(LoopPriority.raiseCurrentThread(), ordering: .releasing)
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
            guard let socket = sockets[key] else { return 0 }
            socket.idleCompletions = 0
            if case .readingBody(let body) = socket.phase, let input {
                if body.chunked != nil { return onChunkedBody(wsi, key, body, UnsafeRawBufferPointer(start: input, count: length)) }
                appendBody(body, UnsafeMutableRawBufferPointer(start: input, count: length))
            }
            return 0
        case LWS_CALLBACK_HTTP_BODY_COMPLETION:
            return completeBody(wsi, key)
        case LWS_CALLBACK_HTTP_WRITEABLE:
            switch sockets[key]?.phase {
            case .streaming?: return writeStreamItem(wsi, key)
            case .responding?: return writeResponseChunk(wsi, key)
            default: break
            }
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
            for socketKey in waker.takeReady() { onWake(socketKey) }  // only the sockets with something new to send
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
            if let socket = sockets.removeValue(forKey: key) { onClosed(socket) }
            return 0
        default:
            break
        }
        return lws_callback_http_dummy(wsi, reason, user, input, length)
    }

    /// The socket `key`'s outbox or stream has something new (its wake-up).
    private func onWake(_ key: UInt) {
        guard let socket = sockets[key] else { return }
        let wsi = OpaquePointer(bitPattern: key)
        switch socket.phase {
        case .streaming(let stream, let closeDeadlineSet):
            if stream.isAborted {  // also when the client has stopped reading
                lws_set_timeout(wsi, PENDING_TIMEOUT_CLOSE_SEND, LWS_TO_KILL_ASYNC)
                return
            }
            if stream.takeWakeRequest() { lws_callback_on_writable(wsi) }
            if stream.isEnded, !closeDeadlineSet {
                // The session has let go of it: the client reads the rest within the drain timeout or is dropped.
                socket.phase = .streaming(stream, closeDeadlineSet: true)
                dropAfter(configuration.drainTimeoutSeconds, key, stream)
            }
        case .webSocket(let open, _), .raw(let open, _), .selfTest(let open):
            guard open.connection.outbox.takeWakeRequest() else { return }
            lws_callback_on_writable(wsi)
            if open.connection.outbox.isClosing, !open.closeDeadlineSet {
                // A peer that stops reading (or never answers the close) cannot hold the
                // socket open: it is dropped once the close timeout has passed.
                open.closeDeadlineSet = true
                dropAfter(configuration.closeTimeoutSeconds, key, open.connection)
            }
        default:
            break
        }
    }

    /// The socket is gone: its connection or stream is told.
    private func onClosed(_ socket: Socket) {
        switch socket.phase {
        case .webSocket(let open, _), .raw(let open, _):
            open.connection.outbox.shutDown()
            handlers.close(open.connection)
        case .selfTest(let open):
            open.connection.outbox.shutDown()
            selfTestDescriptor = -1
        case .streaming(let stream, _):  // the client left before the response's end
            stream.markClosed()
            handlers.streamClosed(stream)
        default:
            break
        }
    }

    // MARK: Bookkeeping

    /// Drops the socket in `seconds` if `connection` still holds it then.
    func dropAfter(_ seconds: Double, _ key: UInt, _ connection: WebSocketConnection) {
        addTimer(after: seconds) { [self] in
            guard sockets[key]?.open?.connection === connection else { return }  // already gone
            lws_set_timeout(OpaquePointer(bitPattern: key), PENDING_TIMEOUT_CLOSE_SEND, LWS_TO_KILL_ASYNC)
        }
    }

    /// Drops the socket in `seconds` if it is still writing `stream` then.
    func dropAfter(_ seconds: Double, _ key: UInt, _ stream: HTTPResponseStream) {
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
        let socket = Socket()
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
