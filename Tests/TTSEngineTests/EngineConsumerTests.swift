import Foundation
import PocketTTS
import Testing
@testable import TTSEngine

/// Several consumer threads: streams pinned to one each, a stuck sink holds up only its own.
@Suite struct EngineConsumerTests {
    static func fixed(_ frames: Int, seed: UInt64) -> GenerationOptions {
        GenerationOptions(sampling: FlowLMSampling(temperature: 0.7, eosThreshold: 1e9), maxFrames: frames, seed: seed)
    }

    /// Stream A's sink blocks on its first frame; stream B, pinned to the other consumer,
    /// still gets every frame and finishes (with the right ones) while A is held. Released,
    /// A finishes too.
    @Test func aBlockedSinkHoldsUpOnlyItsOwnConsumer() throws {
        let engine = try Engine.tiny(EngineConfiguration(maxQueuedFrames: 2, consumerThreads: 2))
        defer { engine.stop() }
        let gate = Gate()
        defer { gate.open() }  // before stop(): never leave a consumer stuck
        let a = RecordingSink { _, frame in if frame.index == 0 { gate.waitOpen() } }
        let optionsA = Self.fixed(5, seed: 1)
        let optionsB = Self.fixed(6, seed: 2)
        let idA = try engine.openStream(voice: try Fixture.voice(), options: optionsA, sink: a)
        let b = RecordingSink()
        let idB = try engine.openStream(voice: try Fixture.voice(), options: optionsB, sink: b)
        try engine.enqueue(text: Fixture.texts[1], to: idA)
        engine.finish(idA)
        #expect(gate.waitEntered())  // consumer 0 is inside A's sink, holding frame 0
        try engine.enqueue(text: Fixture.texts[2], to: idB)
        engine.finish(idB)
        #expect(b.waitForEnd())  // more frames than A's and B's queues hold together
        #expect(a.frames.isEmpty)
        #expect(b.threads == ["tts-consumer-1"])
        expectSameFrames(b.frames, try Fixture.reference(Fixture.texts[2], options: optionsB), "B")
        gate.open()
        #expect(a.waitForEnd())
        #expect(a.threads == ["tts-consumer-0"])
        expectSameFrames(a.frames, try Fixture.reference(Fixture.texts[1], options: optionsA), "A")
    }

    /// Streams go to the consumer with the fewest open streams; a closed stream frees its
    /// place. Seen through the hand-off: each consumer's `take` returns its streams only.
    @Test func streamsArePinnedToTheLeastLoadedConsumer() throws {
        let handOff = FrameHandOff(capacity: 2, consumers: 3)
        let ids = (1...5).map { StreamID(rawValue: $0) }
        for id in ids.prefix(4) { handOff.open(id, sink: RecordingSink()) }
        handOff.cancel(ids[1])
        handOff.open(ids[4], sink: RecordingSink())
        for id in ids { handOff.push(.finished, for: id) }  // dropped for the cancelled one
        let taken = (0..<3).map { consumer in handOff.take(consumer: consumer)!.streams.map(\.id) }
        #expect(taken == [[ids[0], ids[3]], [ids[4]], [ids[2]]])
        #expect(throws: EngineError.invalidConfiguration("consumer threads must be >= 1, got 0")) {
            try EngineConfiguration(consumerThreads: 0).validate()
        }
    }

    /// A take of at most n frames per stream: the items up to that stream's n-th frame go (the
    /// control items before it too), the rest stay queued in order for the next take, and the
    /// room freed counts only the frames taken.
    @Test func aTakeStopsAtEachStreamsFrameLimit() throws {
        let handOff = FrameHandOff(capacity: 3, consumers: 1)
        let (a, b) = (StreamID(rawValue: 1), StreamID(rawValue: 2))
        handOff.open(a, sink: RecordingSink())
        handOff.open(b, sink: RecordingSink())
        func frame(_ chunk: Int, _ index: Int) -> HandOffItem {
            .frame(GeneratedFrame(chunk: chunk, index: index, latent: [0], eosLogit: 0))
        }
        for item in [frame(0, 0), frame(0, 1), .endOfChunk(0), frame(1, 0)] { handOff.push(item, for: a) }
        handOff.push(.finished, for: b)
        func describe(_ items: [HandOffItem]) -> [String] {
            items.map { item in
                switch item {
                case .frame(let f): "frame \(f.chunk).\(f.index)"
                case .endOfChunk(let c): "end \(c)"
                case .finished: "finished"
                case .failed: "failed"
                }
            }
        }
        let first = try #require(handOff.take(maxFrames: 1))
        #expect(first.freedRoom)  // a's queue was full
        #expect(first.streams.map(\.id) == [a, b])
        #expect(first.streams.map { describe($0.items) } == [["frame 0.0"], ["finished"]])
        #expect(handOff.hasRoom(a))
        handOff.push(frame(1, 1), for: a)  // room for one: two frames of three are still queued
        #expect(!handOff.hasRoom(a))
        let second = try #require(handOff.take(maxFrames: 2))
        #expect(second.streams.map { describe($0.items) } == [["frame 0.1", "end 0", "frame 1.0"]])
        let third = try #require(handOff.take(maxFrames: 2))
        #expect(third.streams.map { describe($0.items) } == [["frame 1.1"]])
        #expect(!third.freedRoom)
    }
}
