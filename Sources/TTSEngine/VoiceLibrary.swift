import AudioIO
import Foundation
import PocketTTS

/// Hits, misses and evictions of a `VoiceLibrary`'s cache since it was made, and what it holds.
public struct VoiceCacheStatistics: Sendable, Equatable {
    public var hits = 0
    public var misses = 0
    public var evictions = 0
    /// Voices cached now, and their bytes.
    public var count = 0
    public var bytes = 0

    public init() {}
}

/// Voices by name or by file, each resolved to the prefilled FlowLM state that utterances in
/// that voice start from (`TTSModel.get_state_for_audio_prompt`).
///
/// Voice uploads are not here: issue 12 (`POST /v1/voices`, `DELETE /v1/voices/{id}`) needs
/// uploaded voices kept until deleted, listed and optionally persisted, which a cache that
/// forgets under pressure is not; that issue adds them.
///
/// - Names come from a voices directory (`alba.safetensors` or `alba.wav` → `alba`; see
///   `VoiceDirectory`), then from the optional fallback (the predefined voices). A name the
///   directory lacks makes it list the directory again, so new files are found; `reload()`
///   rescans and forgets every remembered file hash.
/// - States are cached in a bounded LRU (`maxCachedVoices`, `maxCachedBytes`) keyed by content:
///   SHA-256 of a file's bytes. A file's hash is remembered while its size and modification
///   time stay the same, so a cached named voice costs one `stat`. Voice states are plain
///   values: callers get their own copy.
/// - Long audio: up to `maxAudioSeconds` (default 120 s) is accepted and cut to its first
///   `promptSeconds` (default 30 s, the reference's `truncate=True`, as `export-voice` does);
///   longer audio is rejected with `.tooLong` before it is decoded.
///
/// Thread-safe: the lock guards only bookkeeping; hashing and encoding run outside it, so two
/// threads asking for the same new voice at once may both encode it (two misses).
public final class VoiceLibrary: @unchecked Sendable {
    // @unchecked: every mutable property is guarded by `lock`.

    /// Audio extensions understood (libsndfile decodes them), in precedence order.
    public static let audioExtensions = ["wav", "flac", "ogg", "oga", "opus", "mp3", "aiff", "aif"]

    public struct Configuration: Sendable {
        /// The voices directory; nil for none.
        public var directory: String?
        /// Most voice states cached (0 caches nothing).
        public var maxCachedVoices: Int
        /// Most bytes of voice state cached; a state larger than this alone is used, not kept.
        public var maxCachedBytes: Int
        /// Audio prompts are cut to their first `promptSeconds` (`.infinity`: never).
        public var promptSeconds: Double
        /// Audio longer than this is rejected (`.infinity`: never); at least `promptSeconds`.
        public var maxAudioSeconds: Double
        /// Names found outside the directory (e.g. `.predefined()`).
        public var fallback: VoiceFallback?

        public init(
            directory: String? = nil, maxCachedVoices: Int = 32, maxCachedBytes: Int = 512 << 20,
            promptSeconds: Double = TTSModel.voiceTruncationSeconds,
            maxAudioSeconds: Double = 4 * TTSModel.voiceTruncationSeconds, fallback: VoiceFallback? = nil
        ) {
            self.directory = directory
            self.maxCachedVoices = maxCachedVoices
            self.maxCachedBytes = maxCachedBytes
            self.promptSeconds = promptSeconds
            self.maxAudioSeconds = maxAudioSeconds
            self.fallback = fallback
        }
    }

    public let model: TTSModel
    public let configuration: Configuration

    private let lock = NSLock()
    private var directory: VoiceDirectory?
    private var cache: LRUCache<String, FlowLM.State>  // content key → state
    private var fileKeys: [String: (stamp: FileStamp, key: String)] = [:]  // path → content key
    private var counters = VoiceCacheStatistics()

    /// Fails on an invalid configuration or an unreadable directory.
    public init(model: TTSModel, configuration: Configuration = Configuration()) throws(VoiceLibraryError) {
        let c = configuration
        guard c.maxCachedVoices >= 0 else { throw .invalidConfiguration("maxCachedVoices must be >= 0, got \(c.maxCachedVoices)") }
        guard c.maxCachedBytes >= 0 else { throw .invalidConfiguration("maxCachedBytes must be >= 0, got \(c.maxCachedBytes)") }
        guard c.promptSeconds > 0 else {
            throw .invalidConfiguration("promptSeconds must be positive, got \(c.promptSeconds)")
        }
        guard c.maxAudioSeconds >= c.promptSeconds else {
            throw .invalidConfiguration("maxAudioSeconds (\(c.maxAudioSeconds)) must be >= promptSeconds (\(c.promptSeconds))")
        }
        self.model = model
        self.configuration = configuration
        cache = LRUCache(maxCount: c.maxCachedVoices, maxCost: c.maxCachedBytes)
        directory = try c.directory.map { path throws(VoiceLibraryError) in try VoiceDirectory(path: path) }
    }

