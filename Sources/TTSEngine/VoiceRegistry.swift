import Foundation
import PocketTTS
import Synchronization

/// What a reload did: the voices read from the library, and each that could not be offered.
public struct VoiceReloadReport: Sendable {
    /// Library voices offered now, sorted.
    public var loaded: [String] = []
    /// Names (or the directory) that failed, with why; none of them is offered.
    public var failures: [(name: String, error: VoiceLibraryError)] = []
}

/// The current `VoiceTable`, swapped atomically: readers (the event-loop thread, per turn)
/// take the table under a lock held for a copy, never for I/O. `reload()` reads the voices
/// directory on the caller's thread (at start, or on SIGHUP: never the event loop), then
/// swaps in the new table; voices given at start and voices added since stay.
public final class VoiceRegistry: Sendable {
    /// Where `.loaded` voices come from; nil for none.
    public let library: VoiceLibrary?
    private let current: Mutex<VoiceTable>
    private let reloads = Mutex<Void>(())  // one reload at a time

    /// A table of the `fixed` voices only (cut at `maxVoices`); `reload()` adds the library's.
    public init(library: VoiceLibrary?, fixed: [String: FlowLM.State] = [:], maxVoices: Int = VoiceTable.defaultMaxVoices) {
        self.library = library
        var table = VoiceTable(maxVoices: maxVoices)
        for (name, state) in fixed.sorted(by: { $0.key < $1.key }) {
            table = (try? table.adding(name: name, state: state, origin: .fixed)) ?? table
        }
        current = Mutex(table)
    }

    /// The voices offered now.
    public var table: VoiceTable { current.withLock { $0 } }

    /// Replaces the table by `change(table)`, atomically (e.g. `{ try $0.adding(name:state:) }`
    /// for an uploaded voice); `change` runs under the lock: keep it to table edits.
    public func update(_ change: (VoiceTable) throws(VoiceLibraryError) -> VoiceTable) throws(VoiceLibraryError) {
        try current.withLock { (table: inout VoiceTable) throws(VoiceLibraryError) in table = try change(table) }
    }

    /// Lists the library's directory again and loads every voice (a file unchanged since the
    /// last reload keeps its state), then swaps the new table in. A voice that fails to load
    /// is logged in the report and not offered; if the directory cannot be listed, the
    /// library's voices stay as they were. Blocks (file reads, encoding): never call it on the
    /// event-loop thread.
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
                loaded.append((name, try entry(named: name, in: library, previous: previous.entries[name])))
            } catch {
                report.failures.append((name, error))
            }
        }
        let skipped = current.withLock { table in
            let (replaced, skipped) = table.replacingLoaded(with: loaded)
            table = replaced
            return skipped
        }
        report.failures += skipped.map { (name: $0.0, error: $0.1) }
        report.loaded = table.names { if case .loaded = $0 { true } else { false } }.sorted()
        return report
    }

    /// The library's voice `name`: the previous state when its file is unchanged, else read.
    private func entry(named name: String, in library: VoiceLibrary, previous: VoiceTable.Entry?) throws(VoiceLibraryError)
        -> VoiceTable.Entry {
        let path = try library.file(named: name)
        let stamp = try FileStamp(path: path)
        if let previous, previous.origin == .loaded(path: path), previous.stamp == stamp { return previous }
        return VoiceTable.Entry(state: try library.voice(fromFile: path), origin: .loaded(path: path), stamp: stamp)
    }
}
