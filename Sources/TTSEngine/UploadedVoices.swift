// UploadedVoices.swift: voices cloned from audio that clients upload (`POST /v1/voices`, the
// reference's `voice_wav`), kept until deleted. Ids are content hashes of the uploaded bytes;
// the bytes go to a temporary file named by us (never by the client) for libsndfile, and are
// encoded by the voice library. Registration is kept small and apart so that it can move into
// the voice library's snapshot of served voices.
//
// Persistence (the server's `persist_uploaded_voices`): a voice added with a `persistIn`
// directory (the voices directory) is also written to the voices directory as `<id>.safetensors` (a voice state,
// as `export-voice` writes it), through a hidden temporary file renamed into place, so a reader
// never sees half a file. The directory then offers it after a restart or a reload, as any
// voice file. The file name is the content id, never anything the client sent; `remove` deletes
// it. Files count against `capacity` with the voices in memory.
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
        /// Persisting was asked for and the file could not be written.
        case notSaved(String)

        public var description: String {
            switch self {
            case .full(let capacity): "\(capacity) uploaded voices are kept already: delete one first"
            case .empty: "the audio file is empty"
            case .tooLarge(let bytes, let limit): "the audio file has \(bytes) bytes; at most \(limit) are accepted"
            case .voice(let error): Self.clientDescription(error)
            case .notSaved: "the voice could not be saved on the server"
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

    /// True for what `id(of:)` makes: the prefix and 16 lowercase hex digits.
    public static func isID(_ text: String) -> Bool {
        guard text.hasPrefix(idPrefix) else { return false }
        let hex = text.utf8.dropFirst(idPrefix.utf8.count)
        return hex.count == 16 && hex.allSatisfy { (0x30...0x39).contains($0) || (0x61...0x66).contains($0) }
    }

    /// The file of a persisted voice `id` in `directory`.
    public static func file(of id: String, in directory: String) -> String {
        URL(fileURLWithPath: directory).appendingPathComponent(id + ".safetensors").path
    }

    /// Ids of the voices persisted in `directory` (listed now: not on the event-loop thread).
    public static func persistedIDs(in directory: String) -> Set<String> {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []
        return Set(names.compactMap { name in
            guard name.hasSuffix(".safetensors") else { return nil }
            let id = String(name.dropLast(".safetensors".count))
            return isID(id) ? id : nil
        })
    }

    /// Encodes `bytes` (any format libsndfile reads) into a voice and keeps it; with a
    /// `persistIn` directory, also as a file there. Slow (reads and encodes audio, writes the
    /// file): never on the event-loop thread. The same bytes give the same id, encoded once.
    public func add(audio bytes: [UInt8], maxBytes: Int, maxSeconds: Double, library: VoiceLibrary,
                    persistIn directory: String? = nil) throws(UploadError) -> String {
        guard !bytes.isEmpty else { throw .empty }
        guard bytes.count <= maxBytes else { throw .tooLarge(bytes: bytes.count, limit: maxBytes) }
        let id = Self.id(of: bytes)
        let persisted = directory.map(Self.persistedIDs(in:)) ?? []
        let kept = states.withLock { Set($0.keys) }.union(persisted)
        if states.withLock({ $0[id] != nil }), directory == nil || persisted.contains(id) { return id }
        guard kept.contains(id) || kept.count < capacity else { throw .full(capacity: capacity) }
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("pocket-tts-\(UUID().uuidString).wav").path
        guard FileManager.default.createFile(atPath: path, contents: Data(bytes), attributes: [.posixPermissions: 0o600]) else {
            throw .voice(.encodingFailed(source: "upload", reason: "cannot write a temporary file"))
        }
        defer { try? FileManager.default.removeItem(atPath: path) }
        if let info = try? AudioFile.info(path), info.duration > maxSeconds {
            throw .voice(.tooLong(source: "upload", seconds: info.duration, limit: maxSeconds))
        }
        try Self.checkSpeech(path)
        let state: FlowLM.State
        do { state = try library.voice(fromFile: path) } catch { throw .voice(error) }
        if let directory, !persisted.contains(id) { try Self.write(state, id: id, into: directory, model: library.model) }
        try states.withLock { states throws(UploadError) in
            guard states[id] != nil || states.count < capacity else { throw .full(capacity: capacity) }
            states[id] = state
        }
        return id
    }

    /// Writes `state` as `<id>.safetensors` in `directory`: a hidden temporary file (which
    /// directory listings skip), renamed into place.
    private static func write(_ state: FlowLM.State, id: String, into directory: String, model: TTSModel) throws(UploadError) {
        let final = file(of: id, in: directory)
        let temporary = URL(fileURLWithPath: directory).appendingPathComponent(".\(id).\(UUID().uuidString).tmp").path
        do {
            try model.exportVoice(state, to: temporary)
        } catch {
            try? FileManager.default.removeItem(atPath: temporary)
            throw .notSaved("\(error)")
        }
        guard rename(temporary, final) == 0 else {
            let reason = String(cString: strerror(errno))
            try? FileManager.default.removeItem(atPath: temporary)
            throw .notSaved("rename to \(final): \(reason)")
        }
    }

    /// Forgets a voice, and deletes its file in `persistedIn` if there is one; false if there
    /// was neither. With a directory it deletes a file: never on the event-loop thread.
    @discardableResult
    public func remove(_ id: String, persistedIn directory: String? = nil) -> Bool {
        let inMemory = states.withLock { $0.removeValue(forKey: id) != nil }
        if inMemory { returnFreedMemory() }
        guard let directory, Self.isID(id) else { return inMemory }
        let onDisk = (try? FileManager.default.removeItem(atPath: Self.file(of: id, in: directory))) != nil
        return inMemory || onDisk
    }

    public func state(_ id: String) -> FlowLM.State? { states.withLock { $0[id] } }

    public var ids: Set<String> { states.withLock { Set($0.keys) } }

    /// Shortest upload accepted: a voice prompt needs some speech to copy.
    public static let minimumSeconds = 1.0
    /// Most channels accepted (mono or stereo: mixed down as the reference does).
    public static let maximumChannels = 2
    /// Uploads whose loudest 20 ms stays below this (dBFS RMS) are refused as silent.
    public static let silenceDBFS: Float = -60

    /// Refuses audio that cannot be a voice prompt: under a second, more than two channels, or
    /// silent (no 20 ms window louder than `silenceDBFS`), each with its own message.
    static func checkSpeech(_ path: String) throws(UploadError) {
        let info: AudioFileInfo
        do { info = try AudioFile.info(path) } catch { throw .voice(VoiceLibrary.map(error)) }
        guard info.channels <= maximumChannels else {
            throw .voice(.invalidAudio(source: "upload", reason: "\(info.channels) channels: send mono or stereo speech"))
        }
        guard info.duration >= minimumSeconds else {
            throw .voice(.invalidAudio(source: "upload", reason: String(format: "it lasts %.2f s: at least %.0f s of speech is needed",
                                                                         info.duration, minimumSeconds)))
        }
        let audio: Audio
        do { audio = try AudioFile.read(path) } catch { throw .voice(VoiceLibrary.map(error)) }
        let window = max(1, audio.sampleRate / 50)
        var loudest: Float = 0
        var start = 0
        while start < audio.samples.count {
            let end = min(audio.samples.count, start + window)
            var sum: Float = 0
            for i in start..<end { sum += audio.samples[i] * audio.samples[i] }
            loudest = max(loudest, sum / Float(end - start))
            start = end
        }
        let dbfs = 10 * log10(max(loudest, 1e-20))
        guard dbfs >= silenceDBFS else {
            throw .voice(.invalidAudio(source: "upload", reason: String(format: "it is silent (loudest 20 ms at %.0f dBFS)", dbfs)))
        }
    }
}
