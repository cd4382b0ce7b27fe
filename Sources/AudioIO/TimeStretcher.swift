// TimeStretcher.swift: the only file importing CRubberBand (librubberband 3, its C API).
// Speeds mono audio up or down without changing its pitch (OpenAI's `speed`, the native
// config's `speed`), as a stream: librubberband's real-time mode takes each 80 ms frame as it
// is decoded and gives back what it has ready, so stretched audio streams like the rest.
import CRubberBand

/// Why a stretcher could not be made.
public enum TimeStretcherError: Error, Equatable, CustomStringConvertible {
    case invalidSpeed(Double)
    case invalidSampleRate(Int)
    case rubberBand(String)

    public var description: String {
        switch self {
        case .invalidSpeed(let speed): "time stretch: speed \(speed) is outside \(TimeStretcher.speedRange)"
        case .invalidSampleRate(let rate): "time stretch: invalid sample rate \(rate) Hz"
        case .rubberBand(let detail): "time stretch: \(detail)"
        }
    }
}

/// A streaming time stretcher: `speed` 2 plays twice as fast (half the samples), 0.5 half as
/// fast, at the same pitch. One per stream (it holds the stream's overlap and phase state);
/// not thread-safe. Feed samples with `process`, end with `flush`: over the whole stream the
/// output has exactly `round(input / speed)` samples, aligned with the input (librubberband's
/// start delay is dropped, its tail flushed).
///
/// librubberband's R3 ("finer") engine with its short window: made for real-time use, a
/// shorter start delay, cleaner speech than R2; no threads of its own (`ThreadingNever`), so
/// it runs on the caller's thread only.
public final class TimeStretcher {
    /// The speeds OpenAI's `speed` allows, and this stretcher.
    public static let speedRange = 0.25...4.0
    /// Most samples handed to librubberband in one call (`rubberband_set_max_process_size`);
    /// longer inputs are fed in blocks of this size.
    static let blockSize = 2048

    public let speed: Double
    public let sampleRate: Int
    private let state: RubberBandState
    /// Output samples still to drop at the start (librubberband's start delay).
    private var delay: Int
    /// Output made while the start padding went in, for the first `process` to trim.
    private var early: [Float] = []
    private var samplesIn = 0
    private var samplesOut = 0
    private var finished = false
    private var block = [Float](repeating: 0, count: TimeStretcher.blockSize)

    public init(sampleRate: Int, speed: Double) throws(TimeStretcherError) {
        guard Self.speedRange.contains(speed) else { throw .invalidSpeed(speed) }
        guard sampleRate > 0, sampleRate <= 384_000 else { throw .invalidSampleRate(sampleRate) }
        let options = RubberBandOptionProcessRealTime.rawValue | RubberBandOptionEngineFiner.rawValue
            | RubberBandOptionWindowShort.rawValue | RubberBandOptionThreadingNever.rawValue
        guard let state = rubberband_new(UInt32(sampleRate), 1, Int32(bitPattern: options), 1 / speed, 1) else {
            throw .rubberBand("rubberband_new failed")
        }
        self.state = state
        self.speed = speed
        self.sampleRate = sampleRate
        rubberband_set_max_process_size(state, UInt32(Self.blockSize))
        // Real-time mode neither pads nor compensates its delay: feed the silence it asks for,
        // then drop the delay from the output (rubberband-c.h, getPreferredStartPad).
        delay = Int(rubberband_get_start_delay(state))
        let pad = [Float](repeating: 0, count: Int(rubberband_get_preferred_start_pad(state)))
        feed(pad, final: false, into: &early)
    }

    deinit { rubberband_delete(state) }

    /// Stretches the next samples; returns what is ready (none at first: the start delay).
    public func process(_ input: [Float]) -> [Float] {
        precondition(!finished, "TimeStretcher.process after flush")
        samplesIn += input.count
        var output = early
        early = []
        feed(input, final: false, into: &output)
        let ready = trimmed(output)
        samplesOut += ready.count
        return ready
    }

    /// Ends the stream: returns the rest, so that the whole output is `round(input / speed)`
    /// samples (the last few padded with silence or cut if librubberband's tail differs).
    public func flush() -> [Float] {
        guard !finished else { return [] }
        finished = true
        var output = early
        early = []
        feed([], final: true, into: &output)
        // After the final block librubberband drains everything; it never takes more than a
        // few calls, the bound only guards against a library that keeps reporting 0.
        for _ in 0..<64 where rubberband_available(state) >= 0 {
            if !retrieve(into: &output) { feed([], final: true, into: &output) }
        }
        var rest = trimmed(output)
        let expected = Int((Double(samplesIn) / speed).rounded())
        let missing = expected - samplesOut - rest.count
        if missing > 0 { rest += [Float](repeating: 0, count: missing) }
        if missing < 0 { rest.removeLast(min(rest.count, -missing)) }
        samplesOut += rest.count
        return rest
    }

    /// Hands `input` to librubberband in blocks, collecting the output after each.
    private func feed(_ input: [Float], final: Bool, into output: inout [Float]) {
        guard !input.isEmpty else {
            // No samples: only the end-of-stream flag (a valid pointer all the same).
            block.withUnsafeBufferPointer { process($0.baseAddress!, count: 0, final: final) }
            while retrieve(into: &output) {}
            return
        }
        var start = 0
        while start < input.count {
            let count = min(Self.blockSize, input.count - start)
            input.withUnsafeBufferPointer { process($0.baseAddress! + start, count: count, final: final && start + count == input.count) }
            start += count
            while retrieve(into: &output) {}
        }
    }

    private func process(_ samples: UnsafePointer<Float>, count: Int, final: Bool) {
        var channel: UnsafePointer<Float>? = samples
        withUnsafePointer(to: &channel) { rubberband_process(state, $0, UInt32(count), final ? 1 : 0) }
    }

    /// Appends what librubberband has ready; false when it had nothing.
    private func retrieve(into output: inout [Float]) -> Bool {
        let available = Int(rubberband_available(state))
        guard available > 0 else { return false }
        let count = min(available, block.count)
        block.withUnsafeMutableBufferPointer { buffer in
            var channel: UnsafeMutablePointer<Float>? = buffer.baseAddress
            withUnsafePointer(to: &channel) { channels in
                _ = rubberband_retrieve(state, channels, UInt32(count))
            }
        }
        output.append(contentsOf: block[0..<count])
        return true
    }

    /// `output` without what is left of the start delay.
    private func trimmed(_ output: [Float]) -> [Float] {
        let dropped = min(delay, output.count)
        delay -= dropped
        return dropped == 0 ? output : Array(output[dropped...])
    }
}
