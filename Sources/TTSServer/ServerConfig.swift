// ServerConfig.swift: the server's settings, from four layers, each overriding the one before:
// built-in defaults < the YAML file (`Configs/server.yaml`) < environment (`POCKET_TTS_<KEY>`)
// < command-line flags (given here as key -> value, e.g. ["port": "9000"]).
//
// Every layer uses the same flat keys (`port`, `max_sessions`, ...). An unknown key in the file
// or the flags is an error naming it; environment variables are matched by name, so unrelated
// `POCKET_TTS_*` variables of other components are left alone. `api_keys` is a list in YAML and
// comma-separated elsewhere; `pronunciations` is a mapping in YAML and YAML or JSON text elsewhere.
import Foundation
import PocketTTS
import TextNormalization
import Yams

public enum ServerConfigError: Error, Equatable, CustomStringConvertible {
    case unreadableFile(path: String, reason: String)
    case invalidYAML(path: String, reason: String)
    case notAMapping(path: String)
    case unknownKey(String, source: String)
    case invalidValue(key: String, value: String, expected: String, source: String)

    public var description: String {
        switch self {
        case .unreadableFile(let path, let reason): "cannot read \(path): \(reason)"
        case .invalidYAML(let path, let reason): "\(path) is not valid YAML: \(reason)"
        case .notAMapping(let path): "\(path) must be a mapping of keys to values"
        case .unknownKey(let key, let source):
            "\(source): unknown key \"\(key)\" (known: \(ServerConfig.keys.map(\.name).joined(separator: ", ")))"
        case .invalidValue(let key, let value, let expected, let source):
            "\(source): \(key) must be \(expected) (got \"\(value)\")"
        }
    }
}

/// Who may read `/metrics`.
public enum MetricsAccess: String, Sendable, CaseIterable {
    /// Anyone who can reach the port.
    case open
    /// Requests with an API key, like the WebSocket; anyone when no keys are configured.
    case apiKey = "api_key"
    /// Nobody: `/metrics` answers 404.
    case off
}

