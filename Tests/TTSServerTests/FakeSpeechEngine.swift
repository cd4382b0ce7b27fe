import Dispatch
import Foundation
import PocketTTS
import Synchronization
@testable import TTSServer

/// A `SpeechEngine` without a model: each sentence becomes `framesPerSentence` frames of a
/// 440 Hz tone (1920 samples, 80 ms), encoded with the turn's real `AudioEncoder` on a worker
/// queue (the fake's consumer thread) and reported like the real adapter reports.
final class FakeSpeechEngine: SpeechEngine, @unchecked Sendable {
    let voices: Set<String>
    /// Turns open at once before `startTurn` answers `.atCapacity`.
    let maxTurns: Int
    /// The capacity reported (`SpeechCapacity.streams`, with the open turns as active); nil: none.
    let capacityStreams: Int?
    let framesPerSentence: Int
    /// Compute time per frame, simulated on the worker queue.
    let frameDelay: Double

    private struct Turn {
        var events: any SpeechEngineEvents
        var encoder: any AudioEncoder
    }

    private let queue = DispatchQueue(label: "fake-engine")
    private let lock = NSLock()
    private var turns: [TurnKey: Turn] = [:]  // under lock
    /// Every call, in order, for assertions: "start 1.1", "speak 1.1 Hello.", "finish 1.1", "cancel 1.1".
    let calls = Mutex<[String]>([])

    init(voices: Set<String> = ["alba", "marius"], maxTurns: Int = 8, capacityStreams: Int? = nil, framesPerSentence: Int = 3,
         frameDelay: Double = 0) {
        self.voices = voices
        self.maxTurns = maxTurns
        self.capacityStreams = capacityStreams
        self.framesPerSentence = framesPerSentence
        self.frameDelay = frameDelay
    }

    var openTurns: Int { lock.withLock { turns.count } }

    var tokenCounter: any TokenCounting { UTF8TokenBound() }

    /// The retry hint of its `at_capacity` (not the default, so tests see it carried through).
    static let retryAfterSeconds = 2

    var capacity: SpeechCapacity? {
        capacityStreams.map { SpeechCapacity(streams: $0, active: openTurns, retryAfterSeconds: Self.retryAfterSeconds) }
    }

    func startTurn(_ start: TurnStart, key: TurnKey, events: any SpeechEngineEvents) throws(ProtocolError) {
        let encoder: any AudioEncoder
        do {
            encoder = try makeAudioEncoder(format: start.config.format, sampleRate: start.config.sampleRate)
        } catch {
            throw .internalError(detail: "\(error)")
        }
        lock.lock()
        defer { lock.unlock() }
        guard turns.count < min(maxTurns, capacityStreams ?? .max) else {
            throw .atCapacity(retryAfterSeconds: capacityStreams == nil ? ProtocolError.defaultRetryAfterSeconds : Self.retryAfterSeconds)
        }
        turns[key] = Turn(events: events, encoder: encoder)
        calls.withLock { $0.append("start \(key)") }
    }

    func speak(_ text: String, key: TurnKey) {
        calls.withLock { $0.append("speak \(key) \(text)") }
        for _ in 0..<framesPerSentence {
            queue.async { [self] in
                if frameDelay > 0 { Thread.sleep(forTimeInterval: frameDelay) }
                guard let turn = liveTurn(key) else { return }
                let frame = (0..<1920).map { Float(0.3 * sin(2 * Double.pi * 440 * Double($0) / 24000)) }
                guard let payloads = try? turn.encoder.encode(frame) else {
                    return turn.events.report(.failed("encoder failed"), for: key)
                }
                turn.events.reportAudio(payloads, seconds: 0.08, for: key)
            }
        }
    }

    func finishTurn(_ key: TurnKey) {
        calls.withLock { $0.append("finish \(key)") }
        queue.async { [self] in
            guard let turn = lock.withLock({ turns.removeValue(forKey: key) }) else { return }  // cancelled
            if let tail = try? turn.encoder.finish() {
                turn.events.reportAudio(tail, seconds: 0, for: key)
            }
            turn.events.report(.turnDone, for: key)
        }
    }

    func cancelTurn(_ key: TurnKey) {
        calls.withLock { $0.append("cancel \(key)") }
        lock.withLock { _ = turns.removeValue(forKey: key) }
    }

    private func liveTurn(_ key: TurnKey) -> Turn? {
        lock.withLock { turns[key] }
    }
}
