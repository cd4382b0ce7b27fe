// WebSocketServer.swift: the server's public face over libwebsockets 4.1. CWebSockets is imported
// by the transport files only (this folder: WebSocketServer, EventLoop*, LoopWaker, FormReader,
// and the client, WebSocketClient.swift); nothing else in the server sees libwebsockets.
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

    /// Whether the event-loop thread runs above the process's priority (LoopPriority.swift):
    /// false without CAP_SYS_NICE. Known once `start` has returned.
    public var loopPriorityRaised: Bool { loop?.priorityRaised.load(ordering: .acquiring) ?? false }

    /// The event-loop thread's id while running (0 before it starts).
    public var loopThreadID: Int32 { loop?.threadID.load(ordering: .acquiring) ?? 0 }

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
        loop.vhost = vhost
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
        do {
            try verifyFrameMaskCheck(loop, frame: configuration.selfTestFrame)
        } catch {
            stop()
            throw error
        }
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