public struct ServerConfig: Equatable, Sendable {
    public var host = "127.0.0.1"
    /// 0 picks a free port.
    public var port = 8000
    /// The Wyoming protocol's TCP port (Home Assistant's default 10200); 0: no Wyoming. Wyoming
    /// has no API key: keep the port on a trusted network (see `wyomingHost`).
    public var wyomingPort = 10200
    /// The address the Wyoming port listens on; empty: `host`'s.
    public var wyomingHost = ""
    /// The models served (built-in config names or config YAML files), the first the default;
    /// empty: the one `serve --model` names (default english). `serve --model` given wins.
    /// Each model's voices beside the default model's are in `voices_dir/<model>/`.
    public var models: [String] = []
    /// Directory of voice files (`<name>.safetensors`).
    public var voicesDirectory = "voices"
    /// The voice of a turn that names none; empty: the model's own default voice (alba for
    /// English, estelle for French, ...: `ModelCatalog.defaultVoice(for:)`), chosen at start.
    public var defaultVoice = ""
    /// `defaultVoice`, or `alba` (the English models' default) when it is empty and the service
    /// was not told the model's (`TTSService.attach(engine:defaultVoice:)`).
    public var effectiveDefaultVoice: String { defaultVoice.isEmpty ? "alba" : defaultVoice }
    /// Accepted API keys; none means no authentication.
    public var apiKeys: [String] = []
    /// Bits per second of `opus` and `ogg` audio.
    public var opusBitrate = defaultOpusBitrate
    /// WebSocket sessions open at once; more are refused. Sessions are cheap (a socket and a
    /// few buffers); engine streams (`maxStreams`) are what is scarce.
    public var maxSessions = 256
    /// Sessions open at once from one peer address; 0: no limit (e.g. behind a proxy).
    public var maxSessionsPerAddress = 8
    /// Turns generated at once (engine streams) for one peer address. nil (`auto`, the default):
    /// half of the engine's current capacity (at least 1), so that no address holds every
    /// stream; a number: that many; 0: no limit (e.g. behind a proxy). TTSService+Admission.swift.
    public var maxStreamsPerAddress: Int?
    /// Seconds of audio one turn may make; the turn then ends with an error after that audio.
    public var maxTurnAudioSeconds = 600.0
    /// Turns generated at once (engine streams), at most; a config beyond gets `at_capacity`.
    /// nil (`auto`, the default): as many as the engine measures it carries in real time with
    /// `playoutMargin` (measured at start, kept current from the live work), at most
    /// `autoMaxStreams`; a number caps the measured capacity.
    public var maxStreams: Int?
    /// The ceiling of `max_streams: auto`.
    public static let autoMaxStreams = 256
    /// The share of each 80 ms frame period the admitted turns leave free (0.2: their measured
    /// work fills at most 80% of every engine thread and of the cores, so each turn is made at
    /// 1.25× real time or faster); a turn beyond gets `at_capacity`. `EngineConfiguration.playoutMargin`.
    public var playoutMargin = 0.2
    /// Measure the engine's costs at start and admit turns by them (`max_streams` then caps the
    /// measured capacity). false: `max_streams` alone bounds the turns (set it to a number), as
    /// before issue 24: for tests on debug builds, or a deployment sized by hand.
    public var measureCapacity = true
    public var maxTextMessageCharacters = 10_000
    public var maxTurnTextCharacters = 100_000
    public var maxLSDDecodeSteps = 32
    /// Hard cap on the tokens of every chunk handed to the engine; upper bound of a config's
    /// `max_tokens` (PocketTTS's `TextChunk.defaultTokenCap`).
    public var maxTokensPerChunk = 100
    /// Megabytes the engine's streams may take for their FlowLM state; 0: no limit. With a number
    /// of `max_streams`, checked at start for that many at the worst case of one stream (a 30 s
    /// voice, a chunk of `max_tokens_per_chunk` tokens and its frames: about 50 MB on the
    /// full-size model); with `auto`, for one. Each turn reserves its own voice's share as it
    /// starts (`at_capacity` when it does not fit beside the open ones).
    public var engineMemoryBudgetMB = 1024
    /// Default `max_buffer_delay_ms` of a turn.
    public var maxBufferDelayMs = TurnConfig.defaultMaxBufferDelayMs
    public var idleTimeoutSeconds = 60.0
    /// Seconds pings alone keep a session without a turn open.
    public var pingKeepaliveSeconds = 300.0
    /// Audio messages held for a client that does not read before it is closed.
    public var maxQueuedAudio = 250
    /// Audio messages in a socket's outbox at once.
    public var sendWindow = 8
    /// Largest client frame accepted.
    public var maxMessageBytes = 65536
    /// Largest Kyutai `Voice` message (`/api/tts_streaming`): a voice embedding in msgpack,
    /// e.g. [1, 125, 1024] floats (0.6 MB as f32, 1.2 MB as Python's f64); other messages on
    /// that path keep `max_message_bytes`.
    public var kyutaiMaxVoiceMessageBytes = 4 << 20
    /// Arrays and objects a client's JSON message may nest (checked before parsing).
    public var maxJSONDepth = 32
    /// Who may read `/metrics`.
    public var metricsAccess = MetricsAccess.apiKey
    /// `normalize` of a turn config without it: say numbers, dates, units ... as words.
    public var normalize = true
    /// Pronunciations for every turn (words and /patterns/); a turn's own win over them.
    public var pronunciations = Pronunciations()
    /// Largest voice upload (`POST /v1/voices`, `voice_wav` of `POST /tts`), in bytes.
    public var maxVoiceUploadBytes = 10 << 20
    /// Longest voice upload, in seconds of audio.
    public var maxVoiceUploadSeconds = 60.0
    /// Uploaded voices (`POST /v1/voices`) are also written to `voices_dir` as
    /// `<voice_id>.safetensors`, offered again after a restart or reload; DELETE removes the file.
    public var persistUploadedVoices = false
    /// OpenAI's voice names (`alloy`, ...) to this server's voices (`POST /v1/audio/speech`).
    public var openAIVoices = ServerConfig.defaultOpenAIVoices
    /// Arithmetic of FlowLM's linear layers, applied when the model loads (default
    /// `Precision.recommended`: int8 on CPUs with AVX512-VNNI or AVX2, else exact).
    public var precision = Precision.recommended
    /// Voices offered at once (directory, predefined and added ones). Directory voices are
    /// names until first used (`voice_cache_mb` bounds their states in memory). Voices beyond
    /// it are not offered (logged).
    public var maxVoices = 10_000
    /// Megabytes of directory voice states kept in memory (read on first use, least recently
    /// used evicted); 0 keeps none (each turn reads its voice).
    public var voiceCacheMB = 256
    /// Chunks (and turn ends) waiting to be tokenized, all sessions together; a turn whose
    /// chunk finds the queue full fails.
    public var maxQueuedSpeech = 1024

