import Foundation
import Synchronization
import Testing
@testable import TTSServer

/// What the server's handlers saw, recorded from the loop thread; tests wait on it.
final class ServerLog: @unchecked Sendable {
    enum Event: Equatable {
        case http(HTTPRequest)
        case upgrade(HTTPRequest)
        case open(UInt64)
        case message(UInt64, WebSocketMessage)
        case close(UInt64)
    }

    private let condition = NSCondition()
    private var events: [Event] = []
    private var connections: [WebSocketConnection] = []

    func record(_ event: Event, connection: WebSocketConnection? = nil) {
        condition.lock()
        events.append(event)
        if let connection { connections.append(connection) }
        condition.broadcast()
        condition.unlock()
    }

    var snapshot: [Event] {
        condition.lock()
        defer { condition.unlock() }
        return events
    }

    /// Waits (at most 2 s) until `predicate` holds for the events so far.
    @discardableResult
    func wait(until predicate: ([Event]) -> Bool) -> Bool {
        let deadline = Date().addingTimeInterval(2)
        condition.lock()
        defer { condition.unlock() }
        while !predicate(events) {
            if !condition.wait(until: deadline) { return predicate(events) }
        }
        return true
    }

    /// The first connection opened, once it is open.
    func firstConnection() -> WebSocketConnection? {
        wait { $0.contains { if case .open = $0 { return true } else { return false } } }
        condition.lock()
        defer { condition.unlock() }
        return connections.first
    }
}

/// A server on 127.0.0.1:0 whose upgrades need "Authorization: Bearer secret" and whose
/// WebSocket messages are echoed back.
func makeServer(_ log: ServerLog, maxMessageBytes: Int = 1 << 20) throws -> WebSocketServer {
    var handlers = WebSocketServer.Handlers()
    handlers.http = { request in
        log.record(.http(request))
        switch request.path {
        case "/health":
            return HTTPResponse(status: 200, text: "ok key=\(request.header("X-API-Key") ?? "-") "
                + "auth=\(request.header("authorization") ?? "-") verbose=\(request.query["verbose"] ?? "-")")
        case "/echo":
            return HTTPResponse(status: 200, contentType: "application/octet-stream", body: request.body.reversed())
        default:
            return .notFound
        }
    }
    handlers.upgrade = { request in
        log.record(.upgrade(request))
        guard request.path == "/tts/ws" else { return .notFound }
        guard request.header("Authorization") == "Bearer secret" else {
            return HTTPResponse(status: 401, text: "unauthorized\n", headers: ["WWW-Authenticate": "Bearer"])
        }
        return nil
    }
    handlers.open = { log.record(.open($0.id), connection: $0) }
    handlers.message = { connection, message in
        log.record(.message(connection.id, message))
        connection.send(message)
    }
    handlers.close = { log.record(.close($0.id)) }
    let server = WebSocketServer(
        configuration: .init(host: "127.0.0.1", port: 0, maxMessageBytes: maxMessageBytes), handlers: handlers)
    try server.start()
    return server
}

let authorized = ["Authorization": "Bearer secret"]

/// An authorized WebSocket client on `/tts/ws`.
func openClient(_ server: WebSocketServer) throws -> TestWebSocket {
    let port = try #require(server.port)
    let (response, client) = try TestWebSocket.connect(port: port, path: "/tts/ws", headers: authorized)
    #expect(response.status == 101)
    return try #require(client)
}

