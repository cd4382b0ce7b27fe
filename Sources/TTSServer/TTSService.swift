// TTSService.swift: the TTS service: its configuration, the engine once attached, the server and
// its handlers, start, the timers and the graceful shutdown. What it does with them lives beside:
//
//   TTSService+SessionHost.swift    the one host of every session (admission, adapter steps, actions)
//   TTSService+SessionEvents.swift  sessions' events: transports, client messages, engine reports
//   TTSService+Admission.swift      who may open a session, and each address's share of streams
//   TTSService+Routes.swift         /health, /ready, /metrics, the upgrade check
//   TTSService+HTTPAPI.swift        the HTTP API's endpoints; +HTTPSpeech: their speech as a session
//   TTSService+LoopLag.swift        long texts a slice per loop pass; the loop's lag
//
// Threads: every session, machine and timer lives on the event-loop thread (the server's
// handlers, `post`ed work and timers all run there). The engine reports from its own threads
// through `SpeechEngineEvents`, which posts each report to the loop. Only `engine` (set once
// the model is loaded) and the shutdown signal are shared, each behind its own lock.
import Dispatch
import Logging
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

public final class TTSService: @unchecked Sendable {
    /// Service behaviour that is not in `ServerConfig`.
    public struct Options: Sendable {
        /// Seconds between idle-timeout checks.
        public var tickInterval: Double
        /// Seconds a closing connection gets to flush and answer the close before it is dropped.
        public var closeTimeoutSeconds: Double
        /// The WebSocket path.
        public var path: String

        public init(tickInterval: Double = 1, closeTimeoutSeconds: Double = 3, path: String = "/tts/ws") {
            self.tickInterval = tickInterval
            self.closeTimeoutSeconds = closeTimeoutSeconds
            self.path = path
        }
    }

    public let config: ServerConfig
    public let options: Options
    public let metrics: ServiceMetrics
    let authenticator: Authenticator
    let logger: Logger
    /// Seconds on a monotonic clock.
    let clock: @Sendable () -> Double
    private let engineSlot = Mutex<(engine: (any SpeechEngine)?, defaultVoice: String)>((nil, ""))
    /// The models served, as `attach` was told them (Wyoming's `info`).
    private let modelSlot = Mutex<[ServedModel]>([.unnamed])
    private let drained = Mutex<DispatchSemaphore?>(nil)
    private let stopped = Atomic<Bool>(false)
    let server: WebSocketServer

    // Loop-thread state.
    /// Every open session, WebSocket, raw TCP or HTTP speech, by its transport's id
    /// (TTSService+SessionHost.swift).
    var sessions: [UInt64: Session] = [:] { didSet { refreshSessionGauges() } }
    /// Long texts waiting for their next slice, in turn (TTSService+LoopLag.swift). Loop thread only.
    var textSlices = TextSliceQueue()
    var shuttingDown = false

    /// `engine` may come later (`attach`): until then /ready answers 503 and upgrades are refused.
    public init(config: ServerConfig, engine: (any SpeechEngine)? = nil, options: Options = Options(),
                metrics: ServiceMetrics = ServiceMetrics(), logger: Logger = Logger(label: "pocket-tts.server"),
                clock: @escaping @Sendable () -> Double = monotonicSeconds) {
        self.config = config
        self.options = options
        self.metrics = metrics
        self.logger = logger
        self.clock = clock
        authenticator = Authenticator(apiKeys: config.apiKeys)
        engineSlot.withLock { $0 = (engine, config.effectiveDefaultVoice) }

        let target = HandlerTarget()
        var serverConfiguration = WebSocketServer.Configuration(
            host: config.host, port: config.port, maxMessageBytes: config.maxMessageBytes,
            maxRequestBodyBytes: max(65536, config.maxVoiceUploadBytes + 65536), outboxCapacity: config.sendWindow + 64,
            pauseReadingLevel: config.sendWindow + 32,
            customHeaderNames: Authenticator.keyHeaderNames, closeTimeoutSeconds: options.closeTimeoutSeconds)
        serverConfiguration.maxMessageBytesByPath = WireProtocols.maxMessageBytesByPath(config)
        serverConfiguration.formFieldNames = Self.formFieldNames
        serverConfiguration.formPaths = Self.formPaths
        serverConfiguration.maxFormFieldBytes = config.maxTurnTextCharacters * 4 + 4096
        if config.wyomingPort != 0 {  // Wyoming: raw TCP in the same loop (WyomingAdapter.swift)
            let limits = WyomingAdapter.limits(config.protocolSettings)
            serverConfiguration.rawListener = WebSocketServer.RawListener(
                host: config.wyomingHost.isEmpty ? config.host : config.wyomingHost, port: config.wyomingPort,
                path: WyomingAdapter.path, makeFramer: { WyomingFramer(limits: limits) })
        }
        server = WebSocketServer(configuration: serverConfiguration, handlers: target.handlers)
        target.service = self  // before `start`: no handler runs before this
    }

    deinit {
        server.stop()
    }

    // MARK: Lifecycle (owner's thread)

    /// The engine, once the model is loaded; the service is ready from then on.
    public var engine: (any SpeechEngine)? { engineSlot.withLock { $0.engine } }

    /// The voice of a config without "voice": `config.defaultVoice` unless `attach` changed it.
    public var defaultVoice: String { engineSlot.withLock { $0.defaultVoice } }

    /// The models served, as protocols that list models describe them: a `ModelRouter`'s, each
    /// with its voices now; else those `attach` named.
    public var models: [ServedModel] {
        if let router = engine as? ModelRouter { return router.models }
        return modelSlot.withLock { $0 }
    }