    public init() {}

    /// OpenAI's voice names, each to a predefined voice (an unserved one means the default voice).
    public static let defaultOpenAIVoices = [
        "alloy": "alba", "ash": "marius", "ballad": "javert", "coral": "jean", "echo": "fantine", "fable": "cosette",
        "nova": "eponine", "onyx": "azelma", "sage": "alba", "shimmer": "cosette", "verse": "marius",
    ]

    /// The file read when none is named.
    public static let defaultFilePath = "Configs/server.yaml"
    public static let environmentPrefix = "POCKET_TTS_"

    /// Defaults, then the file at `filePath` (if given), then `environment`, then `flags`.
    public static func load(
        filePath: String?, environment: [String: String] = ProcessInfo.processInfo.environment,
        flags: [String: String] = [:]
    ) throws(ServerConfigError) -> ServerConfig {
        var config = ServerConfig()
        if let filePath {
            let text: String
            do { text = try String(contentsOfFile: filePath, encoding: .utf8) } catch {
                throw .unreadableFile(path: filePath, reason: error.localizedDescription)
            }
            try config.apply(yaml: text, source: filePath)
        }
        try config.apply(environment: environment)
        try config.apply(flags: flags)
        return config
    }

    /// Applies the keys of a YAML mapping (an empty document changes nothing).
    public mutating func apply(yaml: String, source: String) throws(ServerConfigError) {
        let root: Node?
        do {
            root = try Yams.compose(yaml: yaml)  // also refuses duplicate keys
        } catch {
            throw .invalidYAML(path: source, reason: "\(error)")
        }
        guard let root, root.null == nil else { return }
        guard let mapping = root.mapping else { throw .notAMapping(path: source) }
        for (keyNode, valueNode) in mapping {
            let name = keyNode.string ?? "\(keyNode)"
            guard let key = Self.key(named: name) else { throw .unknownKey(name, source: source) }
            if valueNode.null != nil { continue }  // `key:` or `key: null` keeps the default
            if let sequence = valueNode.sequence {
                guard key.isList else {
                    throw .invalidValue(key: name, value: "a list", expected: key.expected, source: source)
                }
                let items = sequence.map { $0.string ?? "" }
                try key.set(&self, items.joined(separator: ","), source)
            } else if key.isMapping, valueNode.mapping != nil {
                let text: String
                do { text = try Yams.serialize(node: valueNode) } catch {
                    throw .invalidValue(key: name, value: "\(valueNode)", expected: key.expected, source: source)
                }
                try key.set(&self, text, source)
            } else if let scalar = valueNode.scalar {
                try key.set(&self, scalar.string, source)
            } else {
                throw .invalidValue(key: name, value: "a mapping", expected: key.expected, source: source)
            }
        }
    }

