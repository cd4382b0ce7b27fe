import Foundation
import PocketTTS
import Testing
@testable import TTSEngine

/// The voice table lists the directory without reading voices (a broken file's header keeps it
/// out), lookups do no I/O, a reload picks up new files, and the table is bounded.
@Suite struct VoiceRegistryTests {
    let model: TTSModel
    let temp: TemporaryDirectory

    init() throws {
        model = try VoiceFixtures.tinyModel()
        temp = try TemporaryDirectory()
        try temp.copy(VoiceFixtures.voiceState, as: "good.safetensors")
        try temp.write(Array("not a safetensors file".utf8), as: "broken.safetensors")
    }

    func registry(maxVoices: Int = VoiceTable.defaultMaxVoices, fixed: [String: FlowLM.State] = [:],
                  cacheBytes: Int = VoiceRegistry.defaultCacheBytes) throws -> VoiceRegistry {
        let library = try VoiceLibrary(model: model, configuration: .init(directory: temp.path, maxCachedVoices: 0))
        return VoiceRegistry(library: library, fixed: fixed, maxVoices: maxVoices, cacheBytes: cacheBytes)
    }

    @Test func onlyVoicesWhoseHeaderChecksOutAreOffered() throws {
        let voices = try registry()
        #expect(voices.table.names.isEmpty)  // nothing before the first reload
        let report = voices.reload()
        #expect(report.loaded == ["good"])
        #expect(report.failures.map(\.name) == ["broken"])
        #expect(voices.table.names == ["good"])
        #expect(voices.lookUp("broken") == nil)
    }

    @Test func listingReadsNoVoice() throws {
        for i in 0..<50 { try temp.copy(VoiceFixtures.voiceState, as: "voice-\(i).safetensors") }
        let voices = try registry()
        #expect(voices.reload().loaded.count == 51)
        #expect(voices.cacheStatistics == VoiceCacheStatistics())  // no hit, miss or state
        guard case .onDisk = voices.lookUp("voice-7") else { Issue.record("voice-7 in memory before its first use"); return }
        #expect(voices.table.byteCount == 0)
    }

    @Test func aVoiceIsReadOnFirstUseThenLookedUpWithoutIO() throws {
        let voices = try registry()
        voices.reload()
        let want = try model.voiceState(file: VoiceFixtures.voiceState)
        let state = try voices.state(named: "good")
        expectSameVoice(state, want, model: model, tolerance: 0)  // exact: bit for bit
        let statistics = voices.cacheStatistics
        #expect(statistics.misses == 1 && statistics.count == 1 && statistics.bytes == VoiceLibrary.byteCount(of: want))
        try FileManager.default.removeItem(at: temp.url)
        guard case .ready(let cached) = voices.lookUp("good") else { Issue.record("not cached"); return }
        expectSameVoice(cached, want, model: model, tolerance: 0)
        #expect(voices.cacheStatistics.hits == 1)
        // A reload that cannot list the directory keeps the voices it had.
        let report = voices.reload()
        #expect(report.failures.map(\.name) == [temp.path])
        #expect(voices.table.names == ["good"])
    }

    /// Least recently used first, the cache never above its bound; a state held (as an open
    /// stream holds its voice) outlives its eviction unchanged, and a voice evicted and read
    /// again is the same state.
    @Test func evictionIsLeastRecentlyUsedWithinTheBound() throws {
        try temp.remove("broken.safetensors")
        for name in ["a", "b", "c"] { try temp.copy(VoiceFixtures.voiceState, as: "\(name).safetensors") }
        let one = VoiceLibrary.byteCount(of: try model.voiceState(file: VoiceFixtures.voiceState))
        let voices = try registry(cacheBytes: 2 * one + one / 2)  // two voices fit, not three
        voices.reload()
        let a = try voices.state(named: "a")
        let held = try voices.state(named: "b")
        _ = voices.lookUp("a")  // a is now the most recently used
        _ = try voices.state(named: "c")
        #expect(voices.cachedVoices == ["a", "c"])  // b went: least recently used
        var statistics = voices.cacheStatistics
        #expect(statistics.evictions == 1 && statistics.count == 2 && statistics.bytes == 2 * one && statistics.bytes <= voices.cacheBytes)
        let want = try model.voiceState(file: VoiceFixtures.voiceState)
        expectSameVoice(held, want, model: model, tolerance: 0)  // evicted, not freed under its holder
        guard case .onDisk = voices.lookUp("b") else { Issue.record("b still in memory"); return }
        let again = try voices.state(named: "b")  // evicts a (c was used after it)
        expectSameVoice(again, held, model: model, tolerance: 0)
        expectSameVoice(again, a, model: model, tolerance: 0)
        #expect(voices.cachedVoices == ["c", "b"])
        statistics = voices.cacheStatistics
        #expect(statistics.misses == 4 && statistics.evictions == 2 && statistics.count == 2)
    }

    @Test func aZeroCacheKeepsNothing() throws {
        let voices = try registry(cacheBytes: 0)
        voices.reload()
        _ = try voices.state(named: "good")
        guard case .onDisk = voices.lookUp("good") else { Issue.record("kept with no cache"); return }
        #expect(voices.cacheStatistics.bytes == 0)
    }

