import Foundation
import PocketTTS
import TTSEngine

/// Runs through the `Engine` (producer and consumer threads, the server's path): time to first
/// audio, real-time factor of one long stream, and several streams at once.
struct EngineBench {
    let engine: Engine
    let voice: FlowLM.State  // cached voice state; every stream starts from a copy
    let text: String
    let sampling: FlowLMSampling
    let frameLength: Int  // samples per frame (1920)
    let sampleRate: Int  // 24000
    var staggerSeconds = 0.0  // (e): between the starts of successive streams
    let recorder = StreamRecorder()

    /// Opens `count` streams at once, then enqueues the text to each (stamping its start just
    /// before) and finishes it; waits for all. Each makes exactly `frames` frames (EOS disabled).
    func run(streams count: Int, frames: Int, seed: UInt64) throws -> [StreamRecorder.Record] {
        try measuredRun(streams: count, frames: frames, seed: seed).records
    }

    /// `run`, with the process CPU time over the run's wall time: the cores the engine got
    /// (at most 2 here, its two threads; well below on a busy machine).
    func measuredRun(streams count: Int, frames: Int, seed: UInt64) throws -> (records: [StreamRecorder.Record], coresUsed: Double) {
        let (cpu, start) = (processCPUTime(), now())
        let records = try unmeasuredRun(streams: count, frames: frames, seed: seed)
        return (records, (processCPUTime() - cpu) / (now() - start))
    }

    private func unmeasuredRun(streams count: Int, frames: Int, seed: UInt64) throws -> [StreamRecorder.Record] {
        let open = { (i: Int) in
            try engine.openStream(
                voice: voice, options: GenerationOptions(sampling: sampling, maxFrames: frames, seed: seed + UInt64(i)),
                sink: recorder)
        }
        let speak = { (id: StreamID) in
            recorder.markStart(id)
            try engine.enqueue(text: text, to: id)
            engine.finish(id)
        }
        var ids: [StreamID] = []
        if staggerSeconds > 0 {  // each opened and started `staggerSeconds` after the one before
            let begin = now()
            for i in 0..<count {
                let wait = begin + Double(i) * staggerSeconds - now()
                if wait > 0 { Thread.sleep(forTimeInterval: wait) }
                ids.append(try open(i))
                try speak(ids[i])
            }
        } else {
            ids = try (0..<count).map(open)
            for id in ids { try speak(id) }
        }
        let records = try recorder.wait(for: ids, timeout: 60 + Double(count * frames))
        for record in records where record.frameTimes.count != frames || record.samples != frames * frameLength {
            throw BenchError.wrongLength("\(record.frameTimes.count) frames, \(record.samples) samples; expected \(frames)")
        }
        return records
    }

    /// (a) From `enqueue` to the first frame at the sink, one stream at a time.
    func timeToFirstAudio(repeats: Int, frames: Int) throws -> [String: Any] {
        var firsts: [Double] = []
        for r in 0..<repeats {
            let record = try run(streams: 1, frames: frames, seed: UInt64(100 + r))[0]
            firsts.append(record.firstFrame!)
        }
        return summary(firsts).merging(
            ["voice_state": "cached (copied per stream)", "frames_per_call": frames,
             "measured": "Engine.enqueue(text:) called -> first frame at the StreamSink (consumer thread)"]) { a, _ in a }
    }

    /// (b) One stream of `frames` frames: wall time from enqueue to its last frame.
    func realTimeFactor(frames: Int) throws -> [String: Any] {
        let (records, cores) = try measuredRun(streams: 1, frames: frames, seed: 200)
        let record = records[0]
        let audio = Double(record.samples) / Double(sampleRate)
        let wall = record.lastFrame!
        let gaps = zip(record.frameTimes.dropFirst(), record.frameTimes).map { $0 - $1 }
        return ["frames": frames, "audio_s": rounded(audio, 3), "wall_s": rounded(wall, 3),
                "rtf": rounded(wall / audio, 4), "times_faster_than_real_time": rounded(audio / wall, 3),
                "first_chunk_ms": ms(record.firstFrame!), "frame_interval": summary(gaps), "cores_used": rounded(cores, 2),
                "measured": "Engine.enqueue(text:) called -> last frame at the StreamSink"]
    }

    /// (e) `count` streams opened together, each `frames` frames: per-stream speed (audio seconds
    /// over wall seconds from its enqueue to its last frame) and the aggregate.
    func concurrent(streams count: Int, frames: Int) throws -> [String: Any] {
        let (records, cores) = try measuredRun(streams: count, frames: frames, seed: UInt64(1000 * count))
        let audio = Double(frames * frameLength) / Double(sampleRate)
        let speeds = records.map { audio / $0.lastFrame! }
        let begin = records.map(\.start).min()!
        let end = records.map { $0.frameTimes.last! }.max()!
        return ["streams": count, "frames_per_stream": frames, "audio_s_per_stream": rounded(audio, 3),
                "wall_s": rounded(end - begin, 3), "cores_used": rounded(cores, 2),
                "per_stream_times_faster_than_real_time": speeds.map { rounded($0, 3) },
                "min_times_faster_than_real_time": rounded(speeds.min()!, 3),
                "median_times_faster_than_real_time": rounded(median(speeds), 3),
                "aggregate_audio_s_per_wall_s": rounded(audio * Double(count) / (end - begin), 3),
                "first_audio": summary(records.map { $0.firstFrame! }),
                "largest_frame_gap_ms": ms(records.map(\.largestGap).max()!)]
    }
}
