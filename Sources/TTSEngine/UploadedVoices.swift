// UploadedVoices.swift: voices cloned from audio that clients upload (`POST /v1/voices`, the
// reference's `voice_wav`), kept until deleted. Ids are content hashes of the uploaded bytes;
// the bytes go to a temporary file named by us (never by the client) for libsndfile, and are
// encoded by the voice library. Registration is kept small and apart so that it can move into
// the voice library's snapshot of served voices.
import AudioIO
import Crypto
import Foundation
import PocketTTS
import Synchronization

public final class UploadedVoices: Sendable {
    /// Voice ids start with this, so they never collide with file or predefined names.
    public static let idPrefix = "upload-"

    /// Most voices kept at once; adding one more fails with `.full`.
    public let capacity: Int
    private let states = Mutex<[String: FlowLM.State]>([:])

    public init(capacity: Int = 64) {
        self.capacity = max(1, capacity)
    }

    public enum UploadError: Error, Equatable, CustomStringConvertible {
        case full(capacity: Int)
        case empty
        case tooLarge(bytes: Int, limit: Int)
        case voice(VoiceLibraryError)

        public var description: String {
            switch self {
            case .full(let capacity): "\(capacity) uploaded voices are kept already: delete one first"
            case .empty: "the audio file is empty"
            case .tooLarge(let bytes, let limit): "the audio file has \(bytes) bytes; at most \(limit) are accepted"
            case .voice(let error): Self.clientDescription(error)
            }
        }

        /// The library's error without any server path in it.
        private static func clientDescription(_ error: VoiceLibraryError) -> String {
            switch error {
            case .tooLong(_, let seconds, let limit):
                "the audio lasts \(Int(seconds.rounded())) s; at most \(Int(limit)) s are accepted"
            case .unreadableAudio, .unsupportedFormat, .fileNotFound: "the audio file cannot be decoded"
            case .emptyAudio: "the audio file has no samples"
            case .invalidAudio(_, let reason): "the audio cannot be used: \(reason)"
            default: "the voice could not be encoded"
            }
        }
    }

    /// The content id of `bytes`: the prefix and the first 16 hex digits of their SHA-256.
    public static func id(of bytes: [UInt8]) -> String {
        idPrefix + SHA256.hash(data: bytes).prefix(8).map { String(format: "%02x", $0) }.joined()
    }

    /// Encodes `bytes` (any format libsndfile reads) into a voice and keeps it. Slow (reads and
    /// encodes audio): never on the event-loop thread. The same bytes give the same id, encoded once.
    public func add(audio bytes: [UInt8], maxBytes: Int, maxSeconds: Double, library: VoiceLibrary) throws(UploadError) -> String {
        guard !bytes.isEmpty else { throw .empty }
        guard bytes.count <= maxBytes else { throw .tooLarge(bytes: bytes.count, limit: maxBytes) }
        let id = Self.id(of: bytes)
        if states.withLock({ $0[id] != nil }) { return id }
        guard states.withLock({ $0.count < capacity }) else { throw .full(capacity: capacity) }
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("pocket-tts-\(UUID().uuidString).wav").path
        guard FileManager.default.createFile(atPath: path, contents: Data(bytes), attributes: [.posixPermissions: 0o600]) else {
            throw .voice(.encodingFailed(source: "upload", reason: "cannot write a temporary file"))
        }
        defer { try? FileManager.default.removeItem(atPath: path) }
        if let info = try? AudioFile.info(path), info.duration > maxSeconds {
            throw .voice(.tooLong(source: "upload", seconds: info.duration, limit: maxSeconds))
        }
        let state: FlowLM.State
        do { state = try library.voice(fromFile: path) } catch { throw .voice(error) }
        try states.withLock { states throws(UploadError) in
            guard states[id] != nil || states.count < capacity else { throw .full(capacity: capacity) }
            states[id] = state
        }
        return id
    }

    /// Forgets a voice; false if there was none with that id.
    @discardableResult
    public func remove(_ id: String) -> Bool {
        states.withLock { $0.removeValue(forKey: id) != nil }
    }

    public func state(_ id: String) -> FlowLM.State? { states.withLock { $0[id] } }

    public var ids: Set<String> { states.withLock { Set($0.keys) } }
}
