// LoopMailbox.swift: work handed to the event-loop thread from any thread (`WebSocketServer.post`
// and `schedule(after:)`), run when `lws_cancel_service` wakes the loop.
import Synchronization

/// Work handed to the loop thread from anywhere, run at the next wake-up.
final class LoopMailbox: Sendable {
    enum Item: Sendable {
        case run(@Sendable () -> Void)
        case timer(seconds: Double, @Sendable () -> Void)
    }

    private struct State {
        var waker: LoopWaker?  // nil while the loop is not running: posts are refused
        var items: [Item] = []
    }

    private let state = Mutex(State())

    func open(waker: LoopWaker) { state.withLock { $0 = State(waker: waker) } }
    func close() { state.withLock { $0 = State() } }

    func post(_ item: Item) -> Bool {
        let waker: LoopWaker? = state.withLock { state in
            guard let waker = state.waker else { return nil }
            state.items.append(item)
            return waker
        }
        waker?.wake()
        return waker != nil
    }

    /// Loop side: everything posted so far.
    func take() -> [Item] {
        state.withLock { state in
            defer { state.items.removeAll() }
            return state.items
        }
    }
}
