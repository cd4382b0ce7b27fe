import Foundation
import Kernels
import PocketTTS
@testable import TTSEngine

/// The engine's producer without its thread: the test posts commands through a real
/// `CommandInbox`, runs ticks itself and plays the consumer, reading the `FrameHandOff`.
/// Deterministic: what a tick does is visible before the next.
final class ProducerHarness {
    let inbox: CommandInbox
    let handOff: FrameHandOff
    let producer: Producer

    /// No first-frame wait (`firstFrameWaitSeconds` 0): the test takes frames when it likes, and a
    /// tick's steps do not depend on whether it has.
    init(_ configuration: EngineConfiguration) throws {
        var configuration = configuration
        configuration.firstFrameWaitSeconds = 0
        inbox = CommandInbox(configuration)
        handOff = FrameHandOff(capacity: configuration.maxQueuedFrames)
        producer = Producer(flowLM: try Fixture.model().flowLM, pool: WorkerPool(), configuration: configuration,
                            inbox: inbox, handOff: handOff)
    }

    /// Opens a stream, enqueues the text and finishes it (commands, applied by the next tick).
    func speak(_ text: String, options: GenerationOptions) throws -> StreamID {
        let id = try inbox.open(voice: try Fixture.voice(), options: options) { handOff.open($0, sink: RecordingSink()) }
        try inbox.enqueue(try Fixture.model().chunks(for: text, maxTokens: options.maxTokens), to: id)
        inbox.finish(id)
        return id
    }

    /// One producer tick, with the commands posted since the last.
    func tick() { producer.tick(applying: inbox.take(idle: false) ?? []) }

    /// One producer tick at the given time (seconds) rather than the clock's.
    func tick(now: Double) { producer.tick(applying: inbox.take(idle: false) ?? [], now: now) }

    /// Ticks until the producer has nothing to do (every stream full, waiting or ended).
    func runUntilIdle() {
        repeat { tick() } while producer.hasWork
    }

    /// The stream's phase; nil once it ended (or before its open is applied).
    func phase(of id: StreamID) -> GenerationStream.Phase? {
        producer.streams.first { $0.id == id }?.generation.phase
    }

    /// Takes everything queued, per stream. Call only with something queued (it would wait).
    func take() -> [StreamID: [HandOffItem]] {
        guard let batch = handOff.take() else { return [:] }
        var items: [StreamID: [HandOffItem]] = [:]
        for stream in batch.streams { items[stream.id] = stream.items }
        return items
    }
}

extension HandOffItem {
    var frame: GeneratedFrame? { if case .frame(let f) = self { f } else { nil } }
    var isFinished: Bool { if case .finished = self { true } else { false } }
}
