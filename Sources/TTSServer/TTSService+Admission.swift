// TTSService+Admission.swift: who may open a session, and how many turns an address may run.
//
// Sessions: every open session counts against `max_sessions` and `max_sessions_per_address`,
// whatever carries it (WebSocket, raw TCP, HTTP speech): one check, `admissionRefusal`.
//
// Streams: no address holds more than its share of the engine's streams.
// Engine streams (turns generated at once) are the scarce part; sessions are cheap and bounded
// per address on their own (`max_sessions_per_address`). Without a share, one address with a
// few long turns could take every stream and leave every other client `at_capacity`. So a turn
// starts only while its address has fewer than its share open: by default half of the engine's
// current capacity (measured headroom: the share follows the estimate), at least 1. Loop thread.

extension TTSService {
    /// Why a new session from `peer` is refused now, or nil: every open session counts, whatever
    /// its transport, against `max_sessions` and `max_sessions_per_address`.
    func admissionRefusal(peer: String) -> String? {
        guard sessions.count < config.maxSessions else {
            logger.notice("session refused: \(sessions.count) sessions open (max_sessions)")
            return "at capacity: \(config.maxSessions) sessions open"
        }
        guard config.maxSessionsPerAddress > 0 else { return nil }
        let fromPeer = sessions.values.count { $0.transport.peer == peer }
        guard fromPeer < config.maxSessionsPerAddress else {
            logger.notice("session refused: \(fromPeer) sessions open from \(peer) (max_sessions_per_address)")
            return "at capacity: \(fromPeer) sessions open from this address"
        }
        return nil
    }

    /// Turns one address may have open at once now; nil: no bound. `max_streams_per_address`:
    /// a number is that bound (0: none); `auto` is half the capacity (`engine.capacity`, else a
    /// number of `max_streams`), at least 1, and none when `max_sessions_per_address` is 0
    /// (addresses do not tell clients apart, e.g. behind a proxy).
    func streamShare(capacity: SpeechCapacity?) -> Int? {
        if let number = config.maxStreamsPerAddress { return number == 0 ? nil : number }
        guard config.maxSessionsPerAddress != 0, let streams = capacity?.streams ?? config.maxStreams else { return nil }
        return max(1, streams / 2)
    }

    /// Turns open from `peer`, over every session (WebSocket, raw TCP, HTTP speech), leaving out
    /// the session `excluded` (the one asking).
    func openTurns(from peer: String, excluding excluded: UInt64) -> Int {
        sessions.values.count { $0.id != excluded && $0.transport.peer == peer && $0.machine.currentTurn != nil }
    }

    /// Throws `at_capacity` when `peer` already has its share of streams open.
    func checkFairShare(peer: String, session id: UInt64) throws(ProtocolError) {
        let capacity = engine?.capacity
        guard let share = streamShare(capacity: capacity) else { return }
        let open = openTurns(from: peer, excluding: id)
        guard open >= share else { return }
        logger.notice("turn refused: \(open) turns open from \(peer) (max_streams_per_address: \(share))")
        throw .atCapacity(retryAfterSeconds: capacity?.retryAfterSeconds ?? ProtocolError.defaultRetryAfterSeconds)
    }
}
