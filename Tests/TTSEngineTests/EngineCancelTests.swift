import Foundation
import PocketTTS
import Testing
@testable import TTSEngine

/// `Engine.cancel`'s promise: no sink call for the stream starts after it returns (a call
/// under way is waited for), and a cancel from inside a sink never deadlocks.
@Suite struct EngineCancelTests {
    /// What happened, in one order: sink calls starting and ending, cancels returning.
    final class Log: @unchecked Sendable {  // all state behind `lock`
        private let lock = NSLock()
        private var entries: [String] = []
        func add(_ entry: String) {
            lock.lock()
            entries.append(entry)
            lock.unlock()
        }
        var all: [String] {
            lock.lock()
            defer { lock.unlock() }
            return entries
        }
    }

    /// A sink that takes its time over every call (so a cancel lands in one), logging each.
    final class SlowSink: StreamSink, @unchecked Sendable {
        let log: Log
        let frames = DispatchSemaphore(value: 0)  // one signal per frame
        init(log: Log) { self.log = log }

        private func call(_ what: String) {
            log.add("start \(what)")
            Thread.sleep(forTimeInterval: 0.02)
            log.add("end \(what)")
        }
        func stream(_ id: StreamID, didProduce frame: GeneratedFrame) {
            call("frame \(frame.index)")
            frames.signal()
        }
        func streamDidFinishChunk(_ id: StreamID, chunk: Int) { call("chunk \(chunk)") }
        func streamDidFinish(_ id: StreamID) { call("finish") }
        func stream(_ id: StreamID, didFail error: Error) { call("fail") }
    }

    /// Cancelled from the test's thread while the consumer is (very likely) inside a slow sink
    /// call, with frames still queued and decoded: cancel returns only after that call ended,
    /// and nothing follows it, up to the engine's stop (every thread joined).
    @Test(arguments: [1, 2])
    func noSinkCallStartsAfterCancelReturns(consumers: Int) throws {
        let engine = try Engine.tiny(EngineConfiguration(maxQueuedFrames: 4, consumerThreads: consumers))
        let log = Log()
        let sink = SlowSink(log: log)
        let id = try engine.speak(Fixture.texts[1], options: EngineLifecycleTests.fixed(200, seed: 3), sink: sink)
        for _ in 0..<3 { #expect(sink.frames.wait(timeout: .now() + 10) == .success) }
        engine.cancel(id)
        log.add("cancel returned")
        let other = RecordingSink()  // the engine goes on: another stream runs to its end
        _ = try engine.speak(Fixture.texts[0], options: EngineLifecycleTests.fixed(3), sink: other)
        #expect(other.waitForEnd())
        engine.stop()
        let entries = log.all
        #expect(entries.last == "cancel returned", "\(entries.suffix(4))")
        #expect(entries.count { $0.hasPrefix("start") } == entries.count { $0.hasPrefix("end") })
        #expect(!entries.contains("start finish"))
    }

    /// A sink cancelling its own stream returns at once (it does not wait for itself), and no
    /// call follows.
    @Test func cancelFromTheStreamsOwnSinkDoesNotDeadlock() throws {
        let engine = try Engine.tiny()
        let returned = DispatchSemaphore(value: 0)
        let sink = RecordingSink { [weak engine] id, frame in
            guard frame.index == 2 else { return }
            engine?.cancel(id)
            returned.signal()
        }
        _ = try engine.speak(Fixture.texts[1], options: EngineLifecycleTests.fixed(50, seed: 1), sink: sink)
        guard returned.wait(timeout: .now() + 30) == .success else {
            Issue.record("cancel from the sink did not return")
            _ = Unmanaged.passRetained(engine)  // a stuck consumer: never join it
            return
        }
        engine.stop()
        #expect(sink.frames.map(\.index) == [0, 1, 2])
        #expect(sink.events.count == 3)
    }

    // MARK: The delivery guard alone

    /// Runs `body` on a new thread; the semaphore is signalled when it returns.
    static func detached(_ body: @escaping @Sendable () -> Void) -> DispatchSemaphore {
        let done = DispatchSemaphore(value: 0)
        Thread.detachNewThread {
            body()
            done.signal()
        }
        return done
    }

    /// A cancel from another thread waits for the delivery under way; a new delivery for the
    /// cancelled stream is refused.
    @Test func cancelWaitsForTheDeliveryUnderWay() {
        let handOff = FrameHandOff(capacity: 2)
        let id = StreamID(rawValue: 1)
        handOff.open(id, sink: RecordingSink())
        let log = Log()
        let (started, cancelling) = (DispatchSemaphore(value: 0), DispatchSemaphore(value: 0))
        let consumer = Self.detached {
            log.add(handOff.beginDelivery(id, consumer: 0) ? "call started" : "call refused")
            started.signal()
            cancelling.wait()
            Thread.sleep(forTimeInterval: 0.05)  // the cancel is (very likely) waiting by now
            log.add("call ended")
            handOff.endDelivery(consumer: 0)
        }
        let canceller = Self.detached {
            started.wait()
            cancelling.signal()
            handOff.cancel(id)
            log.add("cancel returned")
        }
        #expect(consumer.wait(timeout: .now() + 10) == .success)
        #expect(canceller.wait(timeout: .now() + 10) == .success)
        #expect(log.all == ["call started", "call ended", "cancel returned"])
        #expect(!handOff.beginDelivery(id, consumer: 0))
    }

    /// Cancels from inside deliveries: of the delivering stream itself (returns at once), and
    /// two consumers cancelling each other's delivering stream (one of them does not wait:
    /// both return).
    @Test func cancelsFromInsideDeliveriesDoNotDeadlock() {
        let handOff = FrameHandOff(capacity: 2, consumers: 2)
        let (x, y) = (StreamID(rawValue: 1), StreamID(rawValue: 2))
        handOff.open(x, sink: RecordingSink())  // consumer 0
        handOff.open(y, sink: RecordingSink())  // consumer 1
        let log = Log()
        let own = Self.detached {
            let z = StreamID(rawValue: 3)
            handOff.open(z, sink: RecordingSink())  // consumer 0
            log.add("z: \(handOff.beginDelivery(z, consumer: 0))")
            handOff.cancel(z)
            handOff.endDelivery(consumer: 0)
        }
        #expect(own.wait(timeout: .now() + 10) == .success)
        #expect(log.all == ["z: true"])
        let bothDelivering = DispatchGroup()
        bothDelivering.enter()
        bothDelivering.enter()
        let first = Self.detached {
            log.add("x: \(handOff.beginDelivery(x, consumer: 0))")
            bothDelivering.leave()
            bothDelivering.wait()
            handOff.cancel(y)
            handOff.endDelivery(consumer: 0)
        }
        let second = Self.detached {
            log.add("y: \(handOff.beginDelivery(y, consumer: 1))")
            bothDelivering.leave()
            bothDelivering.wait()
            handOff.cancel(x)
            handOff.endDelivery(consumer: 1)
        }
        #expect(first.wait(timeout: .now() + 10) == .success)
        #expect(second.wait(timeout: .now() + 10) == .success)
        #expect(Set(log.all) == ["z: true", "x: true", "y: true"])
        #expect(!handOff.isOpen(x) && !handOff.isOpen(y))
    }
}
