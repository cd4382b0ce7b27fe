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

/// Voices by name, by file or from uploaded audio, each resolved to the prefilled FlowLM state
/// that utterances in that voice start from (`TTSModel.get_state_for_audio_prompt`).
///
/// - Names come from a voices directory (`alba.safetensors` or `alba.wav` → `alba`; see
///   `VoiceDirectory`), then from the optional fallback (the predefined voices). A name the
///   directory lacks makes it list the directory again, so new files are found; `reload()`
///   rescans and forgets every remembered file hash.
/// - States are cached in a bounded LRU (`maxCachedVoices`, `maxCachedBytes`) keyed by content:
///   SHA-256 of a file's bytes, or of uploaded samples and their rate. A file's hash is
///   remembered while its size and modification time stay the same, so a cached named voice
///   costs one `stat`. Voice states are plain values: callers get their own copy.
/// - Long audio: up to `maxAudioSeconds` (default 120 s) is accepted and cut to its first
///   `promptSeconds` (default 30 s, the reference's `truncate=True`, as `export-voice` does);
///   longer audio is rejected with `.tooLong` before it is decoded (files) or encoded (uploads).
///
/// Thread-safe: the lock guards only bookkeeping; hashing and encoding run outside it, so two
/// threads asking for the same new voice at once may both encode it (two misses).
public final class VoiceLibrary: @unchecked Sendable {
    // @unchecked: every mutable property is guarded by `lock`.

    /// Audio extensions understood (libsndfile decodes them), in precedence order.
    public static let audioExtensions = ["wav", "flac", "ogg", "oga", "opus", "mp3", "aiff", "aif"]
    /// Upload ids are `upload:` + 16 hex digits of the audio's SHA-256; never a directory name.
    public static let uploadPrefix = "upload:"

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
    private var uploads: [String: String] = [:]  // upload id → content key, only while cached
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

    /// The voice names, sorted: the directory's and the fallback's (upload ids are not listed).
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

    /// Empties the cache (upload ids expire); the statistics' counters go on.
    public func removeAllCachedVoices() {
        locked {
            cache.removeAll()
            uploads.removeAll()
        }
    }

    // MARK: Lookups

    /// A voice by name: a directory voice, an upload id, or a fallback (predefined) voice.
    public func voice(named name: String) throws(VoiceLibraryError) -> FlowLM.State {
        if name.hasPrefix(Self.uploadPrefix) {
            let state: FlowLM.State? = locked {
                guard let key = uploads[name], let state = cache.value(for: key) else { return nil }
                counters.hits += 1
                return state
            }
            guard let state else { throw .uploadExpired(id: name) }
            return state
        }
        let fallback = configuration.fallback.flatMap { $0.names.contains(name) ? $0 : nil }
        if let path = directoryFile(named: name, rescan: fallback == nil) {
            return try voice(fromFile: path)
        }
        guard let fallback else { throw .unknownVoice(name: name, available: names) }
        let url: URL
        do { url = try fallback.resolve(name) } catch { throw .voiceUnavailable(name: name, reason: "\(error)") }
        return try voice(fromFile: url.path)
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

    /// A voice from uploaded audio (any rate, mono). Returns an id (`upload:…`) that
    /// `voice(named:)` accepts for as long as the state stays cached.
    public func voice(fromAudio audio: Audio) throws(VoiceLibraryError) -> (id: String, state: FlowLM.State) {
        let source = "uploaded audio"
        try validate(audio, source: source)
        let key = Self.audioKey(audio)
        let id = Self.uploadID(forKey: key)
        if let state = lookUp(key, uploadID: id) { return (id, state) }
        let state = try encode(audio, source: source)
        store(state, key: key, uploadID: id)
        return (id, state)
    }

    // MARK: Bookkeeping (locked)

    private func locked<R>(_ body: () -> R) -> R {
        lock.lock()
        defer { lock.unlock() }
        return body()
    }

    /// The cached state for `key`, counting a hit or a miss.
    private func lookUp(_ key: String, uploadID: String? = nil) -> FlowLM.State? {
        locked {
            guard let state = cache.value(for: key) else {
                counters.misses += 1
                return nil
            }
            counters.hits += 1
            if let uploadID { uploads[uploadID] = key }
            return state
        }
    }

    private func store(_ state: FlowLM.State, key: String, uploadID: String? = nil) {
        locked {
            let (inserted, evicted) = cache.insert(state, for: key, cost: Self.byteCount(of: state))
            counters.evictions += evicted.count
            for old in evicted where old.hasPrefix(Self.audioKeyPrefix) { uploads[Self.uploadID(forKey: old)] = nil }
            if let uploadID { uploads[uploadID] = inserted ? key : nil }
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

    /// Bytes held by a state's caches.
    static func byteCount(of state: FlowLM.State) -> Int {
        state.cache.layerCount * 2 * state.capacity * state.cache.rowSize * MemoryLayout<Float>.stride
    }
}
