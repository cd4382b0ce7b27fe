import Dispatch
import Foundation
import PocketTTS
import Synchronization
import Testing
import TTSEngine
@testable import TTSServer

/// Nothing slow on the event-loop thread: voices come from a table resolved at start (no file
/// read per turn), text is tokenized on a worker (pings are answered meanwhile), a turn's
/// chunks reach the engine in order, and a cancel drops what is queued.
@Suite(.serialized) struct LoopOffloadTests {
    /// The engine's text step, held until released: a tokenizer as slow as the test wants.
    final class SlowTextStep: Sendable {
        let engine: Engine
        let entered = DispatchSemaphore(value: 0)
        let release = DispatchSemaphore(value: 0)
        let texts = Mutex<[String]>([])

        init(engine: Engine) { self.engine = engine }

        func step(_ text: String, _ id: StreamID) throws(EngineError) -> Int {
            texts.withLock { $0.append(text) }
            entered.signal()
            release.wait()
            return try engine.enqueue(text: text, to: id)
        }

        func releaseAll() { for _ in 0..<64 { release.signal() } }
        func waitUntilEntered() -> Bool { entered.wait(timeout: .now() + 10) == .success }
    }

    /// A real engine over the tiny model, voice "alba", its text step `slow`.
    private func makeAdapter(maxQueuedSpeech: Int = 64) throws -> (Engine, SlowTextStep, EngineSpeechAdapter) {
        let (model, voice) = try TinyModel.load()
        let engine = Engine(model: model, configuration: EngineConfiguration(maxStreams: 2))
        engine.start()
        let slow = SlowTextStep(engine: engine)
        let adapter = EngineSpeechAdapter(
            engine: engine, voices: VoiceRegistry(library: nil, fixed: ["alba": voice]), opusBitrate: defaultOpusBitrate,
            maxQueuedSpeech: maxQueuedSpeech) { (text: String, id: StreamID) throws(EngineError) -> Int in try slow.step(text, id) }
        return (engine, slow, adapter)
    }

    @Test func pingsAreAnsweredWhileATurnIsBeingTokenized() throws {
        let (engine, slow, adapter) = try makeAdapter()
        defer { engine.stop() }
        defer { slow.releaseAll() }
        let service = try startService(engine: adapter)
        defer { service.stop() }
        let port = try #require(service.port)
        let speaker = try TTSTestClient.connect(port: port)
        try speaker.config("\"temperature\":0")
        _ = try speaker.expectAccepted()
        try speaker.text("Hello there.")
        try speaker.flush()
        #expect(slow.waitUntilEntered())  // the worker is in the slow step now
        try speaker.send("{\"type\":\"ping\"}")
        #expect(try speaker.next() == .pong)
        let other = try TTSTestClient.connect(port: port)
        try other.send("{\"type\":\"ping\"}")
        #expect(try other.next() == .pong)
        slow.releaseAll()
        #expect(try !speaker.collectTurn().audio.isEmpty)
    }