    /// Applies `POCKET_TTS_<KEY>` variables (e.g. `POCKET_TTS_PORT`, `POCKET_TTS_API_KEYS`).
    public mutating func apply(environment: [String: String]) throws(ServerConfigError) {
        for key in Self.keys {
            let variable = Self.environmentPrefix + key.name.uppercased()
            if let value = environment[variable] { try key.set(&self, value, variable) }
        }
    }

    /// Applies command-line values by key name (`port`, `api_keys`, ...).
    public mutating func apply(flags: [String: String]) throws(ServerConfigError) {
        for (name, value) in flags.sorted(by: { $0.key < $1.key }) {
            guard let key = Self.key(named: name) else { throw .unknownKey(name, source: "flags") }
            try key.set(&self, value, "--\(name.replacingOccurrences(of: "_", with: "-"))")
        }
    }

    /// What clients may ask, from these settings.
    public var protocolSettings: ProtocolSettings {
        ProtocolSettings(defaultVoice: effectiveDefaultVoice, maxTextMessageCharacters: maxTextMessageCharacters,
                         maxTurnTextCharacters: maxTurnTextCharacters, maxLSDDecodeSteps: maxLSDDecodeSteps,
                         maxTokensPerChunk: maxTokensPerChunk, defaultMaxBufferDelayMs: maxBufferDelayMs,
                         normalize: normalize, pronunciations: pronunciations,
                         jsonLimits: JSONLimits(maxDepth: maxJSONDepth, maxBytes: maxMessageBytes))
    }

    /// A session's configuration, given the voices loaded and the engine's token counter.
    public func sessionConfiguration(voices: Set<String>, tokenCounter: any TokenCounting = UTF8TokenBound())
        -> SessionMachine.Configuration {
        SessionMachine.Configuration(protocolSettings: protocolSettings, voices: voices, idleTimeout: idleTimeoutSeconds,
                                     pingKeepalive: pingKeepaliveSeconds, maxQueuedAudio: maxQueuedAudio, sendWindow: sendWindow,
                                     tokenCounter: tokenCounter, maxTurnAudioSeconds: maxTurnAudioSeconds)
    }

    // MARK: Keys

    struct Key: Sendable {
        let name: String
        let expected: String
        var isList = false
        /// A YAML mapping (given to `set` as YAML text).
        var isMapping = false
        let set: @Sendable (inout ServerConfig, String, String) throws(ServerConfigError) -> Void
    }

    static func key(named name: String) -> Key? { keys.first { $0.name == name } }

