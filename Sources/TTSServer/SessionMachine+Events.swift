// SessionMachine+Events.swift: the events that do not come from the client's frames —
// engine reports, the socket outbox level, timer ticks, the peer going away.

extension SessionMachine {
    /// The engine took the turn: tell the client.
    public mutating func onTurnStarted(turn number: Int, now: Double) -> [Action] {
        guard let current = turn, current.start.turn == number, state != .closed else { return [] }
        noteEngineActivity(now: now)
        lastDelivery = now
        return [send(.configAccepted(requestID: current.start.requestID))]
    }

    /// The engine refused the turn (`.atCapacity`, ...): the client may send another config.
    public mutating func onTurnRejected(turn number: Int, error: ProtocolError, now: Double) -> [Action] {
        guard let current = turn, current.start.turn == number, state != .closed else { return [] }
        noteEngineActivity(now: now)
        endTurn()
        return [send(.error(error))]
    }

    /// An engine report for turn `number`; reports for turns no longer open are dropped.
    public mutating func onEngine(_ event: EngineEvent, turn number: Int, now: Double) -> [Action] {
        guard let current = turn, current.start.turn == number, state == .streaming || state == .draining else {
            return []
        }
        noteEngineActivity(now: now)
        switch event {
        case .audio(let payload):
            guard current.endError == nil else { return [] }  // in flight when the turn reached its audio bound
            if queuedAudio == 0, socketPending >= configuration.sendWindow { lastDelivery = now }  // audio starts waiting
            queue.append(.audio(payload, config: current.start.config))
            if queuedAudio > configuration.maxQueuedAudio {
                return closingSlowClient(reason: "client too slow: \(queuedAudio) audio messages queued")
            }
            return pump()
        case .turnDone:
            guard state == .draining else { return [] }  // the engine ends a turn only after finishTurn
            turn?.engineDone = true
            return pump()
        case .failed(let detail):
            endTurn()
            return [send(.error(.internalError(detail: detail)))]
        case .overloaded:
            endTurn()
            return [send(.error(.atCapacity))]
        }
    }

    /// The socket outbox now holds `pending` messages (reported whenever the glue learns it,
    /// e.g. after writes and on each wake): queued audio goes out as room frees up.
    public mutating func onOutboxLevel(pending: Int, now: Double) -> [Action] {
        guard state != .closed else { return [] }
        if pending < socketPending { lastDelivery = now }  // the client took some
        socketPending = max(0, pending)
        return pump()
    }

    /// A wake-up asked for by `scheduleWake`: speaks the text whose deadline has come.
    public mutating func onWake(now: Double) -> [Action] {
        scheduledWake = nil  // a wake-up that came early asks for another one below
        guard state == .streaming, var current = turn else { return [] }
        let chunks = current.segmenter.release(now: now)
        turn = current
        return speaking(chunks, now: now)
    }

    /// The timer: closes an idle session (see SessionMachine+Idle.swift).
    public mutating func onTick(now: Double) -> [Action] {
        guard state != .closed else { return [] }
        if let reason = stallReason(now: now) { return closingSlowClient(reason: reason) }
        guard let reason = idleReason(now: now) else { return [] }
        return closing(nil, code: CloseCode.normal, reason: reason)
    }

    /// The server is stopping.
    public mutating func onShutdown(now: Double) -> [Action] {
        guard state != .closed else { return [] }
        return closing(nil, code: CloseCode.goingAway, reason: "server shutting down")
    }

    /// The connection is gone: stop the engine's work for it.
    public mutating func onPeerClosed(now: Double) -> [Action] {
        guard state != .closed else { return [] }
        let actions: [Action] = turn.map { [.cancelTurn(turn: $0.start.turn)] } ?? []
        endTurn()
        state = .closed
        return actions
    }

    /// Hands queued audio to the socket while the window allows; then `final` once the engine
    /// is done and nothing is left.
    mutating func pump() -> [Action] {
        var actions: [Action] = []
        while queueHead < queue.count, socketPending < configuration.sendWindow {
            actions.append(send(queue[queueHead]))
            queueHead += 1
        }
        if queueHead == queue.count {
            queue.removeAll(keepingCapacity: true)
            queueHead = 0
        } else if queueHead >= 64 {
            queue.removeFirst(queueHead)
            queueHead = 0
        }
        if let current = turn, current.engineDone, queuedAudio == 0 {
            actions.append(send(current.endError.map { .error($0) } ?? .final(requestID: current.start.requestID)))
            endTurn()
        }
        return actions
    }
}
