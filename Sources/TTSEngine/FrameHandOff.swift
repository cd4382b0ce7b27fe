import Foundation
import PocketTTS

/// What the producer tells the consumer about a stream, in stream order.
enum HandOffItem: Sendable {
    /// A latent step (`audio` empty: the consumer decodes it).
    case frame(GeneratedFrame)
    /// The chunk's last frame was queued: the next frame starts a fresh decoder state.
    case endOfChunk(Int)
    /// finish() was called and every frame was queued.
    case finished
    /// Generation failed; nothing follows.
    case failed(any Error)
}

/// The hand-off from the producer thread to the consumer threads: one bounded queue per open
/// stream (at most `capacity` frames each; the producer checks `hasRoom` before stepping a
/// stream and skips it when full) plus the cancellations each consumer must apply. A stream's
/// queue exists from `open` until its last delivery (`beginDelivery(closing: true)`) or
/// `cancel`; items pushed for a closed stream are dropped.
///
/// Each stream is pinned at `open` to one of `consumers` consumers (the one with the fewest
/// open streams, the lowest index on a tie), and only that consumer's `take` returns its items
/// and its cancellation: a stream's frames are decoded in order, its decoder state and its
/// sink are touched by one thread only.
///
/// Delivery guard: a consumer calls a sink only between `beginDelivery` (which refuses a
/// stream no longer open) and `endDelivery`, and `cancel` waits while a delivery for the
/// stream is under way, so no sink call for a stream starts after `cancel` returns. A cancel
/// made from inside a sink does not wait for its own consumer (the call it would wait for is
/// its caller), nor for a consumer that is itself waiting, in a cancel, on this one.
///
/// Lock order: `CommandInbox` may call `open` while holding its own lock; nothing here calls out.
final class FrameHandOff: @unchecked Sendable {  // all state behind `condition`
    private struct Queue {
        let sink: any StreamSink
        let consumer: Int  // the consumer thread the stream is pinned to
        var items: [HandOffItem] = []
        var frameCount = 0  // .frame items in `items`
        var firstFrameDecoded = false  // the consumer has decoded the stream's first frame
    }

    /// A sink call under way on a consumer thread.
    private struct Delivery {
        let id: StreamID
        let thread: pthread_t  // the consumer thread making the call
        /// That thread is inside `cancel`, waiting for this consumer's delivery to end.
        var waitingFor: Int?
    }

    /// What the consumer takes in one go.
    struct Batch {
        var streams: [(id: StreamID, sink: any StreamSink, items: [HandOffItem])]
        var cancelled: [StreamID]
        /// Some queue was full before this take: the producer may be waiting for room.
        var freedRoom: Bool
    }

    let capacity: Int
    let consumers: Int
    private let condition = NSCondition()
    private var queues: [StreamID: Queue] = [:]
    private var order: [StreamID] = []  // open streams, oldest first: a fair delivery order
    private var cancelled: [[StreamID]]  // [consumers]: cancellations each consumer must apply
    private var load: [Int]  // [consumers]: open streams pinned to each consumer
    private var deliveries: [Delivery?]  // [consumers]: the sink call under way on each
    private var isShutDown = false

    init(capacity: Int, consumers: Int = 1) {
        precondition(capacity >= 1, "FrameHandOff: capacity must be >= 1")
        precondition(consumers >= 1, "FrameHandOff: consumers must be >= 1")
        self.capacity = capacity
        self.consumers = consumers
        self.cancelled = Array(repeating: [], count: consumers)
        self.load = Array(repeating: 0, count: consumers)
        self.deliveries = Array(repeating: nil, count: consumers)
    }

    func open(_ id: StreamID, sink: any StreamSink) {
        condition.lock()
        defer { condition.unlock() }
        if isShutDown { return }
        let consumer = load.indices.min { load[$0] < load[$1] }!  // least loaded, lowest index first
        load[consumer] += 1
        queues[id] = Queue(sink: sink, consumer: consumer)
        order.append(id)
    }

    /// True if the stream may queue one more frame (false for a closed stream).
    func hasRoom(_ id: StreamID) -> Bool {
        condition.lock()
        defer { condition.unlock() }
        return queues[id].map { $0.frameCount < capacity } ?? false
    }

    /// The stream's frames queued (not taken by its consumer yet) and whether its first frame has
    /// been decoded; nil for a closed stream.
    func progress(_ id: StreamID) -> (queuedFrames: Int, firstFrameDecoded: Bool)? {
        condition.lock()
        defer { condition.unlock() }
        return queues[id].map { ($0.frameCount, $0.firstFrameDecoded) }
    }

    /// The consumer decoded the stream's first frame (before delivering it).
    func markFirstFrameDecoded(_ id: StreamID) {
        condition.lock()
        defer { condition.unlock() }
        queues[id]?.firstFrameDecoded = true
    }

    /// Queues an item (dropped if the stream is closed). Only the producer pushes, so a frame
    /// pushed after `hasRoom` returned true always fits.
    func push(_ item: HandOffItem, for id: StreamID) {
        condition.lock()
        defer { condition.unlock() }
        guard queues[id] != nil else { return }
        if case .frame = item {
            precondition(queues[id]!.frameCount < capacity, "FrameHandOff: frame pushed into a full queue")
            queues[id]!.frameCount += 1
        }
        queues[id]!.items.append(item)
        condition.broadcast()
    }

