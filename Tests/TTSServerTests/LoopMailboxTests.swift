import Foundation
import Synchronization
import Testing
@testable import TTSServer

/// The mailbox is bounded: posters on other threads wait for room; the loop thread never waits.
@Suite struct LoopMailboxTests {
    @Test func postersWaitWhileTheMailboxIsFull() throws {
        let mailbox = LoopMailbox(capacity: 2)
        mailbox.open(waker: LoopWaker())
        #expect(mailbox.post(.run {}) && mailbox.post(.run {}))
        let third = Atomic<Int>(0)  // 0 waiting, 1 posted, 2 refused
        let thread = Thread { third.store(mailbox.post(.run {}) ? 1 : 2, ordering: .releasing) }
        thread.start()
        #expect(eventually { mailbox.waitingPosters == 1 })
        #expect(third.load(ordering: .acquiring) == 0)
        #expect(mailbox.take().count == 2)
        #expect(eventually { third.load(ordering: .acquiring) == 1 })
        #expect(mailbox.take().count == 1)
    }

    @Test func theLoopThreadNeverWaits() {
        let mailbox = LoopMailbox(capacity: 1)
        mailbox.open(waker: LoopWaker())
        mailbox.enterLoopThread()  // this thread plays the loop
        for _ in 0..<5 { #expect(mailbox.post(.timer(seconds: 1) {})) }
        #expect(mailbox.take().count == 5)
    }

    @Test func closingReleasesWaitingPosters() {
        let mailbox = LoopMailbox(capacity: 1)
        mailbox.open(waker: LoopWaker())
        #expect(mailbox.post(.run {}))
        let result = Atomic<Int>(0)
        Thread { result.store(mailbox.post(.run {}) ? 1 : 2, ordering: .releasing) }.start()
        #expect(eventually { mailbox.waitingPosters == 1 })
        mailbox.close()
        #expect(eventually { result.load(ordering: .acquiring) == 2 })  // refused, not queued
        #expect(mailbox.take().isEmpty)
        #expect(!mailbox.post(.run {}))
    }
}
