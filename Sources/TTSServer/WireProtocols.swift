// WireProtocols.swift: the registry of the protocols the service speaks over a connection.
// Each declares its path patterns, its metrics label, its message-size bound and how its clients
// authenticate; its adapter (one file under Sources/TTSServer) does the rest. Adding a protocol
// is one adapter file and one line here.
//
// HTTP speech endpoints are not connections: each request is a session of its own, built from
// its parsed body (HTTPSpeechAdapter.swift, answered in TTSService+HTTPAPI.swift).

/// How a protocol's clients prove their API key, where keys are configured (`api_keys`).
public enum WireAuthentication: Sendable, Equatable {
    /// In the upgrade request: a header or query parameter (`Authenticator`), before the 101.
    case upgrade
    /// In the upgrade request, or else in the first message (the adapter checks it:
    /// `WireContext.authenticator`), which must come within `deadline` seconds.
    case upgradeOrFirstMessage(deadline: Double)
    /// None: the protocol has no key (Wyoming); its port is for trusted networks.
    case trustedNetwork
}

/// One protocol the service speaks over a connection (a WebSocket, or a raw TCP connection).
/// `@unchecked`: every field is immutable data; only the adapter's metatype is not known to the
/// compiler as Sendable (a metatype carries no state).
public struct WireProtocol: @unchecked Sendable {
    /// Its `protocol` label in the metrics and logs.
    public var label: ProtocolLabel
    /// The paths it is served at (`PathTemplate`: `{name}` matches one segment);
    /// `WireProtocols.nativePath` stands for the configured native path (`TTSService.Options.path`).
    /// A raw TCP protocol's is its listener's path, which no HTTP request can have.
    public var paths: [String]
    public var adapter: any WireAdapter.Type
    public var authentication: WireAuthentication
    /// The largest message a client may send; nil: `max_message_bytes`.
    public var maxMessageBytes: (@Sendable (ServerConfig) -> Int)?

    public init(_ label: ProtocolLabel, paths: [String], adapter: any WireAdapter.Type, authentication: WireAuthentication = .upgrade,
                maxMessageBytes: (@Sendable (ServerConfig) -> Int)? = nil) {
        self.label = label
        self.paths = paths
        self.adapter = adapter
        self.authentication = authentication
        self.maxMessageBytes = maxMessageBytes
    }

    /// Whether `path` is one of this protocol's.
    public func serves(_ path: String, nativePath: String) -> Bool {
        paths.contains { $0 == WireProtocols.nativePath ? path == nativePath : PathTemplate($0).match(path) != nil }
    }
}

public enum WireProtocols {
    /// Stands for the configured native path in `WireProtocol.paths`.
    public static let nativePath = "/{native}/"

    /// Every protocol; the first whose path matches serves a connection.
    public static let all: [WireProtocol] = [
        WireProtocol(.native, paths: [nativePath], adapter: NativeAdapter.self),
        WireProtocol(.kyutai, paths: ["/api/tts_streaming"], adapter: KyutaiAdapter.self,
                     maxMessageBytes: { max($0.maxMessageBytes, $0.kyutaiMaxVoiceMessageBytes) }),  // its Voice messages
        WireProtocol(.deepgram, paths: ["/v1/speak"], adapter: DeepgramAdapter.self),
        WireProtocol(.elevenlabs, paths: [ElevenLabs.streamInputPath, ElevenLabs.multiStreamInputPath], adapter: ElevenLabsAdapter.self,
                     authentication: .upgradeOrFirstMessage(deadline: 10)),
        WireProtocol(.wyoming, paths: [WyomingAdapter.path], adapter: WyomingAdapter.self, authentication: .trustedNetwork),
    ]

    /// The protocol served at `path` (`nativePath`: the service's configured one).
    public static func serving(_ path: String, nativePath: String) -> WireProtocol? {
        all.first { $0.serves(path, nativePath: nativePath) }
    }

    /// The message bounds of protocols at fixed paths that differ from `max_message_bytes`
    /// (`WebSocketServer.Configuration.maxMessageBytesByPath`, which takes exact paths).
    static func maxMessageBytesByPath(_ config: ServerConfig) -> [String: Int] {
        var bounds: [String: Int] = [:]
        for entry in all {
            guard let bound = entry.maxMessageBytes?(config) else { continue }
            for path in entry.paths {
                precondition(!path.contains("{"), "a message bound needs a fixed path (\(path))")
                bounds[path] = bound
            }
        }
        return bounds
    }
}