    /// The voice names, sorted: the directory's and the fallback's.
    public var names: [String] {
        let directoryNames = locked { directory?.names ?? [] }
        return Set(directoryNames + (configuration.fallback?.names ?? [])).sorted()
    }

    /// Lists the directory again and forgets remembered file hashes (cached states stay: they
    /// are keyed by content). Returns the names.
    @discardableResult
    public func reload() throws(VoiceLibraryError) -> [String] {
        let scanned = try configuration.directory.map { path throws(VoiceLibraryError) in try VoiceDirectory(path: path) }
        locked {
            directory = scanned
            fileKeys.removeAll()
        }
        return names
    }

    public var statistics: VoiceCacheStatistics {
        locked {
            var s = counters
            s.count = cache.count
            s.bytes = cache.totalCost
            return s
        }
    }

    /// Empties the cache; the statistics' counters go on.
    public func removeAllCachedVoices() {
        locked { cache.removeAll() }
    }

    // MARK: Lookups

    /// A voice by name: a directory voice or a fallback (predefined) voice.
    public func voice(named name: String) throws(VoiceLibraryError) -> FlowLM.State {
        try voice(fromFile: try file(named: name))
    }

    /// The file behind a voice name: the directory's, else the fallback's (which may download).
    public func file(named name: String) throws(VoiceLibraryError) -> String {
        let fallback = configuration.fallback.flatMap { $0.names.contains(name) ? $0 : nil }
        if let path = directoryFile(named: name, rescan: fallback == nil) { return path }
        guard let fallback else { throw .unknownVoice(name: name, available: names) }
        do { return try fallback.resolve(name).path } catch { throw .voiceUnavailable(name: name, reason: "\(error)") }
    }

    /// A voice from a voice-state `.safetensors` file or an audio file (`audioExtensions`).
    public func voice(fromFile path: String) throws(VoiceLibraryError) -> FlowLM.State {
        let ext = URL(fileURLWithPath: path).pathExtension
        guard let kind = VoiceFileKind(extension: ext) else { throw .unsupportedFormat(path: path, fileExtension: ext) }
        let stamp = try FileStamp(path: path)
        let key: String
        if let known = locked({ fileKeys[path].flatMap { $0.stamp == stamp ? $0.key : nil } }) {
            key = known
        } else {
            if kind == .audio { try checkDuration(ofFile: path) }
            key = try Self.fileKey(path)
            locked {
                if fileKeys.count >= 4096 { fileKeys.removeAll() }  // bounds the memo
                fileKeys[path] = (stamp, key)
            }
        }
        if let state = lookUp(key) { return state }
        let state: FlowLM.State
        switch kind {
        case .voiceState: state = try loadVoiceState(path)
        case .audio: state = try encode(try readAudio(path), source: path)
        }
        store(state, key: key)
        return state
    }

    /// A voice from a voice-state or audio file, read now and not cached here (no content
    /// hash either): for callers with a cache of their own (`VoiceRegistry`). Blocks.
    public func uncachedVoice(fromFile path: String) throws(VoiceLibraryError) -> FlowLM.State {
        let ext = URL(fileURLWithPath: path).pathExtension
        guard let kind = VoiceFileKind(extension: ext) else { throw .unsupportedFormat(path: path, fileExtension: ext) }
        switch kind {
        case .voiceState: return try loadVoiceState(path)
        case .audio:
            try checkDuration(ofFile: path)
            return try encode(try readAudio(path), source: path)
        }
    }

    // MARK: Bookkeeping (locked)

    private func locked<R>(_ body: () -> R) -> R {
        lock.lock()
        defer { lock.unlock() }
        return body()
    }

    /// The cached state for `key`, counting a hit or a miss.
    private func lookUp(_ key: String) -> FlowLM.State? {
        locked {
            guard let state = cache.value(for: key) else {
                counters.misses += 1
                return nil
            }
            counters.hits += 1
            return state
        }
    }

    private func store(_ state: FlowLM.State, key: String) {
        locked {
            let (_, evicted) = cache.insert(state, for: key, cost: Self.byteCount(of: state))
            counters.evictions += evicted.count
        }
    }

    /// The directory's file for `name`; when absent and `rescan`, lists the directory again
    /// (also for invalid names, so that the error lists the current voices).
    private func directoryFile(named name: String, rescan: Bool) -> String? {
        guard let path = configuration.directory else { return nil }
        if let file = locked({ directory?.files[name] }) { return file }
        guard rescan, let scanned = try? VoiceDirectory(path: path) else { return nil }
        locked { directory = scanned }
        return scanned.files[name]
    }

    /// Bytes held by a state's caches (bfloat16 in the reduced precisions, f32 at `exact`).
    public static func byteCount(of state: FlowLM.State) -> Int {
        state.cache.layerCount * 2 * state.capacity * state.cache.rowSize * state.cache.element.byteCount
    }
}