    static let keys: [Key] = [
        string("host", \.host),
        integer("port", \.port, 0...65535),
        integer("wyoming_port", \.wyomingPort, 0...65535),
        string("wyoming_host", \.wyomingHost),
        Key(name: "models", expected: "a list of model names (english, french, english_7m_2026-10, ...) or config files", isList: true) {
            config, value, source throws(ServerConfigError) in
            let names = value.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
            guard Set(names).count == names.count else {
                throw .invalidValue(key: "models", value: value, expected: "a list of distinct model names", source: source)
            }
            for name in names where ModelCatalog.canonicalName(name) == nil && !name.hasSuffix(".yaml") && !name.hasSuffix(".yml") {
                throw .invalidValue(key: "models", value: name,
                                    expected: "built-in model names (\(ModelCatalog.names.joined(separator: ", "))) or .yaml files",
                                    source: source)
            }
            config.models = names.map { ModelCatalog.canonicalName($0) ?? $0 }
        },
        string("voices_dir", \.voicesDirectory),
        string("default_voice", \.defaultVoice),
        Key(name: "api_keys", expected: "a list of keys", isList: true) { config, value, _ in
            config.apiKeys = value.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
        },
        integer("opus_bitrate", \.opusBitrate, 6000...510_000),
        integer("max_sessions", \.maxSessions, 1...100_000),
        integer("max_sessions_per_address", \.maxSessionsPerAddress, 0...100_000),
        Key(name: "max_streams_per_address", expected: "auto or an integer in 0...10000") { config, value, source throws(ServerConfigError) in
            let trimmed = value.trimmingCharacters(in: .whitespaces)
            if trimmed.lowercased() == "auto" {
                config.maxStreamsPerAddress = nil
            } else if let number = Int(trimmed), (0...10_000).contains(number) {
                config.maxStreamsPerAddress = number
            } else {
                throw .invalidValue(key: "max_streams_per_address", value: value, expected: "auto or an integer in 0...10000", source: source)
            }
        },
        seconds("max_turn_audio_s", \.maxTurnAudioSeconds),
        Key(name: "max_streams", expected: "auto or an integer in 1...10000") { config, value, source throws(ServerConfigError) in
            let trimmed = value.trimmingCharacters(in: .whitespaces)
            if trimmed.lowercased() == "auto" {
                config.maxStreams = nil
            } else if let number = Int(trimmed), (1...10_000).contains(number) {
                config.maxStreams = number
            } else {
                throw .invalidValue(key: "max_streams", value: value, expected: "auto or an integer in 1...10000", source: source)
            }
        },
        Key(name: "playout_margin", expected: "a number in 0...0.9") { config, value, source throws(ServerConfigError) in
            guard let margin = Double(value.trimmingCharacters(in: .whitespaces)), (0...0.9).contains(margin) else {
                throw .invalidValue(key: "playout_margin", value: value, expected: "a number in 0...0.9", source: source)
            }
            config.playoutMargin = margin
        },
        integer("max_text_message_chars", \.maxTextMessageCharacters, 1...10_000_000),
        integer("max_turn_text_chars", \.maxTurnTextCharacters, 1...100_000_000),
        integer("max_lsd_decode_steps", \.maxLSDDecodeSteps, 1...1000),
        integer("max_tokens_per_chunk", \.maxTokensPerChunk, 1...10_000),
        integer("engine_memory_budget_mb", \.engineMemoryBudgetMB, 0...1_000_000),
        integer("max_buffer_delay_ms", \.maxBufferDelayMs, TurnConfig.maxBufferDelayRange),
        seconds("idle_timeout_seconds", \.idleTimeoutSeconds),
        seconds("ping_keepalive_seconds", \.pingKeepaliveSeconds),
        integer("max_queued_audio", \.maxQueuedAudio, 1...1_000_000),
        integer("send_window", \.sendWindow, 1...10_000),
        integer("max_message_bytes", \.maxMessageBytes, 1024...(64 << 20)),
        integer("kyutai_max_voice_message_bytes", \.kyutaiMaxVoiceMessageBytes, 1024...(64 << 20)),
        integer("max_json_depth", \.maxJSONDepth, 1...JSONLimits.depthCeiling),
        Key(name: "metrics_access", expected: "open, api_key or off") { config, value, source throws(ServerConfigError) in
            guard let access = MetricsAccess(rawValue: value.trimmingCharacters(in: .whitespaces)) else {
                throw .invalidValue(key: "metrics_access", value: value, expected: "open, api_key or off", source: source)
            }
            config.metricsAccess = access
        },
        Key(name: "measure_capacity", expected: "true or false") { config, value, source throws(ServerConfigError) in
            switch value.trimmingCharacters(in: .whitespaces).lowercased() {
            case "true", "yes", "on", "1": config.measureCapacity = true
            case "false", "no", "off", "0": config.measureCapacity = false
            default: throw .invalidValue(key: "measure_capacity", value: value, expected: "true or false", source: source)
            }
        },
        Key(name: "persist_uploaded_voices", expected: "true or false") { config, value, source throws(ServerConfigError) in
            switch value.trimmingCharacters(in: .whitespaces).lowercased() {
            case "true", "yes", "on", "1": config.persistUploadedVoices = true
            case "false", "no", "off", "0": config.persistUploadedVoices = false
            default: throw .invalidValue(key: "persist_uploaded_voices", value: value, expected: "true or false", source: source)
            }
        },
        Key(name: "normalize", expected: "true or false") { config, value, source throws(ServerConfigError) in
            switch value.trimmingCharacters(in: .whitespaces).lowercased() {
            case "true", "yes", "on", "1": config.normalize = true
            case "false", "no", "off", "0": config.normalize = false
            default: throw .invalidValue(key: "normalize", value: value, expected: "true or false", source: source)
            }
        },
        Key(name: "pronunciations", expected: "a mapping of words (or /patterns/) to spoken forms", isMapping: true) {
            config, value, source throws(ServerConfigError) in
            do {
                config.pronunciations = try Pronunciations(yaml: value)
            } catch {
                throw .invalidValue(key: "pronunciations", value: value, expected: "a mapping of words (or /patterns/) to spoken forms (\(error))",
                                    source: source)
            }
        },
        integer("max_voice_upload_bytes", \.maxVoiceUploadBytes, 1024...(1 << 30)),
        seconds("max_voice_upload_seconds", \.maxVoiceUploadSeconds),
        Key(name: "openai_voices", expected: "a mapping of OpenAI voice names to server voices", isMapping: true) {
            config, value, source throws(ServerConfigError) in
            guard let node = try? Yams.compose(yaml: value), let mapping = node.mapping else {
                throw .invalidValue(key: "openai_voices", value: value, expected: "a mapping of OpenAI voice names to server voices", source: source)
            }
            var table: [String: String] = [:]
            for (name, voice) in mapping {
                guard let name = name.string, let voice = voice.string, !voice.isEmpty else {
                    throw .invalidValue(key: "openai_voices", value: value, expected: "names mapped to voice names", source: source)
                }
                table[name] = voice
            }
            config.openAIVoices = table
        },
        Key(name: "precision", expected: "one of \(Precision.allCases.map(\.rawValue).joined(separator: ", "))") { config, value, source throws(ServerConfigError) in
            guard let precision = Precision(rawValue: value.trimmingCharacters(in: .whitespaces)) else {
                throw .invalidValue(key: "precision", value: value,
                                    expected: "one of \(Precision.allCases.map(\.rawValue).joined(separator: ", "))", source: source)
            }
            config.precision = precision
        },
        integer("max_voices", \.maxVoices, 1...100_000),
        integer("voice_cache_mb", \.voiceCacheMB, 0...1_000_000),
        integer("max_queued_speech", \.maxQueuedSpeech, 1...1_000_000),
    ]

