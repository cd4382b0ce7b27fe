import Foundation
import Testing
@testable import TTSServer

/// The browser page at `/` (Clients/web, compiled in as `WebAssets`) and `/api/voices`.
@Suite struct WebPageTests {
    static let webDirectory = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("Clients/web")

    @Test func compiledAssetsMatchClientsWeb() throws {
        let names = try FileManager.default.contentsOfDirectory(atPath: Self.webDirectory.path)
            .filter { name in [".html", ".js", ".css"].contains { name.hasSuffix($0) } }
        #expect(Set(names) == Set(WebAssets.files.keys), "run Scripts/embed-web.py")
        for name in names {
            let onDisk = try String(contentsOf: Self.webDirectory.appendingPathComponent(name), encoding: .utf8)
            #expect(WebAssets.files[name]?.text == onDisk, "\(name) changed: run Scripts/embed-web.py")
        }
    }

    @Test func servesThePageAndItsFiles() throws {
        let service = try startService(engine: FakeSpeechEngine())
        defer { service.stop() }
        let port = try #require(service.port)
        let page = try httpRequest(port: port, path: "/")
        #expect(page.status == 200)
        #expect(page.headers["content-type"] == "text/html; charset=utf-8")
        #expect(page.text == WebAssets.files["index.html"]?.text)
        #expect(page.text.contains("<script src=\"app.js\"></script>"))
        let script = try httpRequest(port: port, path: "/app.js")
        #expect(script.status == 200 && script.headers["content-type"] == "text/javascript; charset=utf-8")
        #expect(script.text.contains("AudioDecoder") && script.text.contains("\"cancel\""))
        #expect(try httpRequest(port: port, path: "/style.css").headers["content-type"] == "text/css; charset=utf-8")
        #expect(try httpRequest(port: port, path: "/missing.js").status == 404)
        #expect(try httpRequest(port: port, path: "/index.html").text == page.text)
    }

    @Test func voiceListIsJSON() throws {
        let service = try startService(engine: FakeSpeechEngine(voices: ["marius", "alba"])) { $0.defaultVoice = "alba" }
        defer { service.stop() }
        let answer = try httpRequest(port: try #require(service.port), path: "/api/voices")
        #expect(answer.status == 200)
        #expect(answer.headers["content-type"] == "application/json")
        #expect(answer.text == #"{"voices":["alba","marius"],"default":"alba","models":[{"name":"english","default":true,"#
            + #""languages":["en"],"default_voice":"alba","voices":["alba","marius"]}]}"#)
    }

    @Test func voiceListWaitsForTheModel() throws {
        let service = try startService(engine: nil)
        defer { service.stop() }
        #expect(try httpRequest(port: try #require(service.port), path: "/api/voices").status == 503)
    }

    @Test func withKeysTheVoiceListAndSocketTakeTheQueryKey() throws {
        let service = try startService(engine: FakeSpeechEngine()) { $0.apiKeys = ["secret"] }
        defer { service.stop() }
        let port = try #require(service.port)
        #expect(try httpRequest(port: port, path: "/").status == 200)  // the page itself is open
        #expect(try httpRequest(port: port, path: "/api/voices").status == 401)
        #expect(try httpRequest(port: port, path: "/api/voices?api_key=wrong").status == 401)
        #expect(try httpRequest(port: port, path: "/api/voices?api_key=secret").status == 200)
        #expect(try TestWebSocket.connect(port: port, path: "/tts/ws").response.status == 401)
        #expect(try TestWebSocket.connect(port: port, path: "/tts/ws?api_key=wrong").response.status == 401)
        #expect(try TestWebSocket.connect(port: port, path: "/tts/ws?api_key=secret").response.status == 101)
    }
}
