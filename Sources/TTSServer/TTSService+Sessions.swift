// TTSService+Sessions.swift: the per-connection glue on the event-loop thread. Each event goes
// to the session's machine; the glue only carries out the actions it returns, and keeps the
// timings the metrics need.
import Logging

/// One WebSocket session, owned by the event-loop thread.
final class Session {
    let connection: WebSocketConnection
    var machine: SessionMachine
    /// The wire protocol of the connection's path (WireAdapter.swift).
    var adapter: any WireAdapter
    /// The protocol the metrics count it under.
    let label: ProtocolLabel
    var logger: Logger
    /// The open turn's timings.
    var timings: TurnTimings?
    /// The adapter asked to `resume` while the machine still had text to segment: it is called
    /// once that text is segmented (the adapter's held messages wait as the socket's do).
    var resumeDeferred = false

    init(connection: WebSocketConnection, machine: SessionMachine, adapter: any WireAdapter, label: ProtocolLabel, logger: Logger) {
        self.connection = connection
        self.machine = machine
        self.adapter = adapter
        self.label = label
        self.logger = logger
    }
}

/// What the metrics need to know about the open turn (seconds on the service's clock).
struct TurnTimings {
    var turn: Int
    var firstSpeak: Double?
    var firstAudioSent: Double?
    var audioSeconds = 0.0
    /// When a client playing since the first frame would run out of audio.
    var playbackEnd: Double?
    /// When the engine reported the turn's last audio.
    var generationEnd: Double?
}

/// Posts engine reports to the service's event loop.
private final class EngineRelay: SpeechEngineEvents, Sendable {
    private weak let service: TTSService?

    init(service: TTSService) { self.service = service }

    func report(_ event: SessionMachine.EngineEvent, for key: TurnKey) {
        service?.post { [weak service] in service?.onEngine(event, key: key) }
    }

    func reportAudio(_ payloads: [[UInt8]], seconds: Double, for key: TurnKey) {
        service?.post { [weak service] in service?.onEngineAudio(payloads, seconds: seconds, key: key) }
    }
}

extension TTSService {
    /// Underruns are counted past this lateness, in seconds (scheduling jitter is not one).
    static let underrunTolerance = 0.02

    /// Sets `pocket_tts_sessions{protocol}` to the sessions and speech requests open now
    /// (called whenever either table changes).
    func refreshSessionGauges() {
        var open = Dictionary(uniqueKeysWithValues: ProtocolLabel.allCases.map { ($0, 0) })
        for session in sessions.values { open[session.label, default: 0] += 1 }
        for speech in httpSpeeches.values { open[speech.label, default: 0] += 1 }
        for (label, count) in open { metrics.sessions(label).set(Double(count)) }
    }

    // MARK: Socket events

    func onOpen(_ connection: WebSocketConnection) {
        var logger = self.logger
        logger[metadataKey: "session"] = "\(connection.id)"
        logger[metadataKey: "peer"] = "\(connection.request.peer)"
        guard !shuttingDown, let engine else {
            connection.close(code: SessionMachine.CloseCode.goingAway, reason: "server shutting down")
            return
        }
        let kind = WireProtocolKind(path: connection.request.path, nativePath: options.path) ?? .native
        logger[metadataKey: "protocol"] = "\(kind.rawValue)"
        var settings = config
        settings.defaultVoice = defaultVoice
        var configuration = settings.sessionConfiguration(voices: engine.voices, tokenCounter: engine.tokenCounter)
        if engine is ModelRouter { configuration.turnTokenCounter = { [engine] in engine.tokenCounter(for: $0) } }
        configuration.turnLanguage = languageOfTurn(engine: engine)
        let keyPending = authenticator.check(connection.request) != .allowed
        var adapter = kind.adapterType.init(
            request: connection.request,
            context: WireContext(settings: configuration.protocolSettings, voices: configuration.voices,
                                 maxVoiceMessageBytes: config.kyutaiMaxVoiceMessageBytes,
                                 authenticator: keyPending ? authenticator : nil, models: models))
        /// Refuses the session in the protocol's own words.
        func refuse(_ reason: String) {
            metrics.errors(.atCapacity, ProtocolLabel(kind)).increment()
            for case .send(let frame) in adapter.outgoing(.error(.atCapacity), state: .closed) { connection.send(frame) }
            connection.close(code: 1013, reason: reason)
        }
        guard sessions.count < config.maxSessions else {
            logger.notice("session refused: \(sessions.count) sessions open (max_sessions)")
            refuse("at capacity: \(config.maxSessions) sessions open")
            return
        }
        let peer = connection.request.peer
        let fromPeer = config.maxSessionsPerAddress > 0 ? sessions.values.count { $0.connection.request.peer == peer } : 0
        guard config.maxSessionsPerAddress == 0 || fromPeer < config.maxSessionsPerAddress else {
            logger.notice("session refused: \(fromPeer) sessions open from \(peer) (max_sessions_per_address)")
            refuse("at capacity: \(fromPeer) sessions open from this address")
            return
        }
        if let idleTimeout = adapter.idleTimeout { configuration.idleTimeout = idleTimeout }
        let machine = SessionMachine(configuration: configuration,
                                     random: SystemRandomNumberGenerator(), now: clock())
        let session = Session(connection: connection, machine: machine, adapter: adapter, label: ProtocolLabel(kind), logger: logger)
        sessions[connection.id] = session
        metrics.sessionsOpened(session.label).increment()
        logger.info("session opened", metadata: ["sessions": "\(sessions.count)"])
        if let interval = adapter.pingInterval { schedulePing(every: interval, for: connection) }
        carryOut(session.adapter.open(state: session.machine.state), in: session)
    }

