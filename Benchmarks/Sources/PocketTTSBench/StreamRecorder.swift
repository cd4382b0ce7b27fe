import Foundation
import PocketTTS
import TTSEngine

/// A sink that timestamps every frame of every stream, on the engine's consumer threads, and
/// lets the benchmark wait for streams to end. Returns at once from each call (a lock and an
/// append), as a sink must.
final class StreamRecorder: StreamSink, @unchecked Sendable {
    // @unchecked: `records` is guarded by `condition`.

    /// One stream's timeline, in `now()` seconds.
    struct Record: Sendable {
        var start: Double = 0  // just before `enqueue`
        var frameTimes: [Double] = []  // when each frame reached the sink
        var samples = 0
        var finished = false
        var failure: String?

        var firstFrame: Double? { frameTimes.first.map { $0 - start } }  // seconds after start
        var lastFrame: Double? { frameTimes.last.map { $0 - start } }
        /// Longest wait between consecutive frames (0 for fewer than two frames).
        var largestGap: Double {
            zip(frameTimes.dropFirst(), frameTimes).map { $0 - $1 }.max() ?? 0
        }
    }

    private let condition = NSCondition()
    private var records: [StreamID: Record] = [:]

    /// Stamps the stream's start; call right before enqueueing its text.
    func markStart(_ id: StreamID) {
        let t = now()
        condition.lock()
        records[id, default: Record()].start = t
        condition.unlock()
    }

    func stream(_ id: StreamID, didProduce frame: GeneratedFrame) {
        let t = now()
        condition.lock()
        records[id, default: Record()].frameTimes.append(t)
        records[id, default: Record()].samples += frame.audio.count
        condition.unlock()
    }

    func streamDidFinish(_ id: StreamID) {
        end(id, failure: nil)
    }

    func stream(_ id: StreamID, didFail error: Error) {
        end(id, failure: "\(error)")
    }

    private func end(_ id: StreamID, failure: String?) {
        condition.lock()
        records[id, default: Record()].finished = true
        records[id, default: Record()].failure = failure
        condition.broadcast()
        condition.unlock()
    }

    /// Waits until every stream in `ids` has ended, then returns (and forgets) their records in
    /// `ids` order. Throws if one failed or `timeout` seconds pass.
    func wait(for ids: [StreamID], timeout: Double) throws -> [Record] {
        let deadline = Date(timeIntervalSinceNow: timeout)
        condition.lock()
        defer { condition.unlock() }
        while !ids.allSatisfy({ records[$0]?.finished == true }) {
            if !condition.wait(until: deadline) { throw BenchError.timedOut("\(ids.count) stream(s)") }
        }
        let done = ids.map { records.removeValue(forKey: $0)! }
        for (id, record) in zip(ids, done) {
            if let failure = record.failure { throw BenchError.streamFailed(stream: "\(id)", reason: failure) }
        }
        return done
    }
}
