// EngineSpeechAdapter+Marks.swift: an SSML turn's marks (a break's silence, a rate change) in
// the turn's audio. The speech worker queues a turn's chunks and marks in order; each mark is
// recorded with the number of the turn's engine chunks queued before it (the engine counts
// chunks over every `enqueue`), and the consumer thread carries it out when the first frame of
// a later chunk arrives, or at the end of the turn: the silence goes between the last frame of
// the chunk before and the first of the chunk after, whenever the text after it arrived.
// Chosen over ending the engine's chunk early or a second audio path: the engine stays a text
// engine, and the silence goes through the turn's one encoder (any format, any sample rate).
import Synchronization

/// The marks of one turn: written by the speech worker, read by the consumer thread.
final class SinkMarks: Sendable {
    private struct State {
        /// Engine chunks queued so far.
        var queued = 0
        /// Marks not yet carried out, each after this many chunks.
        var pending: [(afterChunks: Int, mark: SpeechMark)] = []
    }

    private let state = Mutex(State())

    /// The speech worker queued `chunks` more engine chunks.
    func noteQueued(chunks: Int) {
        state.withLock { $0.queued += chunks }
    }

    /// The speech worker: `mark` goes after the chunks queued so far.
    func add(_ mark: SpeechMark) {
        state.withLock { $0.pending.append((afterChunks: $0.queued, mark: mark)) }
    }

    /// The consumer thread: the marks due before chunk `chunk` (numbered from 0), or all of them (nil).
    func due(before chunk: Int?) -> [SpeechMark] {
        state.withLock { state in
            let count = state.pending.prefix { chunk == nil || $0.afterChunks <= chunk! }.count
            guard count > 0 else { return [] }
            let due = state.pending.prefix(count).map(\.mark)
            state.pending.removeFirst(count)
            return due
        }
    }
}

extension TurnSink {
    /// The speech worker queued `chunks` engine chunks of the turn.
    func noteQueued(chunks: Int) { marks.noteQueued(chunks: chunks) }

    /// The speech worker: `mark` goes after the chunks queued so far.
    func add(_ mark: SpeechMark) { marks.add(mark) }

    /// Engine samples per second of audio sent: the rate times the turn's speed now.
    func samplesPerSecond() -> Double {
        guard let ssml = encoder as? SSMLAudioEncoder else { return baseSamplesPerSecond }
        return baseSamplesPerSecond / ssml.baseSpeed * ssml.speed
    }

    /// Carries out the marks due before `chunk` (all of them at the end: nil): their payloads
    /// and the seconds of silence they add.
    func applyMarks(before chunk: Int?) throws(AudioEncoderError) -> (payloads: [[UInt8]], seconds: Double) {
        guard let ssml = encoder as? SSMLAudioEncoder else { return ([], 0) }
        var payloads: [[UInt8]] = []
        var seconds = 0.0
        for mark in marks.due(before: chunk) {
            payloads += try ssml.apply(mark)
            if case .silence(let length) = mark { seconds += length }
        }
        return (payloads, seconds)
    }
}