    /// WebSocket pings every `interval` seconds while the session lasts.
    private func schedulePing(every interval: Double, for connection: WebSocketConnection) {
        server.schedule(after: interval) { [weak self] in  // runs on the loop
            guard let self, sessions[connection.id]?.connection === connection else { return }
            connection.ping()
            schedulePing(every: interval, for: connection)
        }
    }

    /// Carries out an adapter's steps in order, each with the machine's state as it is then.
    func carryOut(_ steps: [WireStep], in session: Session) {
        for step in steps {
            switch step {
            case .machine(let message):
                perform(session.machine.onMessage(message, now: clock()), in: session)
            case .send(let frame):
                write(frame, in: session)
            case .close(let code, let reason):
                perform(session.machine.closing(nil, code: code, reason: reason), in: session)
            case .resume:
                if session.machine.hasUnsegmentedText {
                    session.resumeDeferred = true
                } else {
                    carryOut(session.adapter.resume(state: session.machine.state), in: session)
                }
            case .report(let error):
                metrics.errors(error.code, session.label).increment()
                session.logger.notice("client error: \(error)")
            }
        }
    }

    func onMessage(_ connection: WebSocketConnection, _ message: WebSocketMessage) {
        guard let session = sessions[connection.id] else { return }
        carryOut(session.adapter.receive(message, state: session.machine.state), in: session)
    }

    func onWritten(_ connection: WebSocketConnection) {
        guard let session = sessions[connection.id] else { return }
        perform(session.machine.onOutboxLevel(pending: connection.pendingCount, now: clock()), in: session)
    }

    func onClose(_ connection: WebSocketConnection) {
        guard let session = sessions.removeValue(forKey: connection.id) else { return }
        perform(session.machine.onPeerClosed(now: clock()), in: session)
        session.logger.info("session closed", metadata: ["sessions": "\(sessions.count)"])
        signalIfDrained()
    }

    /// A text deadline of the session's turn has come (its `scheduleWake`).
    func onWake(_ id: UInt64) {
        guard let session = sessions[id] else { return }
        perform(session.machine.onWake(now: clock()), in: session)
    }

    // MARK: Engine reports (posted to the loop)

    func onEngine(_ event: SessionMachine.EngineEvent, key: TurnKey) {
        guard let session = sessions[key.session] else { return }
        let now = clock()
        let isOpenTurn = session.timings?.turn == key.turn
        switch event {
        case .audio(let payload):
            onEngineAudio([payload], seconds: 0, key: key)
            return
        case .turnDone:
            if isOpenTurn { session.timings?.generationEnd = now }
        case .failed(let detail):
            if isOpenTurn {
                session.logger.error("turn failed: \(detail)", metadata: ["turn": "\(key.turn)"])
                metrics.turns(.failed, session.label).increment()
                session.timings = nil
            }
        case .overloaded(let detail):
            if isOpenTurn {
                session.logger.warning("turn dropped: \(detail)", metadata: ["turn": "\(key.turn)"])
                metrics.turns(.rejected, session.label).increment()
                session.timings = nil
            }
        }
        perform(session.machine.onEngine(event, turn: key.turn, now: now), in: session)
    }

