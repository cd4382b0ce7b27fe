// SessionMachine+Delivery.swift: the two bounds on a turn's audio.
//
// - A client that does not read: audio waits in the machine's queue while the socket's outbox
//   is full. It is closed as too slow when more than `maxQueuedAudio` messages wait
//   (SessionMachine+Events.swift), or when audio has waited `stallSeconds` without the client
//   taking any: as long as `maxQueuedAudio` messages play (20 s by default). The second rule
//   is the first one in time: a client that reads nothing at all is closed after the same
//   bound whether its audio piles up here or in the kernel's socket buffers (which can hold
//   minutes of compressed audio), and whatever the protocol (WebSocket or an HTTP response).
// - A turn's total audio: once the engine has made `maxTurnAudioSeconds` for a turn, its
//   generation stops (`stopTurn`), the audio made so far still goes out, and then the turn
//   ends with an `invalid_text` error instead of `final`.

extension SessionMachine {
    /// Seconds of audio per message (one 80 ms frame).
    static let frameSeconds = 0.08

    /// Seconds audio may wait for a client that takes none before it is closed as too slow.
    public var stallSeconds: Double { Double(configuration.maxQueuedAudio) * Self.frameSeconds }

    /// Why the client must be closed as too slow at `now`, or nil.
    func stallReason(now: Double) -> String? {
        guard queuedAudio > 0, now - lastDelivery >= stallSeconds else { return nil }
        return "client too slow: no audio read for \(Int(now - lastDelivery)) s"
    }

    /// Closes a client that does not read its audio (`closedAsSlowClient`).
    mutating func closingSlowClient(reason: String) -> [Action] {
        closedAsSlowClient = true
        return closing(nil, code: CloseCode.policyViolation, reason: reason)
    }

    /// The error a turn ends with when its audio reaches `maxTurnAudioSeconds`.
    public static func turnAudioLimit(_ seconds: Double) -> ProtocolError {
        let shown = seconds == seconds.rounded() && seconds < 1e9 ? String(Int(seconds)) : String(seconds)
        return .invalidText(reason: "the turn's audio reached max_turn_audio_s (\(shown) s): the rest of its text is not spoken")
    }

    /// The engine made `seconds` more audio for turn `number` (reported with its payloads, after
    /// them). At `maxTurnAudioSeconds` the engine stops and the turn drains: its queued audio,
    /// then the error.
    public mutating func onAudioSeconds(_ seconds: Double, turn number: Int, now: Double) -> [Action] {
        guard var current = turn, current.start.turn == number, state == .streaming || state == .draining,
              current.endError == nil else { return [] }
        current.audioSeconds += max(0, seconds)
        let limit = configuration.maxTurnAudioSeconds
        guard current.audioSeconds >= limit else {
            turn = current
            return []
        }
        current.endError = Self.turnAudioLimit(limit)
        current.engineDone = true
        current.unsegmented = Substring().unicodeScalars
        turn = current
        state = .draining
        return [.stopTurn(turn: number)] + pump()
    }
}
