// SpeechWorkQueue.swift: one serial worker for a speech engine's slow steps (tokenizing a
// turn's text), so that they never run on the event-loop thread. Serial: the work of one turn
// runs in the order it was submitted (its chunks reach the engine in order, its finish after
// them). Bounded: `submit` refuses work beyond `capacity` pending items instead of growing.
import Dispatch
import Synchronization

final class SpeechWorkQueue: Sendable {
    /// Items that may wait or run at once.
    let capacity: Int
    private let queue: DispatchQueue
    private let pending = Atomic<Int>(0)

    init(label: String = "pocket-tts.speech", capacity: Int) {
        precondition(capacity > 0, "SpeechWorkQueue: capacity must be positive")
        self.capacity = capacity
        queue = DispatchQueue(label: label)
    }

    /// Queues `work` behind everything submitted before; false (and `work` dropped) when
    /// `capacity` items are pending. Never blocks.
    func submit(_ work: @escaping @Sendable () -> Void) -> Bool {
        let count = pending.wrappingAdd(1, ordering: .acquiringAndReleasing).newValue
        guard count <= capacity else {
            pending.wrappingSubtract(1, ordering: .acquiringAndReleasing)
            return false
        }
        queue.async { [self] in
            work()
            pending.wrappingSubtract(1, ordering: .acquiringAndReleasing)
        }
        return true
    }

    /// Items waiting or running.
    var pendingCount: Int { pending.load(ordering: .acquiring) }
}