    func onEngineAudio(_ payloads: [[UInt8]], seconds: Double, key: TurnKey) {
        guard let session = sessions[key.session], session.timings?.turn == key.turn else { return }
        let now = clock()
        if seconds > 0 { account(audioSeconds: seconds, now: now, in: session) }
        for payload in payloads {
            perform(session.machine.onEngine(.audio(payload), turn: key.turn, now: now), in: session)
            if session.machine.state == .closed { return }  // its queue overflowed: a slow client
        }
        perform(session.machine.onAudioSeconds(seconds, turn: key.turn, now: now), in: session)
    }

    /// Counts frames and seconds; an underrun is audio of a flushed turn decoded after a client
    /// playing since the first frame would have run out.
    private func account(audioSeconds seconds: Double, now: Double, in session: Session) {
        guard var timings = session.timings else { return }
        metrics.audioFrames.increment()
        metrics.audioSeconds.increment(by: seconds)
        timings.audioSeconds += seconds
        if let end = timings.playbackEnd {
            if now > end + Self.underrunTolerance, session.machine.state == .draining {
                metrics.underruns.increment()
                session.logger.debug("underrun: audio \(Int((now - end) * 1000)) ms late", metadata: ["turn": "\(timings.turn)"])
            }
            timings.playbackEnd = max(end, now) + seconds
        } else {
            timings.playbackEnd = now + seconds
        }
        session.timings = timings
    }

    // MARK: Actions

    /// Carries out `actions` in order. During shutdown a session back to awaiting a config is closed.
    func perform(_ actions: [SessionMachine.Action], in session: Session) {
        for action in actions { perform(action, in: session) }
        if shuttingDown, session.machine.state == .awaitingConfig {
            perform(session.machine.onShutdown(now: clock()), in: session)
        }
    }

    private func perform(_ action: SessionMachine.Action, in session: Session) {
        let id = session.connection.id
        switch action {
        case .send(let message):
            send(message, in: session)
        case .startTurn(let start):
            startTurn(start, in: session)
        case .speak(let text, let turn):
            if session.timings?.turn == turn, session.timings?.firstSpeak == nil { session.timings?.firstSpeak = clock() }
            let spoken = session.machine.spokenText(text, turn: turn)
            session.logger.debug("chunk to the engine", metadata: [
                "turn": "\(turn)", "words": "\(spoken.split(whereSeparator: \.isWhitespace).count)",
                "characters": "\(spoken.unicodeScalars.count)",
            ])
            engine?.speak(spoken, key: TurnKey(session: id, turn: turn))
        case .scheduleWake(let time):
            server.schedule(after: max(0, time - clock())) { [weak self] in self?.onWake(id) }  // runs on the loop
        case .finishTurn(let turn):
            engine?.finishTurn(TurnKey(session: id, turn: turn))
        case .stopTurn(let turn):
            engine?.cancelTurn(TurnKey(session: id, turn: turn))
            session.logger.notice("turn stopped: its audio reached max_turn_audio_s", metadata: ["turn": "\(turn)"])
        case .cancelTurn(let turn):
            engine?.cancelTurn(TurnKey(session: id, turn: turn))
            if session.timings?.turn == turn {
                metrics.turns(.cancelled, session.label).increment()
                session.logger.info("turn cancelled", metadata: ["turn": "\(turn)"])
                session.timings = nil
            }
        case .close(let code, let reason):
            if session.machine.closedAsSlowClient {
                metrics.slowClientCloses(session.label).increment()
                session.logger.warning("closing a client that does not read its audio: \(reason)")
            }
            session.logger.info("closing: \(reason)", metadata: ["code": "\(code)"])
            session.connection.close(code: code, reason: reason)
        case .mark(let mark, let turn):
            engine?.mark(mark, key: TurnKey(session: id, turn: turn))
        case .warning(let text, let turn):
            session.logger.notice("\(text)", metadata: ["turn": "\(turn)"])
        case .continueText:
            // The client's next messages wait (and its socket is not read) until the text is segmented.
            session.connection.holdInput()
            queueTextSlice(.session(id))
        }
    }

