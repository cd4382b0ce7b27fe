import Foundation
import Testing
@testable import TTSServer

/// Every malformed HTTP request gets an answer: the right status and a short JSON body, never
/// libwebsockets' HTML page or a connection dropped without a word (RequestScreen, in
/// CFrameGuard: the head of a connection's first request is screened before libwebsockets
/// parses it), and CONNECT or an HTTP/2 preface are refused at once.
@Suite(.serialized) struct MalformedHTTPTests {
    /// Sends `raw` on a fresh connection and reads the answer.
    private static func answer(_ raw: [UInt8], port: Int) throws -> TestHTTPResponse {
        let socket = try TestSocket(port: port, timeoutSeconds: 5)
        try socket.send(raw)
        return try readHTTPResponse(from: socket)
    }

    private static func expectJSONError(_ response: TestHTTPResponse, _ status: Int, _ what: String) {
        #expect(response.status == status, "\(what): \(response.status)")
        #expect(response.headers["content-type"] == "application/json", "\(what)")
        let body = String(decoding: response.body, as: UTF8.self)
        #expect(!body.lowercased().contains("<html"), "\(what): \(body)")
        #expect(jsonObject(response.body) != nil, "\(what): \(body)")
        #expect(response.body.count < 512, "\(what): \(response.body.count) bytes")
    }

    private static func request(_ head: String) -> [UInt8] { Array(head.utf8) }

    @Test func malformedHeadsGetJSONErrors() throws {
        let service = try startService(engine: nil)
        defer { service.stop() }
        let port = try #require(service.port)
        let long = String(repeating: "a", count: 5000)
        let cases: [(String, [UInt8], Int)] = [
            ("a 5 KB query", Self.request("GET /health?q=\(long) HTTP/1.1\r\nHost: x\r\n\r\n"), 414),
            ("a 5 KB WebSocket query", Self.request("GET /tts/ws?voice=\(long) HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\n\r\n"), 414),
            ("%00 in a query", Self.request("GET /health?x=%00 HTTP/1.1\r\nHost: x\r\n\r\n"), 400),
            ("bad percent-encoding", Self.request("GET /health?%zz HTTP/1.1\r\nHost: x\r\n\r\n"), 400),
            ("a truncated escape", Self.request("GET /health?x=%4 HTTP/1.1\r\nHost: x\r\n\r\n"), 400),
            ("1,000 headers", Self.request("GET /health HTTP/1.1\r\nHost: x\r\n"
                + (0..<1000).map { "X-H\($0): v\r\n" }.joined() + "\r\n"), 431),
            ("a 100 KB header", Self.request("GET /health HTTP/1.1\r\nHost: x\r\nX-Big: \(String(repeating: "b", count: 100_000))\r\n\r\n"), 431),
            ("an unknown method", Self.request("FROB /health HTTP/1.1\r\nHost: x\r\n\r\n"), 501),
            ("a lower-case method", Self.request("get /health HTTP/1.1\r\nHost: x\r\n\r\n"), 501),
            ("TRACE", Self.request("TRACE /health HTTP/1.1\r\nHost: x\r\n\r\n"), 405),
            ("HTTP/3.0", Self.request("GET /health HTTP/3.0\r\nHost: x\r\n\r\n"), 505),
        ]
        for (what, raw, status) in cases {
            Self.expectJSONError(try Self.answer(raw, port: port), status, what)
        }
        // The server still serves well-formed requests, on new connections as before.
        #expect(try httpRequest(port: port, path: "/health?x=%41%20ok").status == 200)
        #expect(try httpRequest(port: port, path: "/health?q=" + String(repeating: "a", count: 3000)).status == 200)
    }

    @Test func connectAndAnHTTP2PrefaceAreRefusedAtOnce() throws {
        let service = try startService(engine: nil)
        defer { service.stop() }
        let port = try #require(service.port)
        for (raw, status) in [("CONNECT example.com:443 HTTP/1.1\r\nHost: example.com:443\r\n\r\n", 405),
                              ("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n", 505)] {
            let started = Date()
            let socket = try TestSocket(port: port, timeoutSeconds: 5)
            try socket.send(Array(raw.utf8))
            Self.expectJSONError(try readHTTPResponse(from: socket), status, raw)
            #expect(socket.waitForEOF(), "\(raw): the connection stays open")
            #expect(Date().timeIntervalSince(started) < 2, "\(raw)")
        }
    }

