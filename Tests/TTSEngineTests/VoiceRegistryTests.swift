import Foundation
import PocketTTS
import Testing
@testable import TTSEngine

/// The voice table is resolved ahead of use: lookups do no I/O, voices that fail are not
/// offered, a reload picks up new files, and the table is bounded.
@Suite struct VoiceRegistryTests {
    let model: TTSModel
    let temp: TemporaryDirectory

    init() throws {
        model = try VoiceFixtures.tinyModel()
        temp = try TemporaryDirectory()
        try temp.copy(VoiceFixtures.voiceState, as: "good.safetensors")
        try temp.write(Array("not a safetensors file".utf8), as: "broken.safetensors")
    }

    func registry(maxVoices: Int = VoiceTable.defaultMaxVoices, fixed: [String: FlowLM.State] = [:]) throws -> VoiceRegistry {
        let library = try VoiceLibrary(model: model, configuration: .init(directory: temp.path))
        return VoiceRegistry(library: library, fixed: fixed, maxVoices: maxVoices)
    }

    @Test func onlyVoicesThatLoadAreOffered() throws {
        let voices = try registry()
        #expect(voices.table.names.isEmpty)  // nothing before the first reload
        let report = voices.reload()
        #expect(report.loaded == ["good"])
        #expect(report.failures.map(\.name) == ["broken"])
        #expect(voices.table.names == ["good"])
        #expect(voices.table.state(named: "broken") == nil)
    }

    @Test func lookupsReadNoFileOnceLoaded() throws {
        let voices = try registry()
        voices.reload()
        let want = try model.voiceState(file: VoiceFixtures.voiceState)
        try FileManager.default.removeItem(at: temp.url)
        let state = try #require(voices.table.state(named: "good"))
        expectSameVoice(state, want, model: model, tolerance: 0)
        // A reload that cannot list the directory keeps the voices it had.
        let report = voices.reload()
        #expect(report.failures.map(\.name) == [temp.path])
        #expect(voices.table.names == ["good"])
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

    @Test func reloadReusesTheStatesOfUnchangedFiles() throws {
        try temp.remove("broken.safetensors")
        let voices = try registry()
        let library = try #require(voices.library)
        voices.reload()
        let before = library.statistics
        #expect(before.hits + before.misses == 1)  // "good" read once
        voices.reload()
        let after = library.statistics
        #expect(after.hits == before.hits && after.misses == before.misses)  // not read again
    }

    @Test func givenAndAddedVoicesStayAcrossReloadsAndWin() throws {
        let given = try model.voiceState(file: VoiceFixtures.voiceState)
        let voices = try registry(fixed: ["good": given])
        voices.reload()
        #expect(voices.table.entries["good"]?.origin == .fixed)
        try voices.update { table throws(VoiceLibraryError) in try table.adding(name: "uploaded", state: given) }
        voices.reload()
        #expect(voices.table.names == ["good", "uploaded"])
        #expect(voices.table.entries["uploaded"]?.origin == .added)
        try voices.update { table throws(VoiceLibraryError) in table.removing(name: "uploaded") }
        #expect(voices.table.names == ["good"])
    }

    @Test func theTableIsBounded() throws {
        try temp.copy(VoiceFixtures.voiceState, as: "other.safetensors")
        let voices = try registry(maxVoices: 1)
        let report = voices.reload()
        #expect(report.loaded == ["good"])  // in name order
        #expect(Set(report.failures.map(\.name)) == ["broken", "other"])
        #expect(report.failures.contains { $0.error == .tooManyVoices(name: "other", limit: 1) })
        let state = try #require(voices.table.state(named: "good"))
        #expect(throws: VoiceLibraryError.tooManyVoices(name: "new", limit: 1)) {
            try voices.update { table throws(VoiceLibraryError) in try table.adding(name: "new", state: state) }
        }
        try voices.update { table throws(VoiceLibraryError) in try table.adding(name: "good", state: state) }  // replacing fits
        #expect(voices.table.count == 1)
        #expect(voices.table.byteCount == VoiceLibrary.byteCount(of: state))
    }
}