    /// The next slice of a session's long text, one loop pass after the last.
    func onContinueText(_ id: UInt64) {
        guard let session = sessions[id] else { return }
        perform(session.machine.onContinueText(now: clock()), in: session)
        if !session.machine.hasUnsegmentedText {
            session.connection.releaseInput()
            if session.resumeDeferred {
                session.resumeDeferred = false
                carryOut(session.adapter.resume(state: session.machine.state), in: session)
            }
        }
    }

    private func startTurn(_ start: TurnStart, in session: Session) {
        let key = TurnKey(session: session.connection.id, turn: start.turn)
        var metadata: Logger.Metadata = [
            "turn": "\(start.turn)", "request_id": "\(start.requestID)", "voice": "\(start.config.voice)",
            "format": "\(start.config.format.rawValue)", "sample_rate": "\(start.config.sampleRate)",
        ]
        do throws(ProtocolError) {
            guard let engine else { throw .internalError(detail: "no engine") }
            try checkFairShare(peer: session.connection.request.peer, session: session.connection.id)
            try engine.startTurn(start, key: key, events: EngineRelay(service: self))
        } catch {
            metadata["error"] = "\(error)"
            session.logger.notice("turn rejected", metadata: metadata)
            metrics.turns(.rejected, session.label).increment()
            perform(session.machine.onTurnRejected(turn: start.turn, error: error, now: clock()), in: session)
            return
        }
        session.logger.info("turn started", metadata: metadata)
        session.timings = TurnTimings(turn: start.turn)
        perform(session.machine.onTurnStarted(turn: start.turn, now: clock()), in: session)
    }

    private func send(_ message: ServerMessage, in session: Session) {
        let now = clock()
        switch message {
        case .binaryAudio, .jsonAudio:
            metrics.audioMessagesSent.increment()
            if var timings = session.timings, timings.firstAudioSent == nil {
                timings.firstAudioSent = now
                if let first = timings.firstSpeak { metrics.timeToFirstAudio(session.label).recordSeconds(now - first) }
                session.timings = timings
            }
        case .error(let error):
            metrics.errors(error.code, session.label).increment()
            session.logger.notice("client error: \(error)")
        case .final:
            if let timings = session.timings {
                if let first = timings.firstSpeak, let end = timings.generationEnd, timings.audioSeconds > 0 {
                    metrics.realTimeFactor.record((end - first) / timings.audioSeconds)
                }
                session.logger.info("turn completed", metadata: [
                    "turn": "\(timings.turn)", "audio_seconds": "\(timings.audioSeconds)",
                    "ttfa_ms": "\(timings.firstAudioSent.flatMap { a in timings.firstSpeak.map { Int((a - $0) * 1000) } } ?? -1)",
                ])
            }
            metrics.turns(.completed, session.label).increment()
            session.timings = nil
        case .configAccepted, .pong:
            break
        }
        let steps = session.adapter.outgoing(message, state: session.machine.state)
        carryOut(steps, in: session)
        // The machine counted the message as written; an adapter that drops it (a pong for an
        // ElevenLabs keep-alive) would leave that count high, and enough of them hold audio back.
        if !steps.contains(where: { if case .send = $0 { true } else { false } }), session.machine.state != .closed {
            perform(session.machine.onOutboxLevel(pending: session.connection.pendingCount, now: now), in: session)
        }
    }

    /// Writes one frame; a client whose outbox is full is closed.
    private func write(_ frame: WebSocketMessage, in session: Session) {
        if session.connection.send(frame) == .outboxFull {
            perform(session.machine.closingSlowClient(reason: "client too slow: outbox full"), in: session)
        }
    }
}

extension TTSService {
    /// The language of a turn, whose normalization rules it gets: the router's answer with
    /// several models; else the config's `language`, else the served model's.
    func languageOfTurn(engine: any SpeechEngine) -> @Sendable (TurnConfig) -> String? {
        if let router = engine as? ModelRouter { return { router.languageCode(for: $0) } }
        let modelLanguage = models.first?.languages.first
        return { $0.language ?? modelLanguage }
    }
}
