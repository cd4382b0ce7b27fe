// LoopMailbox.swift: work handed to the event-loop thread from any thread (`WebSocketServer.post`
// and `schedule(after:)`), run when `lws_cancel_service` wakes the loop.
//
// Bounded, with back-pressure: when `capacity` items wait, a poster on another thread waits
// until the loop has taken them. The main posters are the engine's consumer threads reporting
// audio, so a loop that falls behind slows generation down (the engine's own queues are
// bounded: its producer waits for its consumers) instead of piling frames up in memory. The
// loop thread itself never waits (it is the one that empties the mailbox): its own posts and
// timers go in beyond the bound. Closing the mailbox releases every waiting poster (their
// work is dropped). A poster must not hold a lock the loop thread may need while it posts.
import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Work handed to the loop thread from anywhere, run at the next wake-up.
final class LoopMailbox: @unchecked Sendable {
    // @unchecked: every mutable property is guarded by `condition`.
    enum Item: Sendable {
        case run(@Sendable () -> Void)
        case timer(seconds: Double, @Sendable () -> Void)
    }

    /// Items that may wait before posters on other threads wait.
    let capacity: Int
    private let condition = NSCondition()
    private var waker: LoopWaker?  // nil while the loop is not running: posts are refused
    private var items: [Item] = []
    private var loopThread: pthread_t?
    private var waiting = 0

    init(capacity: Int = 4096) {
        self.capacity = max(1, capacity)
    }

    func open(waker: LoopWaker) {
        locked {
            self.waker = waker
            items = []
        }
    }

    /// Called by the loop thread once it runs: its posts never wait.
    func enterLoopThread() { locked { loopThread = pthread_self() } }

    /// Refuses further posts, drops what waits and releases waiting posters.
    func close() {
        locked {
            waker = nil
            items = []
            loopThread = nil
            condition.broadcast()
        }
    }

    /// Queues `item` and wakes the loop; false (the item dropped) when the loop is not running.
    /// Waits while the mailbox is full, unless called on the loop thread.
    func post(_ item: Item) -> Bool {
        condition.lock()
        let onLoopThread = loopThread.map { pthread_equal($0, pthread_self()) != 0 } ?? false
        while !onLoopThread, waker != nil, items.count >= capacity {
            waiting += 1
            condition.wait()
            waiting -= 1
        }
        guard let waker else {
            condition.unlock()
            return false
        }
        // One wake-up per batch: the loop takes everything at once, so a mailbox that already
        // held items has a wake-up pending (hundreds of streams post a frame each every 80 ms).
        let wakes = items.isEmpty
        items.append(item)
        condition.unlock()
        if wakes { waker.wake() }
        return true
    }

    /// Loop side: everything posted so far.
    func take() -> [Item] {
        locked {
            defer {
                items.removeAll()
                condition.broadcast()
            }
            return items
        }
    }

    /// Posters waiting for room (tests and diagnostics).
    var waitingPosters: Int { locked { waiting } }

    private func locked<R>(_ body: () -> R) -> R {
        condition.lock()
        defer { condition.unlock() }
        return body()
    }
}
