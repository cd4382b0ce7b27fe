import Foundation
import PocketTTS

/// What API callers ask of the producer thread.
enum ProducerCommand: Sendable {
    case open(StreamID, voice: FlowLM.State, options: GenerationOptions)
    case enqueue(StreamID, [TextChunk])
    case finish(StreamID)
    case cancel(StreamID)
}

/// The hand-off from API callers (any thread) to the producer thread, and the table of open
/// streams behind admission (`maxStreams`, the memory budget), the chunk cap and the API's errors. Posting never blocks; the
/// queue is bounded by the callers: at most `maxStreams` streams, each posting its own text.
/// The producer sleeps in `take` while it has nothing to do; `wake()` (a consumer freeing
/// room in a full frame queue) ends that sleep without a command.
final class CommandInbox: @unchecked Sendable {  // all state behind `condition`
    private struct Entry {
        let options: GenerationOptions
        /// Most tokens of one chunk: the engine's cap, or the stream's lower `tokenCap`.
        let tokenCap: Int
        /// The stream's share of the memory budget (`Engine.streamBytes`).
        let bytes: Int
        var finishing = false
    }

    private let condition = NSCondition()
    private let maxStreams: Int
    private let maxChunkTokens: Int
    private let memoryBudget: Int?
    /// The measured capacity (at most `maxStreams`), if any.
    private let capacity: CapacityMonitor?
    private var reservedBytes = 0  // of the open streams
    private var commands: [ProducerCommand] = []
    private var woken = false
    private var stopped = false
    private var streams: [StreamID: Entry] = [:]
    private var nextID: UInt64 = 1

    init(_ configuration: EngineConfiguration, capacity: CapacityMonitor? = nil) {
        self.capacity = capacity
        maxStreams = configuration.maxStreams
        maxChunkTokens = configuration.maxChunkTokens
        memoryBudget = configuration.memoryBudget
    }

    private func locked<R>(_ body: () throws(EngineError) -> R) throws(EngineError) -> R {
        condition.lock()
        defer { condition.unlock() }
        return try body()
    }

    private func post(_ command: ProducerCommand) {  // caller holds the lock
        commands.append(command)
        condition.signal()
    }

    // MARK: API side

    /// Admits a stream taking `bytes` of the memory budget (or throws `.atCapacity` when
    /// `maxStreams` are open, or the measured capacity, or the budget has no room for it; `.stopped`) and queues its opening.
    /// `prepare` runs under the lock with the new id before the command is posted (it opens
    /// the stream's frame queue: lock order inbox → hand-off, never the reverse).
    func open(voice: FlowLM.State, options: GenerationOptions, bytes: Int = 0,
              prepare: (StreamID) -> Void) throws(EngineError) -> StreamID {
        try locked { () throws(EngineError) -> StreamID in
            if stopped { throw .stopped }
            if streams.count >= min(maxStreams, capacity?.streams ?? maxStreams) { throw .atCapacity }
            if let memoryBudget, reservedBytes + bytes > memoryBudget { throw .atCapacity }
            let id = StreamID(rawValue: nextID)
            nextID += 1
            reservedBytes += bytes
            streams[id] = Entry(options: options, tokenCap: min(options.tokenCap ?? maxChunkTokens, maxChunkTokens),
                                bytes: bytes)
            prepare(id)
            capacity?.publish(active: streams.count)
            post(.open(id, voice: voice, options: options))
            return id
        }
    }

    /// The options of an open stream that still takes text.
    func options(of id: StreamID) throws(EngineError) -> GenerationOptions {
        try locked { () throws(EngineError) -> GenerationOptions in
            if stopped { throw .stopped }
            guard let entry = streams[id] else { throw .unknownStream }
            if entry.finishing { throw .streamFinished }
            return entry.options
        }
    }

    /// Bytes of the memory budget the open streams hold.
    var reservedMemory: Int {
        condition.lock()
        defer { condition.unlock() }
        return reservedBytes
    }

    /// Queues the chunks, or none of them: throws `.chunkTooLong` if one is above the stream's cap.
    func enqueue(_ chunks: [TextChunk], to id: StreamID) throws(EngineError) {
        try locked { () throws(EngineError) in
            if stopped { throw .stopped }
            guard let entry = streams[id] else { throw .unknownStream }
            if entry.finishing { throw .streamFinished }
            if let long = chunks.first(where: { $0.tokens.count > entry.tokenCap }) {
                throw .chunkTooLong(tokens: long.tokens.count, cap: entry.tokenCap)
            }
            if !chunks.isEmpty { post(.enqueue(id, chunks)) }
        }
    }

    /// Marks the stream finishing; false if it is not open.
    @discardableResult
    func finish(_ id: StreamID) -> Bool {
        condition.lock()
        defer { condition.unlock() }
        guard !stopped, streams[id]?.finishing == false else { return false }
        streams[id]?.finishing = true
        post(.finish(id))
        return true
    }

    /// Closes the stream now; false if it was not open.
    @discardableResult
    func cancel(_ id: StreamID) -> Bool {
        condition.lock()
        defer { condition.unlock() }
        guard !stopped, let entry = streams.removeValue(forKey: id) else { return false }
        reservedBytes -= entry.bytes
        capacity?.publish(active: streams.count)
        post(.cancel(id))
        return true
    }

    /// The stream ended (finished or failed): its slot is free.
    func release(_ id: StreamID) {
        condition.lock()
        if let entry = streams.removeValue(forKey: id) {
            reservedBytes -= entry.bytes
            capacity?.publish(active: streams.count)
        }
        condition.unlock()
    }

    /// Streams open and the bytes of the memory budget they hold, read together.
    var occupancy: (streams: Int, bytes: Int) {
        condition.lock()
        defer { condition.unlock() }
        return (streams.count, reservedBytes)
    }

    var openCount: Int {
        condition.lock()
        defer { condition.unlock() }
        return streams.count
    }

    /// Refuses everything from now on and ends the producer's `take` loop.
    func stop() {
        condition.lock()
        stopped = true
        streams.removeAll()
        reservedBytes = 0
        capacity?.publish(active: 0)
        commands.removeAll()
        condition.signal()
        condition.unlock()
    }

    // MARK: Producer side

    /// Ends the producer's current or next sleep in `take` (room was freed).
    func wake() {
        condition.lock()
        woken = true
        condition.signal()
        condition.unlock()
    }

    /// The pending commands, in order; when `idle`, first sleeps until a command, a `wake()` or
    /// `stop()`. nil once stopped.
    func take(idle: Bool) -> [ProducerCommand]? {
        condition.lock()
        defer { condition.unlock() }
        while idle && commands.isEmpty && !woken && !stopped { condition.wait() }
        if stopped { return nil }
        woken = false
        let taken = commands
        commands.removeAll(keepingCapacity: true)
        return taken
    }
}
