// LoopWaker.swift: wakes the event loop from other threads (libwebsockets' one thread-safe call).
import CWebSockets
import Synchronization

/// Calls `lws_cancel_service` while the context lives. The lock makes a wake-up and the
/// context's destruction exclusive: a late `send` after `stop` is a no-op, never a use after free.
/// Also keeps the sockets that asked for the wake-up, so that the loop looks at those only.
final class LoopWaker: Sendable {
    private let context = Mutex<UInt>(0)  // the lws_context address, 0 when there is none
    private let ready = Mutex<[UInt]>([])  // keys of sockets whose outbox has something new

    /// Wakes the loop for the socket `key` (its outbox has something to send).
    func wake(socket key: UInt) {
        ready.withLock { $0.append(key) }
        wake()
    }

    /// Loop side: the sockets woken for since the last call, each once, oldest first.
    func takeReady() -> [UInt] {
        let keys = ready.withLock { keys in
            defer { keys.removeAll(keepingCapacity: true) }
            return keys
        }
        var seen = Set<UInt>()
        return keys.filter { seen.insert($0).inserted }
    }

    func attach(_ context: OpaquePointer) {
        let address = UInt(bitPattern: Int(bitPattern: UnsafeRawPointer(context)))
        self.context.withLock { $0 = address }
    }
    func detach() { context.withLock { $0 = 0 } }
    func wake() {
        context.withLock { address in
            if let context = OpaquePointer(bitPattern: address) { lws_cancel_service(context) }
        }
    }
}
