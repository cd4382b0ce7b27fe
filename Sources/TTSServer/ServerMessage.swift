// ServerMessage.swift: what the session machine tells a client, whatever its protocol. Each
// adapter writes these in its own frames (the native JSON: NativeAdapter.swift).

/// One message to a client.
public enum ServerMessage: Equatable, Sendable {
    case configAccepted(requestID: String)
    /// The last audio of the turn has been sent.
    case final(requestID: String)
    /// One encoded audio payload as a binary frame.
    case binaryAudio([UInt8])
    /// One encoded audio payload, base64 in a JSON `audio` message.
    case jsonAudio([UInt8], sampleRate: Int, format: AudioFormat)
    case error(ProtocolError)
    case pong

    /// The audio message for `payload` in the turn's chosen framing.
    public static func audio(_ payload: [UInt8], config: TurnConfig) -> ServerMessage {
        config.binary ? .binaryAudio(payload) : .jsonAudio(payload, sampleRate: config.sampleRate, format: config.format)
    }
}