@Suite struct WebSocketServerTests {
    @Test func httpRequestsReachTheHandler() throws {
        let log = ServerLog()
        let server = try makeServer(log)
        defer { server.stop() }
        let port = try #require(server.port)
        #expect(port > 0)

        let health = try httpRequest(port: port, path: "/health?verbose=1",
                                     headers: ["X-API-Key": "k123", "Authorization": "Bearer abc"])
        #expect(health.status == 200)
        #expect(health.headers["content-type"] == "text/plain; charset=utf-8")
        #expect(health.text == "ok key=k123 auth=Bearer abc verbose=1")
        guard case .http(let request) = log.snapshot.first else { Issue.record("no request seen"); return }
        #expect(request.method == "GET" && request.path == "/health" && !request.isWebSocketUpgrade)
        #expect(request.peer == "127.0.0.1")

        #expect(try httpRequest(port: port, path: "/missing").status == 404)
        let echo = try httpRequest(port: port, method: "POST", path: "/echo", body: Array("hello".utf8))
        #expect(echo.status == 200 && echo.text == "olleh")
        let big = (0..<100_000).map { UInt8(truncatingIfNeeded: $0 * 7) }  // several writeable chunks
        #expect(try httpRequest(port: port, method: "POST", path: "/echo", body: big).body == big.reversed())
    }

    @Test func unauthorizedUpgradeIsRefusedBeforeTheHandshake() throws {
        let log = ServerLog()
        let server = try makeServer(log)
        defer { server.stop() }
        let port = try #require(server.port)

        let (refused, noClient) = try TestWebSocket.connect(port: port, path: "/tts/ws")
        #expect(refused.status == 401 && noClient == nil)
        #expect(refused.version == "HTTP/1.1")  // WebSocket clients reject an HTTP/1.0 answer
        #expect(refused.text == "unauthorized\n")
        #expect(refused.headers["www-authenticate"] == "Bearer")
        #expect(try TestWebSocket.connect(port: port, path: "/other", headers: authorized).response.status == 404)

        let (accepted, client) = try TestWebSocket.connect(port: port, path: "/tts/ws?voice=alba", headers: authorized)
        #expect(accepted.status == 101 && client != nil)
        let connection = try #require(log.firstConnection())
        #expect(connection.request.path == "/tts/ws" && connection.request.query["voice"] == "alba")
        #expect(connection.request.isWebSocketUpgrade)
        #expect(log.snapshot.filter { if case .open = $0 { return true } else { return false } }.count == 1)
    }

    @Test func echoRoundTripTextBinaryAndFragments() throws {
        let log = ServerLog()
        let server = try makeServer(log)
        defer { server.stop() }
        let client = try openClient(server)
        try client.send(text: "héllo")
        #expect(try client.receive() == .message(.text("héllo")))
        try client.send(binary: [0, 1, 2, 255])
        #expect(try client.receive() == .message(.binary([0, 1, 2, 255])))

        try client.send(opcode: 1, Array("frag".utf8), fin: false)
        try client.send(opcode: 0, Array("men".utf8), fin: false)
        try client.send(opcode: 0, Array("ted".utf8))
        #expect(try client.receive() == .message(.text("fragmented")))

        let large = (0..<200_000).map { UInt8(truncatingIfNeeded: $0 &* 31) }  // > the 64 KiB rx buffer
        try client.send(binary: large)
        #expect(try client.receive() == .message(.binary(large)))
        let id = try #require(log.firstConnection()).id
        #expect(log.snapshot.contains(.message(id, .text("fragmented"))))

        try client.sendClose()  // a client-initiated close is answered and reported
        #expect(try client.receive() == .close(code: 1000, reason: ""))
        #expect(client.socket.waitForEOF())
        #expect(log.wait { $0.contains(.close(id)) })
    }

    @Test func oversizedMessageClosesTheConnection() throws {
        let log = ServerLog()
        let server = try makeServer(log, maxMessageBytes: 1024)
        defer { server.stop() }
        let client = try openClient(server)
        try client.send(binary: [UInt8](repeating: 7, count: 1024))  // at the limit: fine
        #expect(try client.receive() == .message(.binary([UInt8](repeating: 7, count: 1024))))
        try client.send(binary: [UInt8](repeating: 7, count: 2000))
        #expect(try client.receive() == .close(code: 1009, reason: "message exceeds 1024 bytes"))
        try client.sendClose()
        #expect(client.socket.waitForEOF())
        let id = try #require(log.firstConnection()).id
        #expect(log.wait { $0.contains(.close(id)) })
    }

