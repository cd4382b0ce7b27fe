// TTSService+HTTPSpeech.swift: the glue of HTTP speech requests on the event-loop thread. A
// request becomes a `SessionMachine` fed the native config, text and flush; the machine's
// actions go to the same engine path as a WebSocket session's, and its audio to the
// request's `HTTPResponseStream`: the head before the first audio, one chunk per payload, the
// end at `final`. An error before any audio is an HTTP error; after it, the stream is cut.
import Logging

/// One HTTP speech request, owned by the event-loop thread.
final class HTTPSpeechSession {
    /// The engine's session key: the stream's id with the top bit set (never a WebSocket id).
    let id: UInt64
    let stream: HTTPResponseStream
    let output: HTTPSpeechOutput
    /// The protocol the metrics count it under (`http_tts` or `openai`, by path).
    let label: ProtocolLabel
    var machine: SessionMachine
    var logger: Logger
    var started: Double
    var firstAudio: Double?
    var audioBytes = 0

    init(stream: HTTPResponseStream, output: HTTPSpeechOutput, machine: SessionMachine, logger: Logger, now: Double) {
        id = stream.id | (1 << 63)
        self.stream = stream
        self.output = output
        label = ProtocolLabel(httpPath: stream.request.path)
        self.machine = machine
        self.logger = logger
        started = now
    }
}

/// Posts engine reports for HTTP sessions to the service's event loop.
private final class HTTPEngineRelay: SpeechEngineEvents, Sendable {
    private weak let service: TTSService?

    init(service: TTSService) { self.service = service }

    func report(_ event: SessionMachine.EngineEvent, for key: TurnKey) {
        service?.post { [weak service] in service?.onHTTPEngine(event, key: key) }
    }

    func reportAudio(_ payloads: [[UInt8]], seconds: Double, for key: TurnKey) {
        service?.post { [weak service] in service?.onHTTPEngineAudio(payloads, seconds: seconds, key: key) }
    }
}

extension TTSService {
    /// Starts speaking `plan` into `stream` (loop thread). Refusals (not ready, capacity, a bad
    /// voice or format) are answered at once in the endpoint's error shape.
    func startSpeech(_ plan: HTTPSpeechPlan, output: HTTPSpeechOutput, stream: HTTPResponseStream) {
        let request = stream.request
        guard !stream.isClosed else { return }  // the client left while its body was parsed
        guard !shuttingDown, let engine else {
            stream.respond(output.error(503, shuttingDown ? "the server is shutting down" : "the model is loading", "unavailable", nil))
            return
        }
        let peer = request.peer
        let open = sessions.count + httpSpeeches.count
        let fromPeer = sessions.values.count { $0.connection.request.peer == peer } + httpSpeeches.values.count { $0.stream.request.peer == peer }
        guard open < config.maxSessions, config.maxSessionsPerAddress == 0 || fromPeer < config.maxSessionsPerAddress else {
            metrics.errors(.atCapacity, ProtocolLabel(httpPath: request.path)).increment()
            stream.respond(output.refusal(.atCapacity))
            return
        }
        var settings = config
        settings.defaultVoice = plan.voiceGiven ? defaultVoice : plan.voice
        var configuration = settings.sessionConfiguration(voices: engine.voices, tokenCounter: engine.tokenCounter)
        if engine is ModelRouter { configuration.turnTokenCounter = { [engine] in engine.tokenCounter(for: $0) } }
        configuration.turnLanguage = languageOfTurn(engine: engine)
        configuration.protocolSettings.extraFormats = [.mp3, .flac]
        let machine = SessionMachine(configuration: configuration, random: SystemRandomNumberGenerator(), now: clock())
        var logger = self.logger
        logger[metadataKey: "http"] = "\(stream.id)"
        logger[metadataKey: "peer"] = "\(peer)"
        let session = HTTPSpeechSession(stream: stream, output: output, machine: machine, logger: logger, now: clock())
        httpSpeeches[session.id] = session
        metrics.sessionsOpened(session.label).increment()
        logger.info("speech request", metadata: ["path": "\(request.path)", "voice": "\(plan.voice)", "model": "\(plan.model ?? plan.language ?? "default")", "format": "\(plan.format.rawValue)",
                                                 "speed": "\(plan.speed)", "characters": "\(plan.text.unicodeScalars.count)"])
        do throws(ProtocolError) {
            let turn = try plan.turnConfig(settings: configuration.protocolSettings)
            performHTTP(session.machine.onMessage(.config(turn), now: clock()), in: session)
        } catch {
            send(.error(error), in: session)
        }
        guard httpSpeeches[session.id] != nil else { return }  // refused
        if !plan.text.isEmpty { performHTTP(session.machine.onMessage(.text(plan.text), now: clock()), in: session) }
        flushWhenSegmented(session)
    }

