import AudioIO
import Foundation
import Kernels
import PocketTTS
import Testing
@testable import TTSEngine

/// Voices directory, content-keyed LRU, and voice-state round trips against the
/// reference fixtures (`voice.wav` → `voice_state.safetensors`, pocket-tts 1.1.1).
@Suite struct VoiceLibraryTests {
    let model: TTSModel
    let temp: TemporaryDirectory

    init() throws {
        model = try VoiceFixtures.tinyModel()
        temp = try TemporaryDirectory()
    }

    func library(_ configure: (inout VoiceLibrary.Configuration) -> Void = { _ in }) throws -> VoiceLibrary {
        var configuration = VoiceLibrary.Configuration(directory: temp.path)
        configure(&configuration)
        return try VoiceLibrary(model: model, configuration: configuration)
    }

    @Test func referenceVoiceStateEqualsOurEncodingOfTheReferenceAudio() throws {
        let voices = try library()
        let fromFile = try voices.voice(fromFile: VoiceFixtures.voiceState)
        let fromAudio = try voices.voice(fromFile: VoiceFixtures.voiceWAV)
        #expect(fromFile.length == 19)
        expectSameVoice(fromAudio, fromFile, model: model)
    }

    /// The export is 4.0.1's `export_model_state` form (cache float32, offset and pad int64 [1]);
    /// the fixture is 1.1.1's (current_end float32 [T]): the same caches.
    @Test func exportWritesExactlyTheReferenceFormat() throws {
        let encoded = try library().voice(fromFile: VoiceFixtures.voiceWAV)
        try model.exportVoice(encoded, to: temp.path("exported.safetensors"))
        let ours = try SafetensorsFile(contentsOf: temp.url.appendingPathComponent("exported.safetensors"))
        let reference = try SafetensorsFile(contentsOf: URL(fileURLWithPath: VoiceFixtures.voiceState))
        let layers = model.flowLM.dimensions.layerCount
        #expect(ours.names == (0..<layers).flatMap { i in ["cache", "offset", "pad"].map { "transformer.layers.\(i).self_attn/\($0)" } })
        for name in reference.names where name.hasSuffix("/current_end") {
            let layer = name.dropLast("/current_end".count)
            #expect(try ours.dtype(of: layer + "/offset") == .int64 && ours.dtype(of: layer + "/pad") == .int64)
            #expect(try ours.floats(named: layer + "/offset") == [Float(reference.shape(of: name)[0])])
            #expect(try ours.floats(named: layer + "/pad") == [0])
        }
        for name in reference.names where name.hasSuffix("/cache") {
            #expect(try ours.shape(of: name) == reference.shape(of: name), "\(name) shape")
            #expect(try ours.dtype(of: name) == reference.dtype(of: name), "\(name) dtype")
            let (got, want) = (try ours.floats(named: name), try reference.floats(named: name))
            let scale = max(1, want.reduce(0) { max($0, abs($1)) })
            #expect(got.count == want.count && Tensor.maxAbsDifference(got, want) <= 1e-4 * scale, "\(name) values")
        }
    }

    @Test func directoryListsNamedVoicesAndLoadsThem() throws {
        try temp.copy(VoiceFixtures.voiceState, as: "alba.safetensors")
        try AudioFile.writeWAV(sine(seconds: 0.3, hz: 300), to: temp.path("alba.wav"))  // loses to the voice state
        try AudioFile.writeWAV(sine(seconds: 0.2, hz: 200), to: temp.path("bob.wav"))
        try temp.write(Array("not a voice".utf8), as: "notes.txt")
        try temp.copy(VoiceFixtures.voiceWAV, as: ".hidden.wav")
        try temp.copy(VoiceFixtures.voiceWAV, as: "bad name.wav")
        try FileManager.default.createDirectory(atPath: temp.path("folder.wav"), withIntermediateDirectories: false)
        let voices = try library()
        #expect(voices.names == ["alba", "bob"])

        let reference = try voices.voice(fromFile: VoiceFixtures.voiceState)
        expectSameVoice(try voices.voice(named: "alba"), reference, model: model, tolerance: 0)
        #expect(try voices.voice(named: "bob").length == 3)  // 4800 samples: 3 frames of 1920
        // alba.safetensors has the bytes of voice_state.safetensors: one entry, one hit.
        #expect(voices.statistics.hits == 1 && voices.statistics.misses == 2)
    }

