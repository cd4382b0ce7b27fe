import PocketTTS

/// The voices a server offers: an immutable value, looked up without any I/O. Changes make a
/// new table (`adding`, `removing`, `replacingLoaded`); a `VoiceRegistry` holds the current one
/// and swaps it atomically.
///
/// Every entry says where it came from, which decides what a reload of the voices directory
/// may replace: `.loaded` entries are the library's (replaced on reload), `.fixed` ones were
/// given at start (`serve --voice`, predefined voices) and `.added` ones at run time (uploads);
/// those two stay and win over a directory voice of the same name.
///
/// `.fixed` and `.added` entries hold their prefilled state. `.loaded` entries hold only their
/// file: their states are read on first use and kept in the registry's bounded cache
/// (`VoiceRegistry`), so a directory of a thousand voices costs a thousand names here.
/// The table holds at most `maxVoices` names: `adding` a new name to a full table throws
/// `.tooManyVoices`.
public struct VoiceTable: Sendable {
    public enum Origin: Sendable, Equatable {
        /// Given at start; kept across reloads.
        case fixed
        /// Read from `path` by a `VoiceLibrary`; replaced by each reload.
        case loaded(path: String)
        /// Added at run time (e.g. an uploaded voice); kept across reloads.
        case added
    }

    public struct Entry: Sendable {
        /// The prefilled state of a `.fixed` or `.added` voice; nil for a `.loaded` one (read on
        /// first use: `VoiceRegistry.state(named:)`).
        public let state: FlowLM.State?
        public let origin: Origin
        /// Size and time of a `.loaded` file when read: unchanged, a reload reuses the state.
        let stamp: FileStamp?
    }

    /// Most voices the table holds.
    public let maxVoices: Int
    public private(set) var entries: [String: Entry] = [:]

    /// The default cap of `maxVoices`.
    public static let defaultMaxVoices = 10_000

    public init(maxVoices: Int = VoiceTable.defaultMaxVoices) {
        precondition(maxVoices >= 0, "VoiceTable: negative maxVoices")
        self.maxVoices = maxVoices
    }

    public var names: Set<String> { Set(entries.keys) }
    public var count: Int { entries.count }
    public var isFull: Bool { entries.count >= maxVoices }

    /// The names of one origin's voices (e.g. `.added`).
    public func names(where include: (Origin) -> Bool) -> Set<String> {
        Set(entries.filter { include($0.value.origin) }.keys)
    }

    /// The state utterances in `name` start from (a copy: plain value), or nil: no such voice,
    /// or a `.loaded` voice (its state is the registry's: `VoiceRegistry.state(named:)`).
    public func state(named name: String) -> FlowLM.State? { entries[name]?.state }

    /// This table with `name` set to `state` (replacing a voice of that name). Throws
    /// `.tooManyVoices` when `name` is new and the table is full.
    public func adding(name: String, state: FlowLM.State, origin: Origin = .added) throws(VoiceLibraryError) -> VoiceTable {
        try adding(name: name, entry: Entry(state: state, origin: origin, stamp: nil))
    }

    /// This table without `name` (unchanged if it has no such voice).
    public func removing(name: String) -> VoiceTable {
        var table = self
        table.entries.removeValue(forKey: name)
        return table
    }

    /// This table with its `.loaded` voices replaced by `loaded`. A loaded voice whose name a
    /// kept (`.fixed`, `.added`) voice holds is left out; one beyond `maxVoices` too, and
    /// named in `skipped`.
    func replacingLoaded(with loaded: [(name: String, entry: Entry)]) -> (table: VoiceTable, skipped: [(String, VoiceLibraryError)]) {
        var table = self
        table.entries = entries.filter { if case .loaded = $0.value.origin { false } else { true } }
        var skipped: [(String, VoiceLibraryError)] = []
        for (name, entry) in loaded where table.entries[name] == nil {
            do { table = try table.adding(name: name, entry: entry) } catch { skipped.append((name, error)) }
        }
        return (table, skipped)
    }

    private func adding(name: String, entry: Entry) throws(VoiceLibraryError) -> VoiceTable {
        if entries[name] == nil, isFull { throw .tooManyVoices(name: name, limit: maxVoices) }
        var table = self
        table.entries[name] = entry
        return table
    }

    /// Bytes of voice state the table itself holds (the `.fixed` and `.added` voices).
    public var byteCount: Int { entries.values.reduce(0) { $0 + ($1.state.map(VoiceLibrary.byteCount(of:)) ?? 0) } }
}
