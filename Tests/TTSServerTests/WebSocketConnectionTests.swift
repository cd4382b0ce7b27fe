import Synchronization
import Testing
@testable import TTSServer

final class WakeCounter: Sendable {
    private let count = Mutex(0)
    func increment() { count.withLock { $0 += 1 } }
    var value: Int { count.withLock { $0 } }
}

@Suite struct WebSocketConnectionTests {
    /// A connection whose wake-ups are counted instead of reaching an event loop.
    func makeConnection(capacity: Int, wakes: WakeCounter = WakeCounter()) -> WebSocketConnection {
        WebSocketConnection(id: 1, request: HTTPRequest(method: "GET", path: "/tts/ws"), outboxCapacity: capacity,
                            wake: { wakes.increment() })
    }

    @Test func outboxKeepsOrderBoundsMessagesAndCoalescesWakeUps() {
        let wakes = WakeCounter()
        let connection = makeConnection(capacity: 2, wakes: wakes)
        #expect(connection.send(text: "a") == .enqueued)
        #expect(connection.send(binary: [1]) == .enqueued)
        #expect(connection.send(text: "c") == .outboxFull)
        #expect(wakes.value == 1)  // one wake until the loop looks
        #expect(connection.pendingCount == 2)

        let outbox = connection.outbox
        #expect(outbox.takeWakeRequest() && !outbox.takeWakeRequest())
        #expect(outbox.next() == .message(.text("a")))
        #expect(connection.close(code: 4000, reason: "bye") == .enqueued)  // a close is never refused
        #expect(wakes.value == 2)
        #expect(connection.send(text: "late") == .closed)
        #expect(outbox.next() == .message(.binary([1])))
        #expect(outbox.next() == .close(code: 4000, reason: "bye"))
        #expect(outbox.next() == nil && outbox.isEmpty)
    }

    @Test func shutDownDropsPendingItems() {
        let connection = makeConnection(capacity: 8)
        connection.send(text: "never written")
        connection.outbox.shutDown()
        #expect(connection.outbox.next() == nil)
        #expect(connection.send(text: "x") == .closed && connection.close() == .closed)
    }

    @Test func longQueuesCompactWithoutLosingItems() {
        let connection = makeConnection(capacity: 1000)
        for index in 0..<300 { connection.send(binary: [UInt8(index % 256)]) }
        for index in 0..<300 {
            #expect(connection.outbox.next() == .message(.binary([UInt8(index % 256)])))
            if index % 50 == 0 { connection.send(text: "\(index)") }
        }
        for index in stride(from: 0, to: 300, by: 50) { #expect(connection.outbox.next() == .message(.text("\(index)"))) }
        #expect(connection.outbox.isEmpty)
    }
}
