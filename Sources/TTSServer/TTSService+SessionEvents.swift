// TTSService+SessionEvents.swift: the events of every session, as the event-loop thread gets
// them — a transport opening, a client message, the outbox draining, the transport gone, a
// text deadline, a slice of long text, an engine report — each handed to the session's adapter
// or machine; the host (TTSService+SessionHost.swift) carries out what they return.
import Logging

extension TTSService {
    /// Underruns are counted past this lateness, in seconds (scheduling jitter is not one).
    static let underrunTolerance = 0.02

    /// Sets `pocket_tts_sessions{protocol}` to the sessions open now (called whenever the table changes).
    func refreshSessionGauges() {
        var open = Dictionary(uniqueKeysWithValues: ProtocolLabel.allCases.map { ($0, 0) })
        for session in sessions.values { open[session.label, default: 0] += 1 }
        for (label, count) in open { metrics.sessions(label).set(Double(count)) }
    }

    // MARK: WebSocket and raw TCP connections

    func onOpen(_ connection: WebSocketConnection) {
        var logger = self.logger
        logger[metadataKey: "session"] = "\(connection.id)"
        logger[metadataKey: "peer"] = "\(connection.request.peer)"
        guard !shuttingDown, let engine else {
            connection.close(code: SessionMachine.CloseCode.goingAway, reason: "server shutting down")
            return
        }
        let wire = WireProtocols.serving(connection.request.path, nativePath: options.path) ?? WireProtocols.all[0]
        logger[metadataKey: "protocol"] = "\(wire.label)"
        let configuration = sessionConfiguration(engine: engine, defaultVoice: defaultVoice)
        let keyPending = wire.authentication != .trustedNetwork && authenticator.check(connection.request) != .allowed
        let adapter = wire.adapter.init(
            request: connection.request,
            context: WireContext(settings: configuration.protocolSettings, voices: configuration.voices,
                                 maxVoiceMessageBytes: config.kyutaiMaxVoiceMessageBytes,
                                 authenticator: keyPending ? authenticator : nil, models: models))
        guard openSession(on: connection, adapter: adapter, label: wire.label,
                          configuration: configuration, logger: logger) != nil else { return }
        if let interval = adapter.pingInterval { schedulePing(every: interval, for: connection) }
        if keyPending, case .upgradeOrFirstMessage(let deadline) = wire.authentication {
            server.schedule(after: deadline) { [weak self] in  // runs on the loop
                guard let self, let session = sessions[connection.id], session.transport === connection,
                      session.adapter.awaitsKey else { return }
                perform(session.machine.closing(nil, code: SessionMachine.CloseCode.policyViolation,
                                                reason: "no API key within \(Int(deadline)) s"), in: session)
            }
        }
    }

    /// WebSocket pings every `interval` seconds while the session lasts.
    private func schedulePing(every interval: Double, for connection: WebSocketConnection) {
        server.schedule(after: interval) { [weak self] in  // runs on the loop
            guard let self, sessions[connection.id]?.transport === connection else { return }
            connection.ping()
            schedulePing(every: interval, for: connection)
        }
    }

    func onMessage(_ connection: WebSocketConnection, _ message: WebSocketMessage) {
        guard let session = sessions[connection.id] else { return }
        carryOut(session.adapter.receive(message, state: session.machine.state), in: session)
    }

    func onWritten(_ connection: WebSocketConnection) { onOutboxDrained(connection.id) }

    func onClose(_ connection: WebSocketConnection) { sessionClosed(connection.id) }

    // MARK: Streamed HTTP responses

    func onStreamWritten(_ stream: HTTPResponseStream) { onOutboxDrained(HTTPSpeechTransport.id(of: stream)) }

    func onStreamClosed(_ stream: HTTPResponseStream) { sessionClosed(HTTPSpeechTransport.id(of: stream)) }

    // MARK: Any session

    /// The transport wrote some of its outbox: queued audio may go out.
    private func onOutboxDrained(_ id: UInt64) {
        guard let session = sessions[id] else { return }
        perform(session.machine.onOutboxLevel(pending: session.transport.outboxLevel, now: clock()), in: session)
    }

    /// A text deadline of the session's turn has come (its `scheduleWake`).
    func onWake(_ id: UInt64) {
        guard let session = sessions[id] else { return }
        perform(session.machine.onWake(now: clock()), in: session)
    }

    /// The next slice of a session's long text, one loop pass after the last (TTSService+LoopLag.swift).
    func onContinueText(_ id: UInt64) {
        guard let session = sessions[id] else { return }
        perform(session.machine.onContinueText(now: clock()), in: session)
        if !session.machine.hasUnsegmentedText {
            session.transport.releaseInput()
            if session.resumeDeferred {
                session.resumeDeferred = false
                carryOut(session.adapter.resume(state: session.machine.state), in: session)
            }
        }
    }

    /// The service's timer: idle and stalled sessions (a client that does not read its audio).
    func tickSessions(now: Double) {
        for session in Array(sessions.values) { perform(session.machine.onTick(now: now), in: session) }
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
}
