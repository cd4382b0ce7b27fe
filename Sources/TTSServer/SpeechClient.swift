// SpeechClient.swift: a client of the native protocol (README, "Protocol") over
// `WebSocketClient`: one connection, turns spoken one after another. `pocket-tts say` and the
// end-to-end tests use it.
//
//   let client = try SpeechClient(url: "ws://127.0.0.1:8000/tts/ws", apiKey: nil)
//   let report = try client.speak("Hello.", settings: .init(voice: "alba")) { audio in ... }
//   report.firstAudioSeconds  // from the flush to the first audio message

public enum SpeechClientError: Error, Equatable, CustomStringConvertible {
    case connection(WebSocketClientError)
    /// The server's `error` message.
    case server(code: String, message: String)
    /// A message that is not the protocol's.
    case unexpected(String)

    public var description: String {
        switch self {
        case .connection(let error): error.description
        case .server(let code, let message): "server error \(code): \(message)"
        case .unexpected(let text): "unexpected message: \(text)"
        }
    }
}

/// The config of one turn (the keys `say` exposes; the server defaults the rest).
public struct SpeechSettings: Sendable, Equatable {
    /// nil: the server's default voice.
    public var voice: String?
    public var format: AudioFormat
    public var sampleRate: Int
    /// nil: the server's default (0.7); 0 is deterministic.
    public var temperature: Double?
    /// nil: 1 (the engine's pace); 0.25-4.0, time-stretched at the same pitch.
    public var speed: Double?
    /// The served model and language (nil: the server's default model).
    public var model: String?
    public var language: String?

    public init(voice: String? = nil, format: AudioFormat = .pcm, sampleRate: Int = 24000, temperature: Double? = nil,
                speed: Double? = nil) {
        self.voice = voice
        self.format = format
        self.sampleRate = sampleRate
        self.temperature = temperature
        self.speed = speed
    }

    /// The `config` message, binary audio frames.
    var configMessage: String {
        var fields = ["\"format\":\(jsonQuoted(format.rawValue))", "\"sample_rate\":\(sampleRate)", "\"binary\":true"]
        if let voice { fields.insert("\"voice\":\(jsonQuoted(voice))", at: 0) }
        if let temperature, temperature.isFinite { fields.append("\"temperature\":\(temperature)") }
        if let speed, speed.isFinite { fields.append("\"speed\":\(speed)") }
        if let model { fields.append("\"model\":\(jsonQuoted(model))") }
        if let language { fields.append("\"language\":\(jsonQuoted(language))") }
        return "{\"type\":\"config\",\"data\":{\(fields.joined(separator: ","))}}"
    }
}

/// What one turn took.
public struct SpeechTurnReport: Sendable, Equatable {
    public var requestID: String
    /// Seconds from sending `flush` to the first audio message; nil when the turn had none.
    public var firstAudioSeconds: Double?
    /// Seconds from sending `flush` to `final`.
    public var totalSeconds: Double
    public var audioMessages: Int
    public var audioBytes: Int
}

public final class SpeechClient {
    private let socket: WebSocketClient
    /// Seconds any one wait (connect, a message) may take.
    public let timeout: Double

    /// Connects; the key goes in the `X-API-Key` header.
    public init(url: String, apiKey: String? = nil, timeout: Double = 30) throws(SpeechClientError) {
        self.timeout = timeout
        do throws(WebSocketClientError) {
            socket = try WebSocketClient(url: url, headers: apiKey.map { ["X-API-Key": $0] } ?? [:], timeout: timeout)
        } catch {
            throw .connection(error)
        }
    }

    /// Speaks `text` as one turn (config, text, flush) and hands each audio payload to
    /// `onAudio` as it arrives; returns at `final`.
    public func speak(_ text: String, settings: SpeechSettings = SpeechSettings(),
                      onAudio: ([UInt8]) throws -> Void) throws -> SpeechTurnReport {
        try send(settings.configMessage)
        try send("{\"type\":\"text\",\"data\":{\"text\":\(jsonQuoted(text))}}")
        try send("{\"type\":\"flush\"}")
        let flushedAt = monotonicSeconds()
        var report = SpeechTurnReport(requestID: "", firstAudioSeconds: nil, totalSeconds: 0, audioMessages: 0, audioBytes: 0)
        while true {
            let message: WebSocketMessage
            do throws(WebSocketClientError) {
                message = try socket.receive(timeout: timeout)
            } catch {
                throw SpeechClientError.connection(error)
            }
            switch message {
            case .binary(let audio):
                if report.firstAudioSeconds == nil { report.firstAudioSeconds = monotonicSeconds() - flushedAt }
                report.audioMessages += 1
                report.audioBytes += audio.count
                try onAudio(audio)
            case .text(let json):
                switch try Self.event(json) {
                case ("config_accepted", let id): report.requestID = id
                case ("final", let id):
                    report.requestID = id
                    report.totalSeconds = monotonicSeconds() - flushedAt
                    return report
                default: continue
                }
            }
        }
    }

    /// Sends a close and frees the connection.
    public func close() { socket.close() }

    private func send(_ json: String) throws(SpeechClientError) {
        do throws(WebSocketClientError) {
            try socket.send(.text(json), timeout: timeout)
        } catch {
            throw .connection(error)
        }
    }

    /// (event_type, request_id) of an event; throws the server's errors.
    private static func event(_ json: String) throws(SpeechClientError) -> (String, String) {
        guard case .object(let message)? = try? JSONValue.parse(json), case .string(let type)? = message["type"] else {
            throw .unexpected(String(json.prefix(200)))
        }
        let data: [String: JSONValue]
        if case .object(let object)? = message["data"] { data = object } else { data = [:] }
        func string(_ key: String) -> String {
            guard case .string(let value)? = data[key] else { return "" }
            return value
        }
        switch type {
        case "event": return (string("event_type"), string("request_id"))
        case "error": throw .server(code: string("code"), message: string("message"))
        case "pong": return ("pong", "")
        default: throw .unexpected(String(json.prefix(200)))
        }
    }
}
