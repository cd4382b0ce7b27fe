// SessionMachine+Idle.swift: what keeps a session open.
//
// Sessions are cheap but not free (a socket, buffers, a place under `max_sessions`), so an
// idle one is closed:
// - after `idleTimeout` seconds without a counted client message or engine event. Counted:
//   config, text, flush and cancel that the machine accepts, and pings. Not counted: frames
//   that are malformed or refused (they get their error, and keep nothing alive);
// - after `pingKeepalive` seconds without work (an accepted config, text, flush or cancel, or
//   an engine event) while no turn is open, however often it pings. During a turn pings keep
//   the session as long as they come.

extension SessionMachine {
    /// Records a client message that `actions` answered.
    mutating func noteActivity(_ message: ClientMessage, stateBefore: State, actions: [Action], now: Double) {
        if case .ping = message {
            lastActivity = now
            return
        }
        let refused = actions.contains { action in
            if case .send(.error) = action { return true }
            return false
        }
        // Text, flush and cancel after a cancel, before the next config, are dropped quietly.
        let dropped: Bool
        if case .config = message { dropped = false } else { dropped = stateBefore == .awaitingConfig }
        guard !refused, !dropped else { return }
        lastActivity = now
        lastWork = now
    }

    /// Records an engine event for the open turn: work in progress.
    mutating func noteEngineActivity(now: Double) {
        lastActivity = now
        lastWork = now
    }

    /// Why the session must close at `now` for idleness, or nil.
    func idleReason(now: Double) -> String? {
        if now - lastActivity >= configuration.idleTimeout {
            return "idle timeout after \(Int(min(configuration.idleTimeout, 1e9))) s"
        }
        if turn == nil, now - lastWork >= configuration.pingKeepalive {
            return "idle: no config, text or flush for \(Int(min(configuration.pingKeepalive, 1e9))) s (pings alone do not keep a session)"
        }
        return nil
    }
}