    @Test func messagesAndClosesFromOtherThreadsWakeTheLoop() throws {
        let log = ServerLog()
        let server = try makeServer(log)
        defer { server.stop() }
        let client = try openClient(server)
        let connection = try #require(log.firstConnection())

        let sender = Thread {
            for index in 0..<5 { connection.send(text: "pushed \(index)") }
            connection.send(binary: [9, 8, 7])
            connection.close(code: 4001, reason: "done")
        }
        sender.start()
        for index in 0..<5 { #expect(try client.receive() == .message(.text("pushed \(index)"))) }
        #expect(try client.receive() == .message(.binary([9, 8, 7])))
        #expect(try client.receive() == .close(code: 4001, reason: "done"))
        #expect(connection.send(text: "too late") == .closed)
        try client.sendClose()
        #expect(client.socket.waitForEOF())
        #expect(log.wait { $0.contains(.close(connection.id)) })
    }

    @Test func stopClosesConnectionsAndReleasesThePort() throws {
        let log = ServerLog()
        let server = try makeServer(log)
        let port = try #require(server.port)
        let client = try #require(try TestWebSocket.connect(port: port, path: "/tts/ws", headers: authorized).client)
        let connection = try #require(log.firstConnection())

        server.stop()
        #expect(!server.isRunning && server.port == nil)
        #expect(log.snapshot.contains(.close(connection.id)))  // the close handler ran before stop returned
        #expect(connection.send(text: "after stop") == .closed)
        #expect(client.socket.waitForEOF())
        #expect(throws: TestClientError.self) { try TestSocket(port: port) }
    }

    @Test func postedWorkAndTimersRunOnTheLoopThread() throws {
        let log = ServerLog()
        let server = try makeServer(log)
        let ran = Mutex<[String]>([])
        let started = Date()
        let fired = Mutex<Double?>(nil)
        #expect(server.schedule(after: 0.2) { fired.withLock { $0 = Date().timeIntervalSince(started) } })
        #expect(server.post { ran.withLock { $0.append("posted") } })
        let loopThread = Mutex<Bool?>(nil)
        server.post { loopThread.withLock { $0 = !Thread.isMainThread } }
        #expect(eventually { ran.withLock { $0 } == ["posted"] && loopThread.withLock { $0 } == true })
        #expect(eventually { fired.withLock { $0 } != nil })
        #expect(try #require(fired.withLock { $0 }) >= 0.19)
        server.schedule(after: 10) { ran.withLock { $0.append("never") } }  // pending at stop: dropped
        server.stop()
        #expect(!server.post { ran.withLock { $0.append("after stop") } })
        #expect(ran.withLock { $0 } == ["posted"])
    }

    @Test func writtenHandlerFollowsEachMessage() throws {
        let written = Mutex(0)
        var handlers = WebSocketServer.Handlers()
        handlers.open = { connection in for i in 0..<3 { connection.send(text: "m\(i)") } }
        handlers.written = { _ in written.withLock { $0 += 1 } }
        let server = WebSocketServer(configuration: .init(), handlers: handlers)
        try server.start()
        defer { server.stop() }
        let (_, client) = try TestWebSocket.connect(port: try #require(server.port), path: "/tts/ws")
        let socket = try #require(client)
        for i in 0..<3 { #expect(try socket.receive() == .message(.text("m\(i)"))) }
        #expect(eventually { written.withLock { $0 } == 3 })
    }

    @Test func busyPortIsATypedError() throws {
        let first = try makeServer(ServerLog())
        defer { first.stop() }
        let port = try #require(first.port)
        let second = WebSocketServer(configuration: .init(host: "127.0.0.1", port: port), handlers: .init())
        #expect(throws: WebSocketServerError.portInUse(host: "127.0.0.1", port: port)) { try second.start() }
        #expect(!second.isRunning)
        #expect(throws: WebSocketServerError.alreadyRunning) { try first.start() }
    }
}
