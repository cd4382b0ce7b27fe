/// Everything that can go wrong finding, reading or encoding a voice; each case names the
/// voice or file it is about.
public enum VoiceLibraryError: Error, Equatable, CustomStringConvertible {
    /// A configuration value is out of range.
    case invalidConfiguration(String)
    /// The voices directory cannot be listed.
    case directoryUnreadable(path: String, reason: String)
    /// No voice of that name; `available` lists the names that exist (directory and fallback).
    case unknownVoice(name: String, available: [String])
    /// A fallback voice (a predefined one) could not be fetched.
    case voiceUnavailable(name: String, reason: String)
    /// No file at `path`.
    case fileNotFound(path: String)
    /// Neither a voice state (`.safetensors`) nor a supported audio extension.
    case unsupportedFormat(path: String, fileExtension: String)
    /// An audio file that cannot be decoded (corrupt, or a format libsndfile does not read).
    case unreadableAudio(source: String, reason: String)
    /// Audio without a single sample.
    case emptyAudio(source: String)
    /// Audio that cannot be used: a non-positive rate or non-finite samples.
    case invalidAudio(source: String, reason: String)
    /// Audio longer than the configured maximum (`VoiceLibrary.Configuration.maxAudioSeconds`).
    case tooLong(source: String, seconds: Double, limit: Double)
    /// A voice-state file that is not a valid one for this model; `tensor` names the culprit
    /// when there is one.
    case invalidVoiceState(path: String, tensor: String?, reason: String)
    /// The model failed to encode the audio (e.g. the resampler rejected its rate).
    case encodingFailed(source: String, reason: String)
    /// A voice table already holds `limit` voices (`VoiceTable.maxVoices`).
    case tooManyVoices(name: String, limit: Int)

    public var description: String {
        switch self {
        case .invalidConfiguration(let why): "voices: invalid configuration: \(why)"
        case .directoryUnreadable(let path, let reason): "voices: cannot list the directory '\(path)': \(reason)"
        case .unknownVoice(let name, let available):
            "unknown voice '\(name)'; available voices: \(available.isEmpty ? "(none)" : available.joined(separator: ", "))"
        case .voiceUnavailable(let name, let reason): "voice '\(name)' is unavailable: \(reason)"
        case .fileNotFound(let path): "voice file '\(path)' does not exist"
        case .unsupportedFormat(let path, let ext):
            "voice file '\(path)': unsupported extension '\(ext)' (expected .safetensors or "
                + VoiceLibrary.audioExtensions.map { "." + $0 }.joined(separator: ", ") + ")"
        case .unreadableAudio(let source, let reason): "\(source): cannot decode the audio: \(reason)"
        case .emptyAudio(let source): "\(source): the audio holds no samples"
        case .invalidAudio(let source, let reason): "\(source): invalid audio: \(reason)"
        case .tooLong(let source, let seconds, let limit):
            "\(source): the audio lasts \(Self.seconds(seconds)), more than the \(Self.seconds(limit)) allowed"
        case .invalidVoiceState(let path, let tensor, let reason):
            "voice state '\(path)'" + (tensor.map { ", tensor '\($0)'" } ?? "") + ": \(reason)"
        case .encodingFailed(let source, let reason): "\(source): voice encoding failed: \(reason)"
        case .tooManyVoices(let name, let limit): "voice '\(name)': \(limit) voices are loaded already, the most allowed"
        }
    }

    private static func seconds(_ s: Double) -> String {
        let tenths = (s * 10).rounded() / 10
        return "\(tenths) s"
    }
}