    @Test func newFilesAreFoundAndReloadForgetsRemovedOnes() throws {
        try temp.copy(VoiceFixtures.voiceState, as: "alba.safetensors")
        let voices = try library()
        #expect(voices.names == ["alba"])
        try AudioFile.writeWAV(sine(seconds: 0.3, hz: 300), to: temp.path("carol.wav"))
        #expect(throws: Never.self) { try voices.voice(named: "carol") }  // a miss lists the directory again
        #expect(voices.names == ["alba", "carol"])
        try temp.remove("alba.safetensors")
        #expect(try voices.reload() == ["carol"])
        #expect(throws: VoiceLibraryError.unknownVoice(name: "alba", available: ["carol"])) {
            try voices.voice(named: "alba")
        }
    }

    @Test func fallbackNamesAreListedAndResolvedAfterTheDirectory() throws {
        try temp.copy(VoiceFixtures.voiceState, as: "alba.safetensors")
        let resolved = Counter()
        let fallback = VoiceFallback(names: ["alba", "marius", "javert"]) { name in
            resolved.increment()
            if name == "javert" { throw VoiceLibraryError.fileNotFound(path: "hf://javert") }
            return URL(fileURLWithPath: VoiceFixtures.voiceState)
        }
        let voices = try library { $0.fallback = fallback }
        #expect(voices.names == ["alba", "javert", "marius"])
        _ = try voices.voice(named: "alba")
        #expect(resolved.value == 0)  // the directory's alba
        expectSameVoice(try voices.voice(named: "marius"), try voices.voice(named: "alba"), model: model)
        #expect(resolved.value == 1)
        #expect(throws: VoiceLibraryError.voiceUnavailable(name: "javert", reason: "voice file 'hf://javert' does not exist")) {
            try voices.voice(named: "javert")
        }
        #expect(throws: VoiceLibraryError.unknownVoice(name: "zed", available: ["alba", "javert", "marius"])) {
            try voices.voice(named: "zed")
        }
    }

    @Test func lruEvictsTheLeastRecentlyUsedVoiceAndCountsHitsAndMisses() throws {
        for (name, hz) in [("a", 200.0), ("b", 300.0), ("c", 400.0)] {
            try AudioFile.writeWAV(sine(seconds: 0.2, hz: hz), to: temp.path("\(name).wav"))
        }
        let voices = try library { $0.maxCachedVoices = 2 }
        let a = try voices.voice(named: "a")  // miss
        _ = try voices.voice(named: "b")  // miss
        expectSameVoice(try voices.voice(named: "a"), a, model: model, tolerance: 0)  // hit
        _ = try voices.voice(named: "c")  // miss, evicts b
        #expect(voices.statistics == stats(hits: 1, misses: 3, evictions: 1, count: 2, bytes: voices))
        _ = try voices.voice(named: "a")  // hit
        _ = try voices.voice(named: "b")  // miss, evicts c
        #expect(voices.statistics == stats(hits: 2, misses: 4, evictions: 2, count: 2, bytes: voices))
        _ = try voices.voice(named: "a")  // still cached
        #expect(voices.statistics.hits == 3)
    }

    @Test func byteBoundEvictsAndAnOversizedVoiceIsUsedButNotKept() throws {
        try AudioFile.writeWAV(sine(seconds: 0.2, hz: 200), to: temp.path("first.wav"))
        try AudioFile.writeWAV(sine(seconds: 0.2, hz: 300), to: temp.path("second.wav"))
        let probe = try library().voice(named: "first")
        let size = VoiceLibrary.byteCount(of: probe)
        #expect(size == 2 * 2 * probe.length * 64 * 4)  // layers, k/v, T, d_model, float32
        let voices = try library { $0.maxCachedBytes = size * 3 / 2 }
        let first = try voices.voice(named: "first")
        let second = try voices.voice(named: "second")
        #expect(voices.statistics.count == 1 && voices.statistics.evictions == 1 && voices.statistics.bytes == size)
        expectSameVoice(try voices.voice(named: "second"), second, model: model, tolerance: 0)
        #expect(voices.statistics.hits == 1)  // second stayed
        expectSameVoice(try voices.voice(named: "first"), first, model: model, tolerance: 0)
        #expect(voices.statistics.misses == 3)  // first was evicted: encoded again

        let tiny = try library { $0.maxCachedBytes = size - 1 }
        expectSameVoice(try tiny.voice(named: "first"), first, model: model, tolerance: 0)
        #expect(tiny.statistics.count == 0)
        _ = try tiny.voice(named: "first")
        #expect(tiny.statistics.misses == 2)  // used, never kept
    }

    @Test func aFileIsHashedAgainOnlyWhenItChanges() throws {
        try AudioFile.writeWAV(sine(seconds: 0.2, hz: 200), to: temp.path("v.wav"))
        try temp.copy(temp.path("v.wav"), as: "same.wav")
        let voices = try library()
        let first = try voices.voice(named: "v")
        _ = try voices.voice(named: "same")  // other path, same bytes: one entry
        #expect(voices.statistics.hits == 1 && voices.statistics.count == 1)
        try temp.remove("v.wav")
        try AudioFile.writeWAV(sine(seconds: 0.3, hz: 500), to: temp.path("v.wav"))
        let changed = try voices.voice(named: "v")
        #expect(changed.length != first.length)
        #expect(voices.statistics.misses == 2 && voices.statistics.count == 2)
    }

    @Test func longAudioIsCutToThePromptLength() throws {
        let voices = try library { $0.promptSeconds = 0.3; $0.maxAudioSeconds = 2 }
        let audio = sine(seconds: 0.9, hz: 250)
        try AudioFile.writeWAV(audio, to: temp.path("long.wav"), format: .f32)
        let state = try voices.voice(named: "long")
        let cut = try model.voiceState(audio: Audio(samples: Array(audio.samples.prefix(7200)), sampleRate: 24000))
        #expect(state.length == 4)  // 7200 samples padded to 4 frames of 1920
        expectSameVoice(state, cut, model: model, tolerance: 0)
    }

    @Test func concurrentLookupsAgree() throws {
        try temp.copy(VoiceFixtures.voiceState, as: "alba.safetensors")
        try AudioFile.writeWAV(sine(seconds: 0.2, hz: 200), to: temp.path("bob.wav"))
        let voices = try library()
        let expected = [try model.voiceState(file: VoiceFixtures.voiceState), try model.voiceState(file: temp.path("bob.wav"))]
        let results = Results()
        DispatchQueue.concurrentPerform(iterations: 8) { i in
            results.set(i, Result { () throws(VoiceLibraryError) in try voices.voice(named: i % 2 == 0 ? "alba" : "bob") })
        }
        for i in 0..<8 { expectSameVoice(try results.get(i).get(), expected[i % 2], model: model, tolerance: 0) }
        let s = voices.statistics
        #expect(s.hits + s.misses == 8 && s.count == 2)
    }

    /// Expected counters; the bytes are taken from `library` (checked by the byte-bound test).
    func stats(hits: Int, misses: Int, evictions: Int, count: Int, bytes library: VoiceLibrary) -> VoiceCacheStatistics {
        var s = VoiceCacheStatistics()
        (s.hits, s.misses, s.evictions, s.count) = (hits, misses, evictions, count)
        s.bytes = library.statistics.bytes
        return s
    }
}

final class Counter: @unchecked Sendable {
    private let lock = NSLock()
    private var count = 0
    func increment() { lock.lock(); count += 1; lock.unlock() }
    var value: Int { lock.lock(); defer { lock.unlock() }; return count }
}

final class Results: @unchecked Sendable {
    private let lock = NSLock()
    private var values: [Int: Result<FlowLM.State, VoiceLibraryError>] = [:]
    func set(_ i: Int, _ r: Result<FlowLM.State, VoiceLibraryError>) { lock.lock(); values[i] = r; lock.unlock() }
    func get(_ i: Int) -> Result<FlowLM.State, VoiceLibraryError> { lock.lock(); defer { lock.unlock() }; return values[i]! }
}
