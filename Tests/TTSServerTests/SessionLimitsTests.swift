import Foundation
import Testing
@testable import TTSServer

private struct CountingRandom: RandomNumberGenerator, Sendable {
    var count: UInt64 = 0
    mutating func next() -> UInt64 {
        count += 1
        return count
    }
}

private func makeMachine(idle: Double = 60, keepalive: Double = 100) -> SessionMachine {
    let configuration = SessionMachine.Configuration(voices: ["alba"], idleTimeout: idle, pingKeepalive: keepalive)
    return SessionMachine(configuration: configuration, random: CountingRandom(), now: 0)
}

private let ping = "{\"type\":\"ping\"}"
private let keepaliveClose = SessionMachine.Action.close(
    code: 1000, reason: "idle: no config, text or flush for 100 s (pings alone do not keep a session)")

/// What keeps a session open (fake clock), and the per-address session limit (end to end).
@Suite struct SessionLimitsTests {
    @Test func pingsAloneKeepASessionOnlyForTheKeepalive() {
        var m = makeMachine()
        for t in stride(from: 50.0, through: 99, by: 49) {
            _ = m.onNativeFrame(ping, now: t)
            #expect(m.onTick(now: t + 0.5) == [])
        }
        _ = m.onNativeFrame(ping, now: 99.5)
        #expect(m.onTick(now: 100) == [keepaliveClose])
        #expect(m.state == .closed)
    }

    @Test func workRestartsTheKeepalive() {
        var m = makeMachine()
        _ = m.onNativeFrame("{\"type\":\"config\",\"data\":{}}", now: 40)
        _ = m.onTurnRejected(turn: 1, error: .atCapacity, now: 40)  // counts: the client is trying
        _ = m.onNativeFrame(ping, now: 90)
        #expect(m.onTick(now: 139) == [])
        _ = m.onNativeFrame(ping, now: 139)
        #expect(m.onTick(now: 140) == [keepaliveClose])
    }

    @Test func pingsKeepASessionWhileATurnIsOpen() {
        var m = makeMachine()
        _ = m.onNativeFrame("{\"type\":\"config\",\"data\":{}}", now: 1)
        _ = m.onTurnStarted(turn: 1, now: 1)
        for t in stride(from: 50.0, through: 1000, by: 50) {
            _ = m.onNativeFrame(ping, now: t)
            #expect(m.onTick(now: t + 1) == [], "t = \(t)")
        }
        _ = m.onNativeFrame("{\"type\":\"cancel\"}", now: 1000)  // work; the turn is over
        _ = m.onNativeFrame(ping, now: 1050)
        #expect(m.onTick(now: 1099) == [])
        #expect(m.onTick(now: 1100) == [keepaliveClose])
    }

    @Test func theEndOfATurnCountsAsWork() {
        var m = makeMachine()
        _ = m.onNativeFrame("{\"type\":\"config\",\"data\":{}}", now: 1)
        _ = m.onTurnStarted(turn: 1, now: 1)
        _ = m.onNativeFrame("{\"type\":\"flush\"}", now: 2)
        _ = m.onEngine(.turnDone, turn: 1, now: 150)
        #expect(m.state == .awaitingConfig)
        _ = m.onNativeFrame(ping, now: 200)
        #expect(m.onTick(now: 249) == [])
        #expect(m.onTick(now: 250) == [keepaliveClose])
    }

    @Test func refusedOrMalformedMessagesDoNotCount() {
        var m = makeMachine(idle: 60)
        _ = m.onNativeFrame("{\"type\":\"speak\"}", now: 10)  // unknown type
        _ = m.onNativeFrame("{\"type\":\"text\",\"data\":{\"text\":\"Hi.\"}}", now: 20)  // before a config
        _ = m.onNativeFrame("{\"type\":\"flush\"}", now: 30)
        _ = m.onNativeFrame("{\"type\":\"config\",\"data\":{\"voice\":\"nobody\"}}", now: 40)
        #expect(m.onTick(now: 60) == [.close(code: 1000, reason: "idle timeout after 60 s")])
    }

    @Test func textAfterACancelIsDroppedAndDoesNotCount() {
        var m = makeMachine(idle: 60)
        _ = m.onNativeFrame("{\"type\":\"config\",\"data\":{}}", now: 1)
        _ = m.onTurnStarted(turn: 1, now: 1)
        _ = m.onNativeFrame("{\"type\":\"cancel\"}", now: 2)
        #expect(m.onNativeFrame("{\"type\":\"text\",\"data\":{\"text\":\"late\"}}", now: 50) == [])
        #expect(m.onTick(now: 62) == [.close(code: 1000, reason: "idle timeout after 60 s")])
    }

    // MARK: end to end

    @Test func sessionsPerAddressAreLimited() throws {
        let service = try startService(engine: FakeSpeechEngine()) { $0.maxSessionsPerAddress = 2 }
        defer { service.stop() }
        let port = try #require(service.port)
        let first = try TTSTestClient.connect(port: port)
        let second = try TTSTestClient.connect(port: port)
        let third = try TTSTestClient.connect(port: port)
        guard case .error("at_capacity", _) = try third.next() else { Issue.record("no at_capacity"); return }
        #expect(try third.next() == .close(code: 1013, reason: "at capacity: 2 sessions open from this address"))
        for client in [first, second] {
            try client.send(ping)
            #expect(try client.next() == .pong)
        }
        try first.webSocket.sendClose()
        _ = try first.expectClose()
        #expect(eventually { metricValue(service.metrics.render(), "pocket_tts_sessions") == 1 })
        let fourth = try TTSTestClient.connect(port: port)
        try fourth.send(ping)
        #expect(try fourth.next() == .pong)
    }

    @Test func noPerAddressLimitWhenZero() throws {
        let service = try startService(engine: FakeSpeechEngine()) { $0.maxSessionsPerAddress = 0; $0.maxSessions = 12 }
        defer { service.stop() }
        let port = try #require(service.port)
        let clients = try (0..<12).map { _ in try TTSTestClient.connect(port: port) }
        for client in clients {
            try client.send(ping)
            #expect(try client.next() == .pong)
        }
    }

    @Test func aSessionThatOnlyPingsIsClosed() throws {
        let service = try startService(engine: FakeSpeechEngine()) {
            $0.idleTimeoutSeconds = 30
            $0.pingKeepaliveSeconds = 0.3
        }
        defer { service.stop() }
        let client = try TTSTestClient.connect(port: try #require(service.port))
        for _ in 0..<40 {
            try client.send(ping)
            let message = try client.next()
            if case .close(let code, let reason) = message {
                #expect(code == 1000 && reason.contains("pings alone do not keep a session"))
                return
            }
            #expect(message == .pong)
            Thread.sleep(forTimeInterval: 0.05)
        }
        Issue.record("still open after 2 s of pings")
    }

    @Test func defaultsSizeSessionsAsCheap() {
        let config = ServerConfig()
        #expect(config.maxSessions == 256 && config.maxSessionsPerAddress == 8 && config.pingKeepaliveSeconds == 300)
        #expect(config.maxStreams == nil)  // auto: the engine's measured capacity, at most 256
        #expect(config.maxSessions >= ServerConfig.autoMaxStreams)
    }
}
