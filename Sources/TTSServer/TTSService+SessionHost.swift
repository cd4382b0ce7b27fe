// TTSService+SessionHost.swift: the one host of every session, whatever its protocol and
// transport (WebSocket, raw TCP, streamed HTTP response). On the event-loop thread it admits a
// session (one check for all: TTSService+Admission.swift), carries out its
// adapter's steps and its machine's actions — the engine, timers, metrics, the transport — and
// keeps the timings the metrics need. Events reach it from TTSService+SessionEvents.swift.
import Logging

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
    /// The session settings for a new session on `engine`.
    func sessionConfiguration(engine: any SpeechEngine, defaultVoice: String) -> SessionMachine.Configuration {
        var settings = config
        settings.defaultVoice = defaultVoice
        var configuration = settings.sessionConfiguration(voices: engine.voices, tokenCounter: engine.tokenCounter)
        if engine is ModelRouter { configuration.turnTokenCounter = { [engine] in engine.tokenCounter(for: $0) } }
        configuration.turnLanguage = languageOfTurn(engine: engine)
        return configuration
    }

    /// Opens a session on `transport` if admitted; else refuses it in the protocol's own words
    /// (`at_capacity`) and closes it. Returns the session opened.
    @discardableResult
    func openSession(on transport: any SessionTransport, adapter: any SessionAdapter, label: ProtocolLabel,
                     configuration: SessionMachine.Configuration, logger: Logger) -> Session? {
        if let reason = admissionRefusal(peer: transport.peer) {
            metrics.errors(.atCapacity, label).increment()
            var adapter = adapter
            for step in adapter.outgoing(.error(.atCapacity), state: .closed) {
                switch step {
                case .send(let frame): transport.send(frame)
                case .fail(let error): transport.fail(error)
                default: break
                }
            }
            transport.close(code: 1013, reason: reason)
            return nil
        }
        var configuration = configuration
        if let idleTimeout = adapter.idleTimeout { configuration.idleTimeout = idleTimeout }
        let machine = SessionMachine(configuration: configuration, random: SystemRandomNumberGenerator(), now: clock())
        let session = Session(transport: transport, machine: machine, adapter: adapter, label: label, logger: logger)
        sessions[session.id] = session
        metrics.sessionsOpened(label).increment()
        logger.info("session opened", metadata: ["sessions": "\(sessions.count)"])
        carryOut(session.adapter.open(state: session.machine.state), in: session)
        return session
    }

    /// Forgets a session whose transport is gone; its turn stops.
    func sessionClosed(_ id: UInt64) {
        guard let session = sessions.removeValue(forKey: id) else { return }
        if session.machine.state != .closed { session.logger.info("client left") }
        perform(session.machine.onPeerClosed(now: clock()), in: session)
        session.logger.info("session closed", metadata: ["sessions": "\(sessions.count)"])
        signalIfDrained()
    }

    // MARK: Adapter steps

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
            case .finish:
                perform(session.machine.onPeerClosed(now: clock()), in: session)
                session.transport.finish()
            case .fail(let error):
                perform(session.machine.onPeerClosed(now: clock()), in: session)
                session.logger.notice("session ended: \(error)")
                session.transport.fail(error)
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

    // MARK: Machine actions

    /// Carries out `actions` in order. During shutdown a session back to awaiting a config is closed.
    func perform(_ actions: [SessionMachine.Action], in session: Session) {
        for action in actions { perform(action, in: session) }
        if shuttingDown, session.machine.state == .awaitingConfig {
            perform(session.machine.onShutdown(now: clock()), in: session)
        }
    }

    private func perform(_ action: SessionMachine.Action, in session: Session) {
        let id = session.id
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
            session.adapter.chunkSpoken(text)
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
            session.transport.close(code: code, reason: reason)
        case .mark(let mark, let turn):
            engine?.mark(mark, key: TurnKey(session: id, turn: turn))
        case .warning(let text, let turn):
            session.logger.notice("\(text)", metadata: ["turn": "\(turn)"])
        case .continueText:
            // The client's next messages wait (and its input is not read) until the text is segmented.
            session.transport.holdInput()
            queueTextSlice(id)
        }
    }

    private func startTurn(_ start: TurnStart, in session: Session) {
        let key = TurnKey(session: session.id, turn: start.turn)
        var metadata: Logger.Metadata = [
            "turn": "\(start.turn)", "request_id": "\(start.requestID)", "voice": "\(start.config.voice)",
            "format": "\(start.config.format.rawValue)", "sample_rate": "\(start.config.sampleRate)",
        ]
        do throws(ProtocolError) {
            guard let engine else { throw .internalError(detail: "no engine") }
            try checkFairShare(peer: session.transport.peer, session: session.id)
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

    /// Counts a message for the metrics, then hands it to the adapter to write.
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
            perform(session.machine.onOutboxLevel(pending: session.transport.outboxLevel, now: now), in: session)
        }
    }

    /// Writes one frame; a client whose outbox is full is closed.
    private func write(_ frame: WebSocketMessage, in session: Session) {
        if session.transport.send(frame) == .outboxFull {
            perform(session.machine.closingSlowClient(reason: "client too slow: outbox full"), in: session)
        }
    }

    /// The language of a turn, whose normalization rules it gets: the router's answer with
    /// several models; else the config's `language`, else the served model's.
    func languageOfTurn(engine: any SpeechEngine) -> @Sendable (TurnConfig) -> String? {
        if let router = engine as? ModelRouter { return { router.languageCode(for: $0) } }
        let modelLanguage = models.first?.languages.first
        return { $0.language ?? modelLanguage }
    }
}
