import Foundation
import PocketTTS
import Synchronization

/// What a reload did: the voices of the library offered now, and each that could not be offered.
public struct VoiceReloadReport: Sendable {
    /// Library voices offered now (listed: their states load on first use), sorted.
    public var loaded: [String] = []
    /// Names (or the directory) that failed, with why; none of them is offered.
    public var failures: [(name: String, error: VoiceLibraryError)] = []
}

/// How a voice name resolves without I/O (`VoiceRegistry.lookUp`).
public enum VoiceLookup: Sendable {
    /// The state is in memory: a `.fixed` or `.added` voice, or a `.loaded` one in the cache.
    case ready(FlowLM.State)
    /// A `.loaded` voice not in memory: `VoiceRegistry.state(named:)` reads it (blocks).
    case onDisk
}

/// The current `VoiceTable`, swapped atomically, and the bounded cache of the states of its
/// `.loaded` voices (issue 24: a thousand voices in bounded memory).
///
/// - `reload()` lists the library's directory (at start, or on SIGHUP: never the event loop)
///   and swaps the new table in. It reads no voice, only each new file's header
///   (`VoiceLibrary.checkHeader`: a broken file is not offered), so start-up hardly grows with
///   the number of voice files. Voices given at start and voices added since stay.
/// - A directory voice is read on first use (`state(named:)`, off the event loop) and kept in
///   a least-recently-used cache of at most `cacheBytes` bytes of state (`LRUCache`). States
///   are stored as the model uses them: the KV cache in bfloat16 under the reduced precisions
///   (half the bytes), f32 bit for bit at `exact`, each trimmed to its positions.
/// - A state is a plain value: a stream opened in a voice holds its own reference to the
///   voice's buffers, so evicting the voice never frees them under the stream.
/// - `lookUp` (the event-loop thread, per turn) takes the table and the cache under locks held
///   for a copy, never for I/O.
public final class VoiceRegistry: Sendable {
    /// The default of `cacheBytes`: 256 MB, some 25–80 full-size voices (about 3 MB for 10 s of
    /// voice prompt in bfloat16, twice that at `exact`).
    public static let defaultCacheBytes = 256 << 20

    /// Where `.loaded` voices come from; nil for none.
    public let library: VoiceLibrary?
    /// Most bytes of `.loaded` voice state kept in memory (a state larger alone is used, not kept).
    public let cacheBytes: Int
    private let current: Mutex<VoiceTable>
    private let cache: Mutex<Cache>
    private let reloads = Mutex<Void>(())  // one reload at a time

    private struct Cached: Sendable {
        let path: String
        let stamp: FileStamp?
        let state: FlowLM.State
    }

    private struct Cache: Sendable {
        var states: LRUCache<String, Cached>  // voice name → state
        var counters = VoiceCacheStatistics()
    }

    /// A table of the `fixed` voices only (cut at `maxVoices`); `reload()` adds the library's.
    public init(library: VoiceLibrary?, fixed: [String: FlowLM.State] = [:], maxVoices: Int = VoiceTable.defaultMaxVoices,
                cacheBytes: Int = VoiceRegistry.defaultCacheBytes) {
        precondition(cacheBytes >= 0, "VoiceRegistry: negative cache bound")
        self.library = library
        self.cacheBytes = cacheBytes
        var table = VoiceTable(maxVoices: maxVoices)
        for (name, state) in fixed.sorted(by: { $0.key < $1.key }) {
            table = (try? table.adding(name: name, state: state, origin: .fixed)) ?? table
        }
        current = Mutex(table)
        cache = Mutex(Cache(states: LRUCache(maxCount: .max, maxCost: cacheBytes)))
    }

    /// The voices offered now.
    public var table: VoiceTable { current.withLock { $0 } }

    /// Replaces the table by `change(table)`, atomically (e.g. `{ try $0.adding(name:state:) }`
    /// for an uploaded voice); `change` runs under the lock: keep it to table edits.
    public func update(_ change: (VoiceTable) throws(VoiceLibraryError) -> VoiceTable) throws(VoiceLibraryError) {
        try current.withLock { (table: inout VoiceTable) throws(VoiceLibraryError) in table = try change(table) }
    }

    // MARK: States

