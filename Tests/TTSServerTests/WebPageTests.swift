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
        for name in ["wav.js", "voices.js"] {
            #expect(page.text.contains("<script src=\"\(name)\"></script>"))
            #expect(try httpRequest(port: port, path: "/" + name).headers["content-type"] == "text/javascript; charset=utf-8")
        }
        // The product's controls: language, model and voice selects, upload (file and microphone),
        // speed, player and download, live typing, the demo banner, the key prompt, the figures.
        for id in ["language", "model", "voice", "voice-file", "record", "speed", "player", "download", "live",
                   "demo-banner", "key-form", "key", "speak", "stop", "first-audio", "rtf", "format"] {
            #expect(page.text.contains("id=\"\(id)\""), "no #\(id) in the page")
        }
        #expect(page.text.contains("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"))
        #expect(page.text.contains("<audio id=\"player\" controls"))
        #expect(page.text.contains("download=\"pocket-tts.wav\""))
        #expect(page.text.contains("type=\"range\" min=\"0.5\" max=\"2\""))
        // Text goes in pieces below the service's max_text_message_chars; speed and model in the config.
        #expect(script.text.contains("PIECE_CHARACTERS = 2000") && script.text.contains("config.speed")
            && script.text.contains("config.model") && script.text.contains("config.language"))
        let voices = try httpRequest(port: port, path: "/voices.js").text
        #expect(voices.contains("\"/v1/voices\"") && voices.contains("MediaRecorder") && voices.contains("response.status === 401")
            && voices.contains("m.demo"))
        let wav = try httpRequest(port: port, path: "/wav.js").text
        #expect(wav.contains("\"RIFF\"") && wav.contains("\"WAVE\"") && wav.contains("MAX_KEPT_SECONDS"))
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

    @Test func demoWeightsAreListedForTheBanner() throws {
        let service = try startService(engine: FakeSpeechEngine(voices: ["alba"]))
        defer { service.stop() }
        let port = try #require(service.port)
        #expect(try !httpRequest(port: port, path: "/api/voices").text.contains("demo"))
        var demo = ServedModel(modelName: "english_7m_2026-10")
        demo.demo = true
        service.attach(engine: FakeSpeechEngine(voices: ["alba"]), models: [demo])
        let answer = try httpRequest(port: port, path: "/api/voices")
        #expect(answer.text.contains(#""models":[{"name":"english_7m_2026-10","default":true,"demo":true,"languages":["en"],"#))
        #expect(try httpRequest(port: port, path: "/v1/models").text.contains(#""id":"english_7m_2026-10","object":"model","#
            + #""created":0,"owned_by":"kyutai","default":true,"demo":true,"#))
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