    @Test func badJSONBodiesGetPreciseShortAnswers() throws {
        let service = try startService(engine: FakeSpeechEngine())
        defer { service.stop() }
        let port = try #require(service.port)
        func post(_ body: String) throws -> TestHTTPResponse {
            try httpRequest(port: port, method: "POST", path: "/v1/audio/speech", headers: ["Content-Type": "application/json"],
                            body: Array(body.utf8))
        }
        let big = "{\"model\":\"tts-1\",\"voice\":\"alba\",\"input\":\"" + String(repeating: "a", count: 2_000_000) + "\"}"
        let tooLarge = try post(big)
        Self.expectJSONError(tooLarge, 413, "a 2 MB body")

        let surrogate = try post("{\"model\":\"tts-1\",\"voice\":\"alba\",\"input\":\"a \\ud800 b\"}")
        Self.expectJSONError(surrogate, 400, "a lone surrogate")
        #expect(String(decoding: surrogate.body, as: UTF8.self).contains("ud800"))

        let voice = String(repeating: "v", count: 100_000)
        let longVoice = try post("{\"model\":\"tts-1\",\"voice\":\"\(voice)\",\"input\":\"Hello.\"}")
        #expect(longVoice.status == 400)
        #expect(longVoice.body.count < 2048, "a 100 KB voice name came back as \(longVoice.body.count) bytes")
    }