    /// The voices and uploads of `model` (nil: the default model's), when the engine keeps them.
    func voiceStore(model: String? = nil) -> EngineSpeechAdapter? {
        engine?.voiceStore(model: model)
    }

    /// Makes the service ready. `defaultVoice` replaces `config.defaultVoice` (e.g. a voice
    /// file's name, known only once loaded); `models` names the models served.
    public func attach(engine: any SpeechEngine, defaultVoice: String? = nil, models: [ServedModel]? = nil) {
        if let models { modelSlot.withLock { $0 = models } }
        let voice = engineSlot.withLock { slot in
            slot = (engine, defaultVoice ?? slot.defaultVoice)
            return slot.defaultVoice
        }
        logger.info("engine attached: ready", metadata: [
            "voices": "\(engine.voices.sorted().joined(separator: ","))", "default_voice": "\(voice)",
        ])
    }

    /// The port listened on while running.
    public var port: Int? { server.port }

    /// The Wyoming port listened on while running (`wyoming_port`), if any.
    public var wyomingPort: Int? { server.rawPort }

    public func start() throws(WebSocketServerError) {
        try server.start()
        scheduleTick()
        scheduleLoopLagProbe()
        logger.info("listening", metadata: ["host": "\(config.host)", "port": "\(port ?? 0)", "path": "\(options.path)",
                                            "auth": "\(authenticator.isOpen ? "none" : "api key")",
                                            "wyoming_port": "\(wyomingPort.map(String.init) ?? "off")",
                                            "loop_priority": "\(server.loopPriorityRaised ? "raised" : "the process's (no CAP_SYS_NICE)")"])
    }

    /// Graceful stop: refuses new sessions, closes idle ones, lets turns in progress finish for
    /// up to `gracePeriod` seconds, then cancels the rest, waits for the closes to go out and
    /// stops the server. Blocks; call from any thread but the event loop.
    public func shutdown(gracePeriod: Double = 3) {
        let semaphore = DispatchSemaphore(value: 0)
        drained.withLock { $0 = semaphore }
        let posted = server.post { [self] in beginShutdown(gracePeriod: gracePeriod) }
        if posted {
            let limit = gracePeriod + options.closeTimeoutSeconds + 1
            if semaphore.wait(timeout: .now() + limit) == .timedOut {
                logger.warning("shutdown: sessions still open after \(limit) s; stopping anyway")
            }
        }
        server.stop()
        stopped.store(true, ordering: .releasing)
        logger.info("stopped")
    }

    /// Stops at once: every connection is dropped.
    public func stop() {
        server.stop()
        stopped.store(true, ordering: .releasing)
    }

    /// True once `shutdown` or `stop` has stopped the server (readable from any thread).
    public var hasStopped: Bool { stopped.load(ordering: .acquiring) }

    // MARK: Timers and shutdown (loop thread)

    private func scheduleTick() {
        server.schedule(after: options.tickInterval) { [weak self] in
            guard let self else { return }
            tickSessions(now: clock())
            scheduleTick()
        }
    }

    private func beginShutdown(gracePeriod: Double) {
        logger.info("shutting down: \(sessions.count) sessions open, grace \(gracePeriod) s")
        shuttingDown = true
        let now = clock()
        for session in Array(sessions.values) where session.machine.state == .awaitingConfig {
            perform(session.machine.onShutdown(now: now), in: session)
        }
        server.schedule(after: gracePeriod) { [weak self] in
            guard let self else { return }
            let now = clock()
            for session in Array(sessions.values) { perform(session.machine.onShutdown(now: now), in: session) }
        }
        signalIfDrained()
    }

    /// Wakes `shutdown` once the last session is gone.
    func signalIfDrained() {
        guard shuttingDown, sessions.isEmpty else { return }
        drained.withLock { semaphore in
            semaphore?.signal()
            semaphore = nil
        }
    }

    /// Runs `work` on the loop thread (engine reports); `file` and `line` name it in debug
    /// builds' slow-work reports.
    func post(_ work: @escaping @Sendable () -> Void, file: String = #fileID, line: Int = #line) {
        server.post(work, file: file, line: line)
    }
}

/// The server's handlers, forwarding to the service. The server is made in the service's init,
/// before `self` can be captured, so the handlers hold this box and init fills it in.
/// `@unchecked`: `service` is written once, in `TTSService.init`, before `start` creates the
/// event-loop thread (the only reader); after that it is only read.
private final class HandlerTarget: @unchecked Sendable {
    weak var service: TTSService?

    var handlers: WebSocketServer.Handlers {
        var handlers = WebSocketServer.Handlers()
        handlers.http = { [self] request in service?.answer(request) ?? HTTPResponse(status: 503, text: "stopping\n") }
        handlers.upgrade = { [self] request in
            guard let service else { return HTTPResponse(status: 503, text: "stopping\n") }
            return service.checkUpgrade(request)
        }
        handlers.stream = { [self] request, stream in service?.takeStream(request, stream) ?? false }
        handlers.streamWritten = { [self] stream in service?.onStreamWritten(stream) }
        handlers.streamClosed = { [self] stream in service?.onStreamClosed(stream) }
        handlers.open = { [self] connection in service?.onOpen(connection) }
        handlers.message = { [self] connection, message in service?.onMessage(connection, message) }
        handlers.written = { [self] connection in service?.onWritten(connection) }
        handlers.close = { [self] connection in service?.onClose(connection) }
        return handlers
    }
}

/// Seconds since an arbitrary point, from CLOCK_MONOTONIC.
@Sendable public func monotonicSeconds() -> Double {
    var time = timespec()
    clock_gettime(CLOCK_MONOTONIC, &time)
    return Double(time.tv_sec) + Double(time.tv_nsec) * 1e-9
}