    private static func string(_ name: String, _ path: WritableKeyPath<ServerConfig, String> & Sendable) -> Key {
        Key(name: name, expected: "a non-empty string") { config, value, source throws(ServerConfigError) in
            let trimmed = value.trimmingCharacters(in: .whitespaces)
            guard !trimmed.isEmpty else { throw .invalidValue(key: name, value: value, expected: "a non-empty string", source: source) }
            config[keyPath: path] = trimmed
        }
    }

    private static func seconds(_ name: String, _ path: WritableKeyPath<ServerConfig, Double> & Sendable) -> Key {
        let expected = "a number of seconds > 0"
        return Key(name: name, expected: expected) { config, value, source throws(ServerConfigError) in
            guard let seconds = Double(value.trimmingCharacters(in: .whitespaces)), seconds > 0, seconds.isFinite else {
                throw .invalidValue(key: name, value: value, expected: expected, source: source)
            }
            config[keyPath: path] = seconds
        }
    }

    private static func integer(_ name: String, _ path: WritableKeyPath<ServerConfig, Int> & Sendable, _ range: ClosedRange<Int>) -> Key {
        let expected = "an integer in \(range.lowerBound)...\(range.upperBound)"
        return Key(name: name, expected: expected) { config, value, source throws(ServerConfigError) in
            guard let number = Int(value.trimmingCharacters(in: .whitespaces)), range.contains(number) else {
                throw .invalidValue(key: name, value: value, expected: expected, source: source)
            }
            config[keyPath: path] = number
        }
    }
}