    /// The next slice of a request's long text (`queueTextSlice`).
    func onHTTPContinueText(_ id: UInt64) {
        guard let session = httpSpeeches[id] else { return }
        performHTTP(session.machine.onContinueText(now: clock()), in: session)
        flushWhenSegmented(session)
    }

    /// The flush, once the text is segmented (a long text goes a slice per loop pass: `continueText`).
    private func flushWhenSegmented(_ session: HTTPSpeechSession) {
        guard httpSpeeches[session.id] != nil, !session.machine.hasUnsegmentedText else { return }
        performHTTP(session.machine.onMessage(.flush, now: clock()), in: session)
    }

    // MARK: Stream events (loop thread)

    func onStreamWritten(_ stream: HTTPResponseStream) {
        guard let session = httpSpeeches[stream.id | (1 << 63)] else { return }
        performHTTP(session.machine.onOutboxLevel(pending: stream.pendingCount, now: clock()), in: session)
    }

    func onStreamClosed(_ stream: HTTPResponseStream) {
        guard let session = httpSpeeches.removeValue(forKey: stream.id | (1 << 63)) else { return }
        session.logger.info("client left before the end of the audio")
        performHTTP(session.machine.onPeerClosed(now: clock()), in: session)
        signalIfDrained()
    }

    func onHTTPEngineAudio(_ payloads: [[UInt8]], seconds: Double, key: TurnKey) {
        for payload in payloads {
            guard let session = httpSpeeches[key.session] else { return }
            performHTTP(session.machine.onEngine(.audio(payload), turn: key.turn, now: clock()), in: session)
        }
        guard let session = httpSpeeches[key.session] else { return }
        performHTTP(session.machine.onAudioSeconds(seconds, turn: key.turn, now: clock()), in: session)
    }

    /// The service's timer: idle and stalled requests (a client that does not read its audio).
    func tickHTTPSpeeches(now: Double) {
        for session in Array(httpSpeeches.values) { performHTTP(session.machine.onTick(now: now), in: session) }
    }

    func onHTTPEngine(_ event: SessionMachine.EngineEvent, key: TurnKey) {
        guard let session = httpSpeeches[key.session] else { return }
        if case .failed(let detail) = event { session.logger.error("turn failed: \(detail)") }
        if case .overloaded(let detail) = event { session.logger.warning("turn dropped: \(detail)") }
        performHTTP(session.machine.onEngine(event, turn: key.turn, now: clock()), in: session)
    }

    // MARK: Actions

    private func performHTTP(_ actions: [SessionMachine.Action], in session: HTTPSpeechSession) {
        for action in actions { performHTTP(action, in: session) }
    }

