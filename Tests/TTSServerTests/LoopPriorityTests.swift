import Foundation
import Testing
@testable import TTSServer
#if canImport(Glibc)
import Glibc
#endif

/// The event-loop thread runs `LoopPriority.boost` nice levels above the process where it may
/// (CAP_SYS_NICE: the test runs as root in CI), and says whether it does.
@Suite struct LoopPriorityTests {
    @Test func theLoopThreadRunsAboveTheProcessWherePermitted() throws {
        let server = WebSocketServer(configuration: .init(host: "127.0.0.1", port: 0), handlers: .init())
        try server.start()
        defer { server.stop() }
        let tid = server.loopThreadID
        #expect(tid > 0)
        #expect(tid != LoopPriority.currentThreadID())
        let process = try #require(LoopPriority.nice(ofThread: Int32(getpid())))
        let loop = try #require(LoopPriority.nice(ofThread: tid))
        if server.loopPriorityRaised {
            #expect(loop == max(-20, process - LoopPriority.boost))
        } else {
            #expect(loop == process)
            #expect(geteuid() != 0)  // root may always raise it
        }
    }
}