    @Test func chunkedRequestBodiesAreRead() throws {
        let service = try startService(engine: FakeSpeechEngine())
        defer { service.stop() }
        let port = try #require(service.port)
        let json = "{\"model\":\"tts-1\",\"voice\":\"alba\",\"input\":\"Hello there, world.\",\"response_format\":\"pcm\"}"
        let bytes = Array(json.utf8)
        var body = ""
        for start in stride(from: 0, to: bytes.count, by: 10) {
            let piece = bytes[start..<min(bytes.count, start + 10)]
            body += String(piece.count, radix: 16) + ";ext=1\r\n" + String(decoding: piece, as: UTF8.self) + "\r\n"
        }
        body += "0\r\nX-Trailer: yes\r\n\r\n"
        let socket = try TestSocket(port: port, timeoutSeconds: 10)
        try socket.send("POST /v1/audio/speech HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                        + "Transfer-Encoding: chunked\r\n\r\n" + body)
        let response = try readHTTPResponse(from: socket)
        #expect(response.status == 200)
        #expect(response.headers["content-type"] == "audio/pcm")

        let bad = try TestSocket(port: port, timeoutSeconds: 10)
        try bad.send("POST /v1/audio/speech HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n")
        Self.expectJSONError(try readHTTPResponse(from: bad), 400, "bad chunk framing")
    }

    @Test func bodiesMustBeDeclared() throws {
        let service = try startService(engine: FakeSpeechEngine()) { $0.maxVoiceUploadBytes = 1 << 20 }
        defer { service.stop() }
        let port = try #require(service.port)
        let json = "{\"model\":\"tts-1\",\"voice\":\"alba\",\"input\":\"Hi.\"}"
        let cases: [(String, String, Int)] = [
            ("a POST without a length", "POST /v1/audio/speech HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n\r\n\(json)", 411),
            ("a PUT without a length", "PUT /v1/voices HTTP/1.1\r\nHost: x\r\n\r\n", 411),
            ("a length that is not a number", "POST /v1/audio/speech HTTP/1.1\r\nHost: x\r\nContent-Length: abc\r\n\r\n", 400),
            ("a negative length", "POST /v1/audio/speech HTTP/1.1\r\nHost: x\r\nContent-Length: -5\r\n\r\n", 400),
            ("two lengths", "POST /v1/audio/speech HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\nContent-Length: 3\r\n\r\n{}", 400),
            ("a length and chunks", "POST /v1/audio/speech HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\nTransfer-Encoding: chunked\r\n\r\n", 400),
            ("a transfer coding we cannot read", "POST /v1/audio/speech HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: gzip\r\n\r\n", 501),
            // Over the bound (here 1 MiB + 64 KiB): refused at once, without waiting for the body.
            ("a declared 50 MB body", "POST /v1/voices HTTP/1.1\r\nHost: x\r\nContent-Length: 50000000\r\n\r\n{", 413),
        ]
        for (what, raw, status) in cases {
            Self.expectJSONError(try Self.answer(Self.request(raw), port: port), status, what)
        }
        // Our own errors are JSON too.
        Self.expectJSONError(try httpRequest(port: port, path: "/nowhere"), 404, "an unknown path")
        Self.expectJSONError(try httpRequest(port: port, method: "PUT", path: "/health", body: [1]), 405, "PUT /health")
    }

    @Test func everyRequestOfAKeepAliveConnectionIsScreened() throws {
        let service = try startService(engine: FakeSpeechEngine())
        defer { service.stop() }
        let port = try #require(service.port)
        let health = "GET /health HTTP/1.1\r\nHost: x\r\n\r\n"
        let json = "{\"input\":\"\"}"
        let firsts = [
            health,
            "POST /v1/audio/speech HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: \(json.utf8.count)\r\n\r\n\(json)",
        ]
        let seconds: [(String, String, Int)] = [
            ("bad percent-encoding", "GET /health?%zz HTTP/1.1\r\nHost: x\r\n\r\n", 400),
            ("%00", "GET /health?x=%00 HTTP/1.1\r\nHost: x\r\n\r\n", 400),
            ("an unknown method", "FROB /health HTTP/1.1\r\nHost: x\r\n\r\n", 501),
            ("CONNECT", "CONNECT example.com:443 HTTP/1.1\r\nHost: example.com\r\n\r\n", 405),
            ("an HTTP/2 preface", "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n", 505),
            ("a 5 KB query", "GET /health?q=\(String(repeating: "a", count: 5000)) HTTP/1.1\r\nHost: x\r\n\r\n", 414),
            ("1,000 headers", "GET /health HTTP/1.1\r\n" + (0..<1000).map { "X-H\($0): v\r\n" }.joined() + "\r\n", 431),
            ("a POST without a length", "POST /v1/audio/speech HTTP/1.1\r\nHost: x\r\n\r\n", 411),
        ]
        for first in firsts {
            for (what, second, status) in seconds {
                // One after the other, and pipelined (both in one write): the first is answered, then the second refused.
                for pipelined in [false, true] {
                    let socket = try TestSocket(port: port, timeoutSeconds: 5)
                    try socket.send(first + (pipelined ? second : ""))
                    let answer = try readHTTPResponse(from: socket)
                    #expect(answer.status == 200 || answer.status == 400, "\(what): the first request got \(answer.status)")
                    #expect(!String(decoding: answer.body, as: UTF8.self).contains("<html"))
                    if !pipelined { try socket.send(second) }
                    Self.expectJSONError(try readHTTPResponse(from: socket), status, "\(what) after \(first.prefix(20))"
                                         + (pipelined ? ", pipelined" : ""))
                    #expect(socket.waitForEOF(), "\(what): the connection stays open")
                }
            }
        }
        // Good requests after good ones are served on the same connection.
        let socket = try TestSocket(port: port, timeoutSeconds: 5)
        try socket.send("POST /v1/audio/speech HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\n\r\n{}" + health + health)
        #expect(try readHTTPResponse(from: socket).status == 400)  // {} has no input
        #expect(try readHTTPResponse(from: socket).status == 200)
        #expect(try readHTTPResponse(from: socket).status == 200)
    }

    /// libwebsockets 4.1 calls HTTP_BODY_COMPLETION in a loop for a request with a body pipelined
    /// behind another on a keep-alive connection; `completeBody` ends that loop, so the event loop
    /// keeps serving everyone else and each connection gets its first answer.
    @Test func aPipelinedBodyDoesNotHoldTheLoop() throws {
        let service = try startService(engine: FakeSpeechEngine())
        defer { service.stop() }
        let port = try #require(service.port)
        let health = "GET /health HTTP/1.1\r\nHost: x\r\n\r\n"
        let post = "POST /v1/audio/speech HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 2\r\n\r\n{}"
        for (first, second, status) in [(health, post, 200), (post, health, 400), (post, post, 400)] {
            let socket = try TestSocket(port: port, timeoutSeconds: 5)
            try socket.send(first + second)
            #expect(try readHTTPResponse(from: socket).status == status, "\(first.prefix(4)) then \(second.prefix(4))")
            // Another client is served meanwhile (before the fix: no answer, the loop spinning).
            let other = try TestSocket(port: port, timeoutSeconds: 3)
            try other.send(health)
            #expect(try readHTTPResponse(from: other).status == 200, "\(first.prefix(4)) then \(second.prefix(4))")
        }
    }
}