    /// The voice `name` without I/O: its state when in memory, `.onDisk` for a directory voice
    /// to read first, nil for a name the table does not offer. A cached state counts a hit.
    public func lookUp(_ name: String) -> VoiceLookup? {
        guard let entry = current.withLock({ $0.entries[name] }) else { return nil }
        if let state = entry.state { return .ready(state) }
        guard case .loaded(let path) = entry.origin else { return nil }
        return cache.withLock { cache in
            guard let cached = cache.states.value(for: name), cached.path == path, cached.stamp == entry.stamp else {
                return .onDisk
            }
            cache.counters.hits += 1
            return .ready(cached.state)
        }
    }

    /// The state of voice `name`, reading a directory voice's file when it is not in memory and
    /// keeping it in the cache (evicting the least recently used). Blocks on a miss (file read,
    /// or encoding for an audio file): never on the event-loop thread. A voice whose file fails
    /// is no longer offered (`.unknownVoice` afterwards, until a reload lists it again).
    public func state(named name: String) throws(VoiceLibraryError) -> FlowLM.State {
        let names = { self.table.names.sorted() }
        guard let lookup = lookUp(name) else { throw .unknownVoice(name: name, available: names()) }
        if case .ready(let state) = lookup { return state }
        guard let library, let entry = current.withLock({ $0.entries[name] }), case .loaded(let path) = entry.origin else {
            throw .unknownVoice(name: name, available: names())
        }
        let state: FlowLM.State
        do {
            state = try library.uncachedVoice(fromFile: path)
        } catch {
            current.withLock { table in
                if table.entries[name]?.origin == .loaded(path: path) { table = table.removing(name: name) }
            }
            throw error
        }
        let evicted = cache.withLock { cache in
            cache.counters.misses += 1
            let (_, evicted) = cache.states.insert(Cached(path: path, stamp: entry.stamp, state: state), for: name,
                                                   cost: VoiceLibrary.byteCount(of: state))
            cache.counters.evictions += evicted.count
            return evicted.count
        }
        if evicted > 0 { returnFreedMemory() }  // freed now unless a stream still holds the state
        return state
    }

    /// Hits, misses and evictions of the cache since the registry was made, and what it holds.
    public var cacheStatistics: VoiceCacheStatistics {
        cache.withLock { cache in
            var s = cache.counters
            s.count = cache.states.count
            s.bytes = cache.states.totalCost
            return s
        }
    }

    /// The directory voices in memory now, least recently used first.
    public var cachedVoices: [String] { cache.withLock { $0.states.keys } }

    // MARK: Reload

    /// Lists the library's directory again (reading no voice: the header of each file not
    /// offered before, `VoiceLibrary.checkHeader`) and swaps the new table in. A voice whose
    /// header fails, or beyond `maxVoices`, is reported and not offered; if the directory cannot be listed,
    /// the library's voices stay as they were. Cached states of files that changed or went are
    /// dropped. Blocks (a directory listing): never call it on the event-loop thread.
    @discardableResult
    public func reload() -> VoiceReloadReport {
        reloads.withLock { _ in reloadLocked() }
    }

    private func reloadLocked() -> VoiceReloadReport {
        var report = VoiceReloadReport()
        guard let library else { return report }
        let previous = table
        let names: [String]
        do {
            names = try library.reload()
        } catch {
            report.failures.append((library.configuration.directory ?? "voices", error))
            report.loaded = previous.names { if case .loaded = $0 { true } else { false } }.sorted()
            return report
        }
        var loaded: [(name: String, entry: VoiceTable.Entry)] = []
        for name in names {
            if let kept = previous.entries[name], kept.origin == .fixed || kept.origin == .added { continue }
            do {
                let path = try library.file(named: name)
                if previous.entries[name]?.origin != .loaded(path: path) { try library.checkHeader(ofFile: path) }
                loaded.append((name, VoiceTable.Entry(state: nil, origin: .loaded(path: path), stamp: try FileStamp(path: path))))
            } catch {
                report.failures.append((name, error))
            }
        }
        let (skipped, offered) = current.withLock { table in
            let (replaced, skipped) = table.replacingLoaded(with: loaded)
            table = replaced
            return (skipped, replaced.entries)
        }
        let dropped = cache.withLock { cache in  // states of files no longer offered as they were
            var dropped = 0
            for name in cache.states.keys {
                guard let cached = cache.states.peek(name) else { continue }
                if let entry = offered[name], entry.origin == .loaded(path: cached.path), entry.stamp == cached.stamp { continue }
                cache.states.removeValue(for: name)
                dropped += 1
            }
            return dropped
        }
        if dropped > 0 { returnFreedMemory() }
        report.failures += skipped.map { (name: $0.0, error: $0.1) }
        report.loaded = table.names { if case .loaded = $0 { true } else { false } }.sorted()
        return report
    }
}