    @Test func aTurnsChunksReachTheEngineInOrder() throws {
        let (engine, slow, adapter) = try makeAdapter()
        defer { engine.stop() }
        slow.releaseAll()  // never held
        let recording = RecordingSpeechEngine(adapter)
        let service = try startService(engine: recording)
        defer { service.stop() }
        let client = try TTSTestClient.connect(port: try #require(service.port))
        try client.config("\"temperature\":0,\"max_tokens\":4")
        _ = try client.expectAccepted()
        try client.text("the quiet river runs past the old mill")
        try client.flush()
        _ = try client.collectTurn()
        let spoken = recording.chunks.withLock { $0 }
        #expect(spoken.count > 1)
        #expect(slow.texts.withLock { $0 } == spoken)
    }

    @Test func aCancelDropsTheTurnsQueuedChunks() throws {
        let (engine, slow, adapter) = try makeAdapter()
        defer { engine.stop() }
        defer { slow.releaseAll() }
        let recording = RecordingSpeechEngine(adapter)
        let service = try startService(engine: recording)
        defer { service.stop() }
        let client = try TTSTestClient.connect(port: try #require(service.port))
        try client.config("\"temperature\":0,\"max_tokens\":4")
        _ = try client.expectAccepted()
        try client.text("one two three four five six seven eight nine ten eleven twelve.")
        try client.flush()
        #expect(slow.waitUntilEntered())  // the first chunk is in the slow step, the rest queued
        try client.cancel()
        try client.send("{\"type\":\"ping\"}")
        #expect(try client.next() == .pong)  // the cancel was handled
        #expect(adapter.openTurnCount == 0)
        let first = try #require(recording.chunks.withLock { $0.first })
        #expect(recording.chunks.withLock { $0.count } > 1)
        slow.releaseAll()
        // The next turn's chunk is queued behind the cancelled turn's: once it reaches the
        // step, those were dropped without reaching it.
        try client.config("\"temperature\":0")
        _ = try client.expectAccepted()
        try client.text("Next.")
        try client.flush()
        #expect(try !client.collectTurn().audio.isEmpty)
        #expect(slow.texts.withLock { $0 } == [first, "Next."])
    }

    @Test func aFullSpeechQueueDropsTheTurnWithAtCapacity() throws {
        let (engine, slow, adapter) = try makeAdapter(maxQueuedSpeech: 2)
        defer { engine.stop() }
        defer { slow.releaseAll() }
        let service = try startService(engine: adapter)
        defer { service.stop() }
        let client = try TTSTestClient.connect(port: try #require(service.port))
        try client.config("\"temperature\":0,\"max_tokens\":4")
        _ = try client.expectAccepted()
        try client.text("one two three four five six seven eight nine ten eleven twelve.")
        try client.flush()  // the first chunk holds the worker; two queue; the next finds it full
        var codes: [String] = []
        for _ in 0..<20 {
            guard case .error(let code, _)? = try? client.next() else { continue }
            codes.append(code)
            break
        }
        #expect(codes == ["at_capacity"])
        slow.releaseAll()
        try client.send("{\"type\":\"ping\"}")
        // The session goes on (the flush may have come after the turn ended: invalid_type).
        var answers: [TTSTestClient.Message] = []
        while answers.last != .pong, answers.count < 5 { answers.append(try client.next()) }
        #expect(answers.last == .pong)
    }

    /// A voices directory with one good voice state and one broken file.
    private func voicesDirectory() throws -> URL {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("voices-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let good = TinyModel.fixtures.appendingPathComponent("reference/voice_state.safetensors")
        try FileManager.default.copyItem(at: good, to: directory.appendingPathComponent("good.safetensors"))
        try Data("not a safetensors file".utf8).write(to: directory.appendingPathComponent("broken.safetensors"))
        return directory
    }

    /// A service on the tiny model whose voices come from `voicesDirectory()`, resolved at start;
    /// `body` gets the directory, the registry and the port.
    private func withVoicesDirectoryService(_ body: (URL, VoiceRegistry, Int) throws -> Void) throws {
        let (model, _) = try TinyModel.load()
        let directory = try voicesDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let registry = VoiceRegistry(library: try VoiceLibrary(model: model, configuration: .init(directory: directory.path)))
        registry.reload()
        let engine = Engine(model: model, configuration: EngineConfiguration(maxStreams: 1))
        engine.start()
        defer { engine.stop() }
        let service = try startService(engine: EngineSpeechAdapter(engine: engine, voices: registry))
        defer { service.stop() }
        try body(directory, registry, try #require(service.port))
    }

    /// A directory voice is read on its first use (off the loop), then kept in memory: later
    /// turns need no file.
    @Test func turnsNeedNoVoiceFileOnceUsed() throws {
        try withVoicesDirectoryService { directory, _, port in
            let client = try TTSTestClient.connect(port: port)
            try client.config("\"voice\":\"broken\"")  // its header failed: not offered
            #expect(try client.next() == .error(code: "unknown_voice", message: "unknown voice \"broken\""))
            for round in 0..<2 {
                if round == 1 { try FileManager.default.removeItem(at: directory) }
                try client.config("\"voice\":\"good\",\"temperature\":0")
                _ = try client.expectAccepted()
                try client.text("Hi.")
                try client.flush()
                #expect(try !client.collectTurn().audio.isEmpty)
            }
        }
    }

    @Test func aReloadOffersANewVoiceToNewSessions() throws {
        try withVoicesDirectoryService { directory, registry, port in
            try FileManager.default.copyItem(at: directory.appendingPathComponent("good.safetensors"),
                                             to: directory.appendingPathComponent("fresh.safetensors"))
            let before = try TTSTestClient.connect(port: port)
            try before.config("\"voice\":\"fresh\"")
            #expect(try before.next() == .error(code: "unknown_voice", message: "unknown voice \"fresh\""))
            #expect(registry.reload().loaded == ["fresh", "good"])  // what SIGHUP does, off the loop
            let after = try TTSTestClient.connect(port: port)
            try after.config("\"voice\":\"fresh\",\"temperature\":0")
            _ = try after.expectAccepted()
            try after.text("Hi.")
            try after.flush()
            #expect(try !after.collectTurn().audio.isEmpty)
        }
    }

    #if DEBUG
    @Test func loopWorkOverAMillisecondIsReported() throws {
        let reports = Mutex<[String]>([])
        var handlers = WebSocketServer.Handlers()
        handlers.http = { _ in
            Thread.sleep(forTimeInterval: 0.005)  // slow work on the loop thread
            return HTTPResponse(status: 200, text: "ok\n")
        }
        handlers.slowWork = { what, seconds in reports.withLock { $0.append("\(what) \(seconds >= 0.005)") } }
        let server = WebSocketServer(configuration: .init(), handlers: handlers)
        try server.start()
        defer { server.stop() }
        #expect(try httpRequest(port: try #require(server.port), path: "/slow").status == 200)
        #expect(reports.withLock { $0 }.contains("libwebsockets callback HTTP (a request) true"))
        server.post { Thread.sleep(forTimeInterval: 0.005) }
        let line = #line - 1
        #expect(eventually { reports.withLock { $0 }.contains("work posted at TTSServerTests/LoopOffloadTests.swift:\(line) true") })
    }
    #endif
}
