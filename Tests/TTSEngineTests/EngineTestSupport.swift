import Foundation
import Kernels
import PocketTTS
import Testing
@testable import TTSEngine

/// The tiny fixture model of PocketTTSTests (random weights of the b6369a24 family), read in
/// place from ../PocketTTSTests/Fixtures so nothing is duplicated.
enum Fixture {
    static let directory = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("PocketTTSTests/Fixtures")

    static func path(_ relative: String) -> String { directory.appendingPathComponent(relative).path }

    private static let loaded = Result { () throws -> (TTSModel, FlowLM.State) in
        var config = try PocketTTSConfig(contentsOf: directory.appendingPathComponent("reference/tiny.yaml"))
        config = config.asPocketTTS111()  // the fixtures are pocket-tts 1.1.1's
        let model = try TTSModel.load(config: config, weightsPath: path("reference/tiny_weights.safetensors"),
                                      tokenizerPath: path("tokenizer/test_tokenizer.model"), precision: .exact)  // parity: the exact path
        return (model, try model.voiceState(file: path("reference/voice_state.safetensors")))
    }

    static func model() throws -> TTSModel { try loaded.get().0 }
    static func voice() throws -> FlowLM.State { try loaded.get().1 }

    /// Texts of one to three chunks (with `maxTokens` 20).
    static let texts = [
        "Hello world.",
        "The quick brown fox jumps over the lazy dog. It was a sunny morning in the city.",
        "Do you know what time it is? People say the weather will be rainy tomorrow, so take your computer home.",
        "Short one. Another short sentence! And a third, slightly longer sentence to finish?",
    ]

    /// What `TTSModel.generate` emits, single-threaded.
    static func reference(_ text: String, options: GenerationOptions) throws -> [GeneratedFrame] {
        var frames: [GeneratedFrame] = []
        try model().generate(text: text, voice: try voice(), options: options) { frames.append($0) }
        return frames
    }
}

/// Everything a sink saw, in order, and the threads it was called on; waits with a timeout
/// for the end of a stream.
final class RecordingSink: StreamSink, @unchecked Sendable {  // all state behind `condition`
    enum Event {
        case frame(GeneratedFrame)
        case chunkDone(Int)
        case finished
        case failed(any Error)
    }

    private let condition = NSCondition()
    private var recorded: [Event] = []
    private var threadNames: Set<String> = []
    /// Runs on the consumer thread for each frame, before it is recorded.
    let onFrame: (@Sendable (StreamID, GeneratedFrame) -> Void)?

    init(onFrame: (@Sendable (StreamID, GeneratedFrame) -> Void)? = nil) { self.onFrame = onFrame }

    private func record(_ event: Event) {
        let thread = Thread.current.name ?? "unnamed"
        condition.lock()
        recorded.append(event)
        threadNames.insert(thread)
        condition.broadcast()
        condition.unlock()
    }

    func stream(_ id: StreamID, didProduce frame: GeneratedFrame) {
        onFrame?(id, frame)
        record(.frame(frame))
    }
    func streamDidFinishChunk(_ id: StreamID, chunk: Int) { record(.chunkDone(chunk)) }
    func streamDidFinish(_ id: StreamID) { record(.finished) }
    func stream(_ id: StreamID, didFail error: Error) { record(.failed(error)) }

    var events: [Event] {
        condition.lock()
        defer { condition.unlock() }
        return recorded
    }

    /// The names of the threads the sink was called on (the engine's are `tts-consumer-<i>`).
    var threads: Set<String> {
        condition.lock()
        defer { condition.unlock() }
        return threadNames
    }

    var frames: [GeneratedFrame] {
        events.compactMap { if case .frame(let f) = $0 { f } else { nil } }
    }

    /// Waits until `predicate` holds for the events; false on timeout.
    func wait(timeout: TimeInterval = 10, until predicate: ([Event]) -> Bool) -> Bool {
        let deadline = Date(timeIntervalSinceNow: timeout)
        condition.lock()
        defer { condition.unlock() }
        while !predicate(recorded) {
            if !condition.wait(until: deadline) { return predicate(recorded) }
        }
        return true
    }

    /// Waits for `streamDidFinish` or `didFail`.
    func waitForEnd(timeout: TimeInterval = 60) -> Bool {  // a liveness bound, generous for loaded CI machines
        wait(timeout: timeout) { events in
            events.contains { if case .finished = $0 { true } else if case .failed = $0 { true } else { false } }
        }
    }

    func waitForFrames(_ count: Int, timeout: TimeInterval = 60) -> Bool {
        wait(timeout: timeout) { events in events.count { if case .frame = $0 { true } else { false } } >= count }
    }
}

/// max |got − want| ≤ tolerance · max(1, max |want|).
func expectClose(_ got: [Float], _ want: [Float], _ tolerance: Float = 1e-5, _ what: String,
                 sourceLocation: SourceLocation = #_sourceLocation) {
    #expect(got.count == want.count, "\(what): \(got.count) values, expected \(want.count)", sourceLocation: sourceLocation)
    guard got.count == want.count else { return }
    let scale = max(1, want.reduce(0) { max($0, abs($1)) })
    let err = Tensor.maxAbsDifference(got, want)
    #expect(err <= tolerance * scale, "\(what): max error \(err) (scale \(scale))", sourceLocation: sourceLocation)
}

/// The engine's frames equal the reference's: same chunks and indices, latents, EOS logits
/// and audio within 1e-5.
func expectSameFrames(_ got: [GeneratedFrame], _ want: [GeneratedFrame], _ what: String,
                      sourceLocation: SourceLocation = #_sourceLocation) {
    #expect(got.map { [$0.chunk, $0.index] } == want.map { [$0.chunk, $0.index] },
            "\(what): frame sequence", sourceLocation: sourceLocation)
    guard got.count == want.count else { return }
    expectClose(got.flatMap(\.latent), want.flatMap(\.latent), 1e-5, "\(what) latents", sourceLocation: sourceLocation)
    expectClose(got.map(\.eosLogit), want.map(\.eosLogit), 1e-5, "\(what) EOS logits", sourceLocation: sourceLocation)
    expectClose(got.flatMap(\.audio), want.flatMap(\.audio), 1e-5, "\(what) audio", sourceLocation: sourceLocation)
}

extension Engine {
    /// A started engine on the tiny model.
    static func tiny(_ configuration: EngineConfiguration = .init()) throws -> Engine {
        let engine = Engine(model: try Fixture.model(), configuration: configuration)
        engine.start()
        return engine
    }

    /// Opens a stream, enqueues the text and finishes it.
    func speak(_ text: String, options: GenerationOptions, sink: any StreamSink) throws -> StreamID {
        let id = try openStream(voice: try Fixture.voice(), options: options, sink: sink)
        try enqueue(text: text, to: id)
        finish(id)
        return id
    }
}
