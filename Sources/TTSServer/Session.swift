// Session.swift: one session as the host keeps it (TTSService+SessionHost.swift): its transport,
// machine and adapter, and the timings its metrics need. Loop thread only.
import Logging

/// One session, owned by the event-loop thread.
final class Session {
    let transport: any SessionTransport
    var machine: SessionMachine
    /// The session's protocol (WireAdapter.swift, HTTPSpeechAdapter.swift).
    var adapter: any SessionAdapter
    /// The protocol the metrics count it under.
    let label: ProtocolLabel
    var logger: Logger
    /// The open turn's timings.
    var timings: TurnTimings?
    /// The adapter asked to `resume` while the machine still had text to segment: it is called
    /// once that text is segmented (the adapter's held messages wait as the socket's do).
    var resumeDeferred = false

    init(transport: any SessionTransport, machine: SessionMachine, adapter: any SessionAdapter, label: ProtocolLabel, logger: Logger) {
        self.transport = transport
        self.machine = machine
        self.adapter = adapter
        self.label = label
        self.logger = logger
    }

    var id: UInt64 { transport.id }
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
