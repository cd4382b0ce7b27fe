import Foundation

/// A latent step of one stream, on its way to the Mimi decoder.
struct LatentFrame: Sendable {
    var chunk: Int
    var index: Int  // within the chunk
    var latent: [Float]  // [latentDim] normalised
    var eosLogit: Float
}

/// What the producer tells the consumer about a stream, in stream order.
enum HandOffItem: Sendable {
    case frame(LatentFrame)
    /// The chunk's last frame was queued: the next frame starts a fresh decoder state.
    case endOfChunk(Int)
    /// finish() was called and every frame was queued.
    case finished
    /// Generation failed; nothing follows.
    case failed(any Error)
}

/// The hand-off from the producer thread to the consumer thread: one bounded queue per open
/// stream (at most `capacity` frames each; the producer checks `hasRoom` before stepping a
/// stream and skips it when full) plus the cancellations the consumer must apply. A stream's
/// queue exists from `open` until `close` or `cancel`; items pushed for a closed stream are
/// dropped, and `isOpen` is what the consumer checks before each sink call.
///
/// Lock order: `CommandInbox` may call `open` while holding its own lock; nothing here calls out.
final class FrameHandOff: @unchecked Sendable {  // all state behind `condition`
    private struct Queue {
        let sink: any StreamSink
        var items: [HandOffItem] = []
        var frameCount = 0  // .frame items in `items`
    }

    /// What the consumer takes in one go.
    struct Batch {
        var streams: [(id: StreamID, sink: any StreamSink, items: [HandOffItem])]
        var cancelled: [StreamID]
        /// Some queue was full before this take: the producer may be waiting for room.
        var freedRoom: Bool
    }

    let capacity: Int
    private let condition = NSCondition()
    private var queues: [StreamID: Queue] = [:]
    private var order: [StreamID] = []  // open streams, oldest first: a fair delivery order
    private var cancelled: [StreamID] = []
    private var isShutDown = false

    init(capacity: Int) {
        precondition(capacity >= 1, "FrameHandOff: capacity must be >= 1")
        self.capacity = capacity
    }

    func open(_ id: StreamID, sink: any StreamSink) {
        condition.lock()
        defer { condition.unlock() }
        if isShutDown { return }
        queues[id] = Queue(sink: sink)
        order.append(id)
    }

    /// True if the stream may queue one more frame (false for a closed stream).
    func hasRoom(_ id: StreamID) -> Bool {
        condition.lock()
        defer { condition.unlock() }
        return queues[id].map { $0.frameCount < capacity } ?? false
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

    /// Everything queued, every stream's items in order; sleeps while there is nothing. nil
    /// once shut down.
    func take() -> Batch? {
        condition.lock()
        defer { condition.unlock() }
        while !isShutDown && cancelled.isEmpty && !order.contains(where: { !(queues[$0]?.items.isEmpty ?? true) }) {
            condition.wait()
        }
        if isShutDown { return nil }
        var batch = Batch(streams: [], cancelled: cancelled, freedRoom: false)
        cancelled.removeAll()
        for id in order where !(queues[id]?.items.isEmpty ?? true) {
            let queue = queues[id]!
            if queue.frameCount >= capacity { batch.freedRoom = true }
            batch.streams.append((id, queue.sink, queue.items))
            queues[id]!.items.removeAll()
            queues[id]!.frameCount = 0
        }
        return batch
    }

    func isOpen(_ id: StreamID) -> Bool {
        condition.lock()
        defer { condition.unlock() }
        return queues[id] != nil
    }

    /// Removes a stream that ended; true if it was open (so its last sink call may be made).
    func close(_ id: StreamID) -> Bool {
        condition.lock()
        defer { condition.unlock() }
        return remove(id)
    }

    /// Removes a cancelled stream and tells the consumer to drop its state.
    func cancel(_ id: StreamID) {
        condition.lock()
        defer { condition.unlock() }
        if remove(id) {
            cancelled.append(id)
            condition.broadcast()
        }
    }

    private func remove(_ id: StreamID) -> Bool {  // caller holds the lock
        guard queues.removeValue(forKey: id) != nil else { return false }
        order.removeAll { $0 == id }
        return true
    }

    /// Drops every stream and ends the consumer's `take` loop.
    func shutDown() {
        condition.lock()
        isShutDown = true
        queues.removeAll()
        order.removeAll()
        cancelled.removeAll()
        condition.broadcast()
        condition.unlock()
    }

    // MARK: Observation (tests)

    /// Frames queued for the stream and not yet taken.
    func queuedFrameCount(_ id: StreamID) -> Int {
        condition.lock()
        defer { condition.unlock() }
        return queues[id]?.frameCount ?? 0
    }

    /// Waits until the stream has at least `count` frames queued; false on timeout.
    func waitForQueuedFrames(_ id: StreamID, count: Int, timeout: TimeInterval) -> Bool {
        let deadline = Date(timeIntervalSinceNow: timeout)
        condition.lock()
        defer { condition.unlock() }
        while (queues[id]?.frameCount ?? 0) < count {
            if !condition.wait(until: deadline) { return (queues[id]?.frameCount ?? 0) >= count }
        }
        return true
    }
}