    private func performHTTP(_ action: SessionMachine.Action, in session: HTTPSpeechSession) {
        let key = { (turn: Int) in TurnKey(session: session.id, turn: turn) }
        switch action {
        case .send(let message):
            send(message, in: session)
        case .startTurn(let start):
            do throws(ProtocolError) {
                guard let engine else { throw .internalError(detail: "no engine") }
                try checkFairShare(peer: session.stream.request.peer, session: session.id)
                try engine.startTurn(start, key: key(start.turn), events: HTTPEngineRelay(service: self))
            } catch {
                metrics.turns(.rejected, session.label).increment()
                performHTTP(session.machine.onTurnRejected(turn: start.turn, error: error, now: clock()), in: session)
                return
            }
            performHTTP(session.machine.onTurnStarted(turn: start.turn, now: clock()), in: session)
        case .speak(let text, let turn):
            engine?.speak(session.machine.spokenText(text, turn: turn), key: key(turn))
        case .scheduleWake(let time):
            let id = session.id
            server.schedule(after: max(0, time - clock())) { [weak self] in
                guard let self, let session = httpSpeeches[id] else { return }
                performHTTP(session.machine.onWake(now: clock()), in: session)
            }
        case .finishTurn(let turn):
            engine?.finishTurn(key(turn))
        case .cancelTurn(let turn), .stopTurn(let turn):
            engine?.cancelTurn(key(turn))
        case .close(_, let reason):
            if session.machine.closedAsSlowClient {
                metrics.slowClientCloses(session.label).increment()
                session.logger.warning("closing a client that does not read its audio: \(reason)")
            }
            end(session, cut: reason)
        case .continueText:
            queueTextSlice(.http(session.id))
        case .mark(let mark, let turn):
            engine?.mark(mark, key: key(turn))
        case .warning(let text, let turn):
            session.logger.notice("\(text)", metadata: ["turn": "\(turn)"])
        }
    }

    private func send(_ message: ServerMessage, in session: HTTPSpeechSession) {
        let stream = session.stream
        switch message {
        case .binaryAudio(let payload), .jsonAudio(let payload, _, _):
            if !stream.isStarted {
                stream.start(status: 200, contentType: session.output.contentType, headers: session.output.headers)
                session.firstAudio = clock()
                metrics.timeToFirstAudio(session.label).recordSeconds(clock() - session.started)
            }
            metrics.audioMessagesSent.increment()
            session.audioBytes += payload.count
            stream.write(session.output.body(payload))
        case .final:
            if !stream.isStarted {  // no audio at all (e.g. only punctuation): an empty body
                stream.start(status: 200, contentType: session.output.contentType, headers: session.output.headers)
            }
            stream.write(session.output.trailer)
            stream.finish()
            metrics.turns(.completed, session.label).increment()
            session.logger.info("speech completed", metadata: [
                "bytes": "\(session.audioBytes)",
                "ttfa_ms": "\(session.firstAudio.map { Int(($0 - session.started) * 1000) } ?? -1)",
            ])
            httpSpeeches[session.id] = nil
            signalIfDrained()
        case .error(let error):
            metrics.errors(error.code, session.label).increment()
            session.logger.notice("request refused: \(error)")
            if stream.isStarted {
                end(session, cut: error.message, afterPending: true)  // e.g. max_turn_audio_s: the audio made, then the cut
            } else {
                stream.respond(session.output.refusal(error))
                _ = session.machine.onPeerClosed(now: clock())
                httpSpeeches[session.id] = nil
                signalIfDrained()
            }
        case .configAccepted, .pong:
            break
        }
    }

    /// Cuts every HTTP speech in progress (shutdown after the grace period).
    func cutHTTPSpeeches(reason: String) {
        for session in Array(httpSpeeches.values) {
            performHTTP(session.machine.onShutdown(now: clock()), in: session)
            end(session, cut: reason)
        }
    }

    /// Ends a session that cannot go on: an error response before any audio, else a cut stream
    /// (the client sees the chunked body end without its last chunk).
    private func end(_ session: HTTPSpeechSession, cut reason: String, afterPending: Bool = false) {
        guard httpSpeeches.removeValue(forKey: session.id) != nil else { return }
        defer { signalIfDrained() }
        session.logger.notice("speech stopped: \(reason)")
        if !session.stream.isStarted {
            session.stream.respond(session.output.error(500, reason, "internal_error", nil))
        } else {
            session.stream.abort(afterPending: afterPending)
        }
    }
}