    /// A file that passed its header check but fails when read is no longer offered.
    @Test func aVoiceThatFailsOnFirstUseIsWithdrawn() throws {
        let voices = try registry()
        voices.reload()
        let file = temp.path("good.safetensors")
        let bytes = try Data(contentsOf: URL(fileURLWithPath: file))
        try bytes.prefix(bytes.count - 64).write(to: URL(fileURLWithPath: file))  // truncated data, same header
        #expect(throws: VoiceLibraryError.self) { try voices.state(named: "good") }
        #expect(voices.lookUp("good") == nil && voices.table.names.isEmpty)
    }

    @Test func reloadPicksUpNewFilesAndDropsRemovedOnes() throws {
        let voices = try registry()
        voices.reload()
        try temp.copy(VoiceFixtures.voiceState, as: "fresh.safetensors")
        try temp.remove("good.safetensors")
        #expect(voices.table.names == ["good"])  // until the reload
        #expect(voices.reload().loaded == ["fresh"])
        #expect(voices.table.names == ["fresh"])
    }

    @Test func reloadKeepsTheStatesOfUnchangedFilesAndDropsChangedOnes() throws {
        try temp.remove("broken.safetensors")
        try temp.copy(VoiceFixtures.voiceState, as: "other.safetensors")
        let voices = try registry()
        voices.reload()
        _ = try voices.state(named: "good")
        _ = try voices.state(named: "other")
        voices.reload()
        guard case .ready = voices.lookUp("good") else { Issue.record("unchanged file read again"); return }
        try temp.remove("other.safetensors")
        try temp.copy(VoiceFixtures.voiceState, as: "other.safetensors")
        let later = Date(timeIntervalSinceNow: 60)
        try FileManager.default.setAttributes([.modificationDate: later], ofItemAtPath: temp.path("other.safetensors"))
        voices.reload()
        #expect(voices.cachedVoices == ["good"])
        guard case .onDisk = voices.lookUp("other") else { Issue.record("a changed file's old state kept"); return }
    }

    @Test func givenAndAddedVoicesStayAcrossReloadsAndWin() throws {
        let given = try model.voiceState(file: VoiceFixtures.voiceState)
        let voices = try registry(fixed: ["good": given])
        voices.reload()
        #expect(voices.table.entries["good"]?.origin == .fixed)
        guard case .ready = voices.lookUp("good") else { Issue.record("a given voice not in memory"); return }
        try voices.update { table throws(VoiceLibraryError) in try table.adding(name: "uploaded", state: given) }
        voices.reload()
        #expect(voices.table.names == ["good", "uploaded"])
        #expect(voices.table.entries["uploaded"]?.origin == .added)
        try voices.update { table throws(VoiceLibraryError) in table.removing(name: "uploaded") }
        #expect(voices.table.names == ["good"])
    }

    @Test func theTableIsBounded() throws {
        try temp.remove("broken.safetensors")
        try temp.copy(VoiceFixtures.voiceState, as: "other.safetensors")
        let voices = try registry(maxVoices: 1)
        let report = voices.reload()
        #expect(report.loaded == ["good"])  // in name order
        #expect(report.failures.map(\.name) == ["other"])
        #expect(report.failures.contains { $0.error == .tooManyVoices(name: "other", limit: 1) })
        let state = try voices.state(named: "good")
        #expect(throws: VoiceLibraryError.tooManyVoices(name: "new", limit: 1)) {
            try voices.update { table throws(VoiceLibraryError) in try table.adding(name: "new", state: state) }
        }
        try voices.update { table throws(VoiceLibraryError) in try table.adding(name: "good", state: state) }  // replacing fits
        #expect(voices.table.count == 1)
        #expect(voices.table.byteCount == VoiceLibrary.byteCount(of: state))
    }

    /// Under the reduced precisions a voice is stored with its KV cache in bfloat16: half the
    /// bytes of `exact`, each value the f32 file's rounded to nearest (relative error ≤ 2⁻⁸, bfloat16's unit roundoff).
    @Test func reducedPrecisionStoresTheCacheInBFloat16() throws {
        var config = try PocketTTSConfig(contentsOf: URL(fileURLWithPath: VoiceFixtures.reference("tiny.yaml")))
        config = config.asPocketTTS111()
        let bf16 = try TTSModel.load(config: config, weightsPath: VoiceFixtures.reference("tiny_weights.safetensors"),
                                     tokenizerPath: VoiceFixtures.directory.appendingPathComponent("tokenizer/test_tokenizer.model").path,
                                     precision: .bf16)
        try #require(bf16.flowLM.transformer.cacheElement == .bfloat16)
        let library = try VoiceLibrary(model: bf16, configuration: .init(directory: temp.path, maxCachedVoices: 0))
        let voices = VoiceRegistry(library: library)
        voices.reload()
        let compact = try voices.state(named: "good")
        let exact = try model.voiceState(file: VoiceFixtures.voiceState)
        #expect(VoiceLibrary.byteCount(of: compact) * 2 == VoiceLibrary.byteCount(of: exact))
        #expect(voices.cacheStatistics.bytes == VoiceLibrary.byteCount(of: compact))
        let got = bf16.flowLM.voiceTensors(of: compact)
        var worst: Float = 0
        for (name, want) in model.flowLM.voiceTensors(of: exact) where name.hasSuffix("/cache") {
            let values = try #require(got[name]).data
            #expect(values.count == want.data.count)
            for (g, w) in zip(values, want.data) where w != 0 { worst = max(worst, abs(g - w) / abs(w)) }
        }
        #expect(worst <= 1 / 256 && worst > 0, "worst \(worst)")  // rounded, not truncated nor kept in f32
    }
}
