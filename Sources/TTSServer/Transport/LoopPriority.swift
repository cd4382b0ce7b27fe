// LoopPriority.swift: the event-loop thread runs a few nice levels above the process (the engine's
// FlowLM and Mimi threads), so a socket that becomes readable is served at once even while the
// compute threads keep both cores busy. On a 2-core machine with three compute threads, a loop
// thread of the same weight waited up to ~50-65 ms for a core now and then (the 1M-message fuzz's
// late pongs). The loop's own work is small and bounded per pass, so the boost cannot starve the
// engine. Raising a priority needs CAP_SYS_NICE (root, or `--cap-add SYS_NICE` in a container);
// without it the thread keeps the process's priority and `WebSocketServer.loopPriorityRaised`
// says so (`serve` logs it).
#if canImport(Glibc)
import Glibc
#endif

enum LoopPriority {
    /// Nice levels the loop thread runs above the process.
    static let boost: Int32 = 5

    /// The calling thread's id (Linux: `/proc/thread-self` links to `PID/task/TID`; Glibc's
    /// `gettid` is not visible to Swift), 0 where unknown.
    static func currentThreadID() -> Int32 {
        var buffer = [CChar](repeating: 0, count: 64)
        let count = readlink("/proc/thread-self", &buffer, buffer.count - 1)
        guard count > 0 else { return 0 }
        let link = String(decoding: buffer.prefix(count).map { UInt8(bitPattern: $0) }, as: UTF8.self)
        return link.split(separator: "/").last.flatMap { Int32($0) } ?? 0
    }

    /// The nice value of thread `tid` (nil where unknown).
    static func nice(ofThread tid: Int32) -> Int32? {
        errno = 0
        let value = getpriority(__priority_which_t(PRIO_PROCESS.rawValue), id_t(tid))
        return errno == 0 ? value : nil
    }

    /// Raises the calling thread `boost` levels above its nice value; false when not permitted.
    static func raiseCurrentThread() -> Bool {
        let tid = currentThreadID()
        guard tid > 0, let current = nice(ofThread: tid) else { return false }
        return setpriority(__priority_which_t(PRIO_PROCESS.rawValue), id_t(tid), max(-20, current - boost)) == 0
    }
}
