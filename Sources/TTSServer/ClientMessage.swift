// ClientMessage.swift: what a client asks of its session, whatever its protocol. Each adapter
// turns its own frames into these (the native JSON: NativeAdapter.swift).

/// One client request to the session machine.
public enum ClientMessage: Equatable, Sendable {
    /// Start a turn with these settings.
    case config(TurnConfig)
    /// Append text to the turn.
    case text(String)
    /// Speak the remaining text; `final` follows the last frame.
    case flush
    /// Stop the turn now and drop its queued audio.
    case cancel
    case ping
}
