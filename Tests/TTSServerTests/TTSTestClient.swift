import Foundation
import Testing
@testable import TTSServer

/// A client of the native protocol over `TestWebSocket`: JSON messages out, parsed messages in.
final class TTSTestClient {
    enum Message: Equatable {
        case event(String, requestID: String)
        case audio([UInt8])
        case jsonAudio([UInt8], sampleRate: Int, format: String)
        case error(code: String, message: String)
        case pong
        case close(code: UInt16, reason: String)
    }

    let webSocket: TestWebSocket

    init(_ webSocket: TestWebSocket) { self.webSocket = webSocket }

    static func connect(port: Int, headers: [String: String] = [:], path: String = "/tts/ws",
                        receiveBufferBytes: Int32? = nil, from local: String? = nil) throws -> TTSTestClient {
        let (response, client) = try TestWebSocket.connect(port: port, path: path, headers: headers, receiveBufferBytes: receiveBufferBytes,
                                                           from: local)
        guard response.status == 101, let client else { throw TestClientError.malformed("status \(response.status): \(response.text)") }
        return TTSTestClient(client)
    }

    func send(_ json: String) throws { try webSocket.send(text: json) }
    /// `fields` is the inside of the data object, e.g. `"format":"pcm_f32"`.
    func config(_ fields: String = "") throws { try send("{\"type\":\"config\",\"data\":{\(fields)}}") }
    func text(_ text: String) throws {
        let data = try JSONSerialization.data(withJSONObject: ["type": "text", "data": ["text": text]])
        try send(String(decoding: data, as: UTF8.self))
    }
    func flush() throws { try send("{\"type\":\"flush\"}") }
    func cancel() throws { try send("{\"type\":\"cancel\"}") }

    func next() throws -> Message {
        switch try webSocket.receive() {
        case .close(let code, let reason):
            return .close(code: code, reason: reason)
        case .message(.binary(let bytes)):
            return .audio(bytes)
        case .message(.text(let text)):
            guard let object = try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any],
                  let type = object["type"] as? String else { throw TestClientError.malformed(text) }
            let data = object["data"] as? [String: Any] ?? [:]
            switch type {
            case "event":
                return .event(data["event_type"] as? String ?? "?", requestID: data["request_id"] as? String ?? "")
            case "audio":
                guard let base64 = data["audio"] as? String, let bytes = Data(base64Encoded: base64) else {
                    throw TestClientError.malformed(text)
                }
                return .jsonAudio([UInt8](bytes), sampleRate: data["sample_rate"] as? Int ?? 0, format: data["format"] as? String ?? "")
            case "error":
                return .error(code: data["code"] as? String ?? "", message: data["message"] as? String ?? "")
            case "pong":
                return .pong
            default:
                throw TestClientError.malformed(text)
            }
        }
    }

    /// Expects `config_accepted`; returns its request id.
    func expectAccepted() throws -> String {
        let message = try next()
        guard case .event("config_accepted", let id) = message else {
            throw TestClientError.malformed("expected config_accepted, got \(message)")
        }
        return id
    }

    /// Reads audio until `final`: the payloads (binary or JSON) and the final's request id.
    func collectTurn() throws -> (audio: [[UInt8]], requestID: String) {
        var audio: [[UInt8]] = []
        while true {
            switch try next() {
            case .audio(let bytes), .jsonAudio(let bytes, _, _): audio.append(bytes)
            case .event("final", let id): return (audio, id)
            case let other: throw TestClientError.malformed("unexpected \(other) before final")
            }
        }
    }

    /// Reads (and drops) messages until the close frame; returns it.
    func expectClose() throws -> (code: UInt16, reason: String) {
        while true {
            if case .close(let code, let reason) = try next() { return (code, reason) }
        }
    }
}

/// A service on 127.0.0.1:0 around `engine`, started.
func startService(engine: (any SpeechEngine)?, options: TTSService.Options = .init(tickInterval: 0.05, closeTimeoutSeconds: 0.5),
                  configure: (inout ServerConfig) -> Void = { _ in }) throws -> TTSService {
    var config = ServerConfig()
    config.host = "127.0.0.1"
    config.port = 0
    config.wyomingPort = 0  // off unless a test asks (the default, 10200, would be shared by every test)
    configure(&config)
    let service = TTSService(config: config, engine: engine, options: options)
    try service.start()
    return service
}

/// Waits up to `seconds` for `condition`, checking every 10 ms (tests only).
func eventually(_ seconds: Double = 2, _ condition: () -> Bool) -> Bool {
    let deadline = Date().addingTimeInterval(seconds)
    while Date() < deadline {
        if condition() { return true }
        Thread.sleep(forTimeInterval: 0.01)
    }
    return condition()
}

/// The value of one series in /metrics text, e.g. `pocket_tts_errors_total{code="parse_error"}`:
/// the sum of every series of that name whose labels include the given ones (so
/// `pocket_tts_sessions` adds up all protocols), or nil when none matches.
func metricValue(_ text: String, _ series: String) -> Double? {
    let (name, labels) = seriesParts(series)
    var total: Double?
    for line in text.split(separator: "\n") where !line.hasPrefix("#") {
        guard let space = line.lastIndex(of: " "), let value = Double(line[line.index(after: space)...]) else { continue }
        let (lineName, lineLabels) = seriesParts(String(line[..<space]))
        if lineName == name, labels.isSubset(of: lineLabels) { total = (total ?? 0) + value }
    }
    return total
}

/// `name{a="1",b="2"}` as its name and its `a="1"` parts.
private func seriesParts(_ series: String) -> (name: String, labels: Set<String>) {
    guard let brace = series.firstIndex(of: "{") else { return (series, []) }
    let inner = series[series.index(after: brace)...].dropLast()  // the closing brace
    return (String(series[..<brace]), Set(inner.split(separator: ",").map(String.init)))
}