    /// What is queued for the streams pinned to `consumer` — per stream, its items in order up to
    /// and including its `maxFrames`-th frame (the rest stay queued for the next take) — and that
    /// consumer's cancellations; sleeps while there is nothing. nil once shut down. A small
    /// `maxFrames` keeps the consumer's passes short, so a new stream's first frame, queued
    /// meanwhile, waits for one pass and not for every frame the other streams had queued.
    func take(consumer: Int = 0, maxFrames: Int = .max) -> Batch? {
        precondition((0..<consumers).contains(consumer), "FrameHandOff: no consumer \(consumer)")
        precondition(maxFrames >= 1, "FrameHandOff: a take of no frame")
        condition.lock()
        defer { condition.unlock() }
        while !isShutDown && cancelled[consumer].isEmpty && !order.contains(where: { hasItems($0, for: consumer) }) {
            condition.wait()
        }
        if isShutDown { return nil }
        var batch = Batch(streams: [], cancelled: cancelled[consumer], freedRoom: false)
        cancelled[consumer].removeAll()
        for id in order where hasItems(id, for: consumer) {
            let queue = queues[id]!
            if queue.frameCount >= capacity { batch.freedRoom = true }
            var (end, frames) = (0, 0)  // items[..<end] go; `frames` of them are frames
            while end < queue.items.count, frames < maxFrames {
                if case .frame = queue.items[end] { frames += 1 }
                end += 1
            }
            batch.streams.append((id, queue.sink, Array(queue.items[..<end])))
            queues[id]!.items.removeFirst(end)
            queues[id]!.frameCount -= frames
        }
        return batch
    }

    private func hasItems(_ id: StreamID, for consumer: Int) -> Bool {  // caller holds the lock
        guard let queue = queues[id] else { return false }
        return queue.consumer == consumer && !queue.items.isEmpty
    }

    /// True while the stream is open (a consumer skips decoding for a closed one).
    func isOpen(_ id: StreamID) -> Bool {
        condition.lock()
        defer { condition.unlock() }
        return queues[id] != nil
    }

    // MARK: Delivery guard

    /// Before a sink call for the stream on `consumer`'s thread (the calling thread): false if
    /// the stream is no longer open (no call may be made). `closing` removes the stream too:
    /// its last call (`streamDidFinish`, `didFail`). Every true is followed by `endDelivery`.
    func beginDelivery(_ id: StreamID, consumer: Int, closing: Bool = false) -> Bool {
        condition.lock()
        defer { condition.unlock() }
        precondition(deliveries[consumer] == nil, "FrameHandOff: consumer \(consumer) is already delivering")
        guard queues[id] != nil else { return false }
        if closing { remove(id) }
        deliveries[consumer] = Delivery(id: id, thread: pthread_self(), waitingFor: nil)
        return true
    }

    /// After the sink call `beginDelivery` allowed: wakes a `cancel` waiting for it.
    func endDelivery(consumer: Int) {
        condition.lock()
        deliveries[consumer] = nil
        condition.broadcast()
        condition.unlock()
    }

    /// Removes a cancelled stream and tells its consumer to drop its state, then waits while a
    /// sink call for it is under way (see the type's doc for the cases it does not wait).
    func cancel(_ id: StreamID) {
        condition.lock()
        defer { condition.unlock() }
        if let consumer = remove(id) {
            cancelled[consumer].append(id)
            condition.broadcast()
        }
        let caller = deliveries.indices.first { c in deliveries[c].map { pthread_equal($0.thread, pthread_self()) != 0 } ?? false }
        while let target = deliveries.indices.first(where: { deliveries[$0]?.id == id }),
              !waits(from: target, reaching: caller) {
            if let caller { deliveries[caller]!.waitingFor = target }
            condition.wait()
            if let caller { deliveries[caller]!.waitingFor = nil }
        }
    }

    /// True if `consumer` is `caller` or waits, through a chain of cancels, on `caller`.
    private func waits(from consumer: Int, reaching caller: Int?) -> Bool {  // caller holds the lock
        guard let caller else { return false }
        var next: Int? = consumer
        for _ in 0...consumers {
            guard let c = next else { return false }
            if c == caller { return true }
            next = deliveries[c]?.waitingFor
        }
        return false
    }

    /// The consumer the removed stream was pinned to; nil if it was not open.
    @discardableResult
    private func remove(_ id: StreamID) -> Int? {  // caller holds the lock
        guard let queue = queues.removeValue(forKey: id) else { return nil }
        order.removeAll { $0 == id }
        load[queue.consumer] -= 1
        return queue.consumer
    }

    /// Drops every stream and ends every consumer's `take` loop (a sink call under way
    /// completes).
    func shutDown() {
        condition.lock()
        isShutDown = true
        queues.removeAll()
        order.removeAll()
        for i in cancelled.indices {
            cancelled[i].removeAll()
            load[i] = 0
        }
        condition.broadcast()
        condition.unlock()
    }
}
