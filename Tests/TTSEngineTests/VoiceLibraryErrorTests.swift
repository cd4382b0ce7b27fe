import AudioIO
import Foundation
import Kernels
import PocketTTS
import Testing
@testable import TTSEngine

/// Every way a voice can be refused, each with the error that names what is wrong.
@Suite struct VoiceLibraryErrorTests {
    let model: TTSModel
    let temp: TemporaryDirectory
    let voices: VoiceLibrary

    init() throws {
        model = try VoiceFixtures.tinyModel()
        temp = try TemporaryDirectory()
        voices = try VoiceLibrary(model: model, configuration: .init(directory: temp.path, promptSeconds: 0.5, maxAudioSeconds: 1))
    }

    @Test func emptyAudio() throws {
        #expect(throws: VoiceLibraryError.emptyAudio(source: "decoded audio")) {
            try voices.validate(Audio(samples: [], sampleRate: 24000), source: "decoded audio")
        }
        try AudioFile.writeWAV(Audio(samples: [], sampleRate: 24000), to: temp.path("empty.wav"))
        #expect(throws: VoiceLibraryError.emptyAudio(source: temp.path("empty.wav"))) { try voices.voice(named: "empty") }
        #expect(voices.statistics.misses == 0)  // refused before the cache is asked
    }

    @Test func invalidAudio() throws {
        // Decoded samples are checked before encoding (files cannot carry a rate of 0).
        #expect(throws: VoiceLibraryError.invalidAudio(source: "decoded audio", reason: "sample 2 is nan")) {
            try voices.validate(Audio(samples: [0, 0.1, .nan, 0], sampleRate: 24000), source: "decoded audio")
        }
        #expect(throws: VoiceLibraryError.invalidAudio(source: "decoded audio", reason: "sample rate 0 Hz")) {
            try voices.validate(Audio(samples: [0, 0.1], sampleRate: 0), source: "decoded audio")
        }
    }

    @Test func corruptAudioFile() throws {
        var bytes = Array("RIFF\u{24}\u{0}\u{0}\u{0}WAVEjunk".utf8)
        bytes += (0..<200).map { UInt8(truncatingIfNeeded: $0 &* 37) }
        try temp.write(bytes, as: "broken.wav")
        let error = try #require(throws: VoiceLibraryError.self) { try voices.voice(named: "broken") }
        guard case .unreadableAudio(let source, let reason) = error else {
            Issue.record("expected unreadableAudio, got \(error)")
            return
        }
        #expect(source == temp.path("broken.wav") && !reason.isEmpty)
    }

    @Test func unsupportedAndMissingFiles() throws {
        try temp.write(Array("hello".utf8), as: "voice.txt")
        #expect(throws: VoiceLibraryError.unsupportedFormat(path: temp.path("voice.txt"), fileExtension: "txt")) {
            try voices.voice(fromFile: temp.path("voice.txt"))
        }
        #expect(throws: VoiceLibraryError.fileNotFound(path: temp.path("nothing.wav"))) {
            try voices.voice(fromFile: temp.path("nothing.wav"))
        }
        #expect(throws: VoiceLibraryError.fileNotFound(path: temp.path("nothing.safetensors"))) {
            try voices.voice(fromFile: temp.path("nothing.safetensors"))
        }
    }

    @Test func tooLongAudioIsRejected() throws {
        #expect(throws: VoiceLibraryError.tooLong(source: "decoded audio", seconds: 1.5, limit: 1)) {
            try voices.validate(sine(seconds: 1.5, hz: 200), source: "decoded audio")
        }
        try AudioFile.writeWAV(sine(seconds: 1.5, hz: 200), to: temp.path("long.wav"))
        #expect(throws: VoiceLibraryError.tooLong(source: temp.path("long.wav"), seconds: 1.5, limit: 1)) {
            try voices.voice(named: "long")
        }
        let message = VoiceLibraryError.tooLong(source: "x", seconds: 1.5, limit: 1).description
        #expect(message == "x: the audio lasts 1.5 s, more than the 1.0 s allowed")
    }

    @Test func unknownVoiceListsTheAvailableOnes() throws {
        try temp.copy(VoiceFixtures.voiceState, as: "alba.safetensors")
        try temp.copy(VoiceFixtures.voiceWAV, as: "bob.flac.wav")
        let error = try #require(throws: VoiceLibraryError.self) { try voices.voice(named: "../alba") }
        #expect(error == .unknownVoice(name: "../alba", available: ["alba", "bob.flac"]))
        #expect(error.description == "unknown voice '../alba'; available voices: alba, bob.flac")
        #expect(throws: VoiceLibraryError.unknownVoice(name: "upload:0123456789abcdef", available: ["alba", "bob.flac"])) {
            try voices.voice(named: "upload:0123456789abcdef")
        }
    }

    @Test func badVoiceStateFilesNameTheTensor() throws {
        let reference = try SafetensorsFile(contentsOf: URL(fileURLWithPath: VoiceFixtures.voiceState))
        func write(_ name: String, _ edit: (inout [String: Tensor]) -> Void) throws -> String {
            var tensors: [String: Tensor] = [:]
            for key in reference.names { tensors[key] = try reference.tensor(named: key) }
            edit(&tensors)
            var writer = SafetensorsWriter(metadata: [:])
            for (key, tensor) in tensors.sorted(by: { $0.key < $1.key }) { try writer.add(key, tensor) }
            try writer.write(to: temp.url.appendingPathComponent(name))
            return temp.path(name)
        }
        let missing = try write("missing.safetensors") { $0["transformer.layers.1.self_attn/current_end"] = nil }
        #expect(throws: VoiceLibraryError.invalidVoiceState(
            path: missing, tensor: "transformer.layers.1.self_attn/current_end", reason: "missing")) {
            try voices.voice(fromFile: missing)
        }
        let misshaped = try write("misshaped.safetensors") { $0["transformer.layers.0.self_attn/cache"] = .zeros([2, 1, 19, 4, 16]) }
        let error = try #require(throws: VoiceLibraryError.self) { try voices.voice(fromFile: misshaped) }
        #expect(error == .invalidVoiceState(path: misshaped, tensor: "transformer.layers.0.self_attn/cache",
                                            reason: "shape [2, 1, 19, 4, 16], expected [2, 1, 19, 2, 32] for this model"))
        #expect(error.description.contains("tensor 'transformer.layers.0.self_attn/cache'"))
        let extra = try write("extra.safetensors") { $0["audio_prompt"] = .zeros([1, 3, 64]) }
        #expect(throws: VoiceLibraryError.invalidVoiceState(path: extra, tensor: "audio_prompt", reason: "unexpected")) {
            try voices.voice(fromFile: extra)
        }

        try temp.write(Array(repeating: 0xff, count: 64), as: "garbage.safetensors")
        let garbage = try #require(throws: VoiceLibraryError.self) { try voices.voice(fromFile: temp.path("garbage.safetensors")) }
        guard case .invalidVoiceState(let path, let tensor, _) = garbage else {
            Issue.record("expected invalidVoiceState, got \(garbage)")
            return
        }
        #expect(path == temp.path("garbage.safetensors") && tensor == nil)
    }

    @Test func invalidConfigurations() throws {
        #expect(throws: VoiceLibraryError.self) {
            try VoiceLibrary(model: model, configuration: .init(promptSeconds: 30, maxAudioSeconds: 10))
        }
        #expect(throws: VoiceLibraryError.self) { try VoiceLibrary(model: model, configuration: .init(maxCachedVoices: -1)) }
        let error = try #require(throws: VoiceLibraryError.self) {
            try VoiceLibrary(model: model, configuration: .init(directory: temp.path("absent")))
        }
        guard case .directoryUnreadable(let path, _) = error else {
            Issue.record("expected directoryUnreadable, got \(error)")
            return
        }
        #expect(path == temp.path("absent"))
    }
}
