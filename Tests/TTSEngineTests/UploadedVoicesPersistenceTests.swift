import Foundation
import AudioIO
import PocketTTS
import Testing
@testable import TTSEngine

/// Uploaded voices persisted in the voices directory (`persist_uploaded_voices`): written as
/// `<id>.safetensors` through a renamed temporary file, found by a new registry (a restart or a
/// reload), deleted with the voice; bounded by the upload capacity.
@Suite(.serialized) struct UploadedVoicesPersistenceTests {
    static let model = Result { try VoiceFixtures.tinyModel() }

    /// The bytes of a WAV file of a tone (distinct per `hz`).
    static func wav(hz: Double) throws -> [UInt8] {
        let directory = try TemporaryDirectory()
        let path = directory.path("tone.wav")
        try AudioFile.writeWAV(sine(seconds: 1, hz: hz), to: path)
        return Array(try Data(contentsOf: URL(fileURLWithPath: path)))
    }

    @Test func anUploadIsWrittenFoundByANewRegistryAndDeletedWithTheVoice() throws {
        let model = try Self.model.get()
        let directory = try TemporaryDirectory()
        let library = try VoiceLibrary(model: model, configuration: .init(directory: directory.path, maxCachedVoices: 0))
        let uploads = UploadedVoices()
        let bytes = try Self.wav(hz: 220)
        let id = try uploads.add(audio: bytes, maxBytes: 1 << 20, maxSeconds: 5, library: library, persistIn: directory.path)
        #expect(id == UploadedVoices.id(of: bytes))
        // Only the voice state, under the content id: no temporary file is left behind.
        #expect(try FileManager.default.contentsOfDirectory(atPath: directory.path) == ["\(id).safetensors"])
        #expect(UploadedVoices.persistedIDs(in: directory.path) == [id])

        // After a restart: a new library and registry over the directory offer it, same state.
        let restarted = VoiceRegistry(library: try VoiceLibrary(model: model, configuration: .init(directory: directory.path)))
        #expect(restarted.reload().loaded == [id])
        let state = try restarted.state(named: id)
        expectSameVoice(state, try #require(uploads.state(id)), model: model)

        // Adding the same bytes again writes nothing new.
        #expect(try uploads.add(audio: bytes, maxBytes: 1 << 20, maxSeconds: 5, library: library, persistIn: directory.path) == id)

        #expect(uploads.remove(id, persistedIn: directory.path))
        #expect(uploads.state(id) == nil)
        #expect(try FileManager.default.contentsOfDirectory(atPath: directory.path).isEmpty)
        #expect(restarted.reload().loaded.isEmpty)  // a reload no longer offers it
        #expect(!uploads.remove(id, persistedIn: directory.path))  // nothing left to delete
    }

    @Test func withoutADirectoryNothingIsWrittenAndRemoveTouchesNoFile() throws {
        let model = try Self.model.get()
        let directory = try TemporaryDirectory()
        let library = try VoiceLibrary(model: model, configuration: .init(directory: directory.path, maxCachedVoices: 0))
        let uploads = UploadedVoices()
        let id = try uploads.add(audio: try Self.wav(hz: 330), maxBytes: 1 << 20, maxSeconds: 5, library: library)
        #expect(try FileManager.default.contentsOfDirectory(atPath: directory.path).isEmpty)
        #expect(uploads.remove(id))

        // Only a content id names a file: anything else is never a path.
        try directory.write([1, 2, 3], as: "alba.safetensors")
        #expect(!uploads.remove("alba", persistedIn: directory.path))
        #expect(!uploads.remove("../\(directory.url.lastPathComponent)/alba", persistedIn: directory.path))
        #expect(FileManager.default.fileExists(atPath: directory.path("alba.safetensors")))
        #expect(UploadedVoices.isID(id) && !UploadedVoices.isID("upload-../../etc") && !UploadedVoices.isID("alba"))
    }

    @Test func persistedFilesCountAgainstTheCapacity() throws {
        let model = try Self.model.get()
        let directory = try TemporaryDirectory()
        let library = try VoiceLibrary(model: model, configuration: .init(directory: directory.path, maxCachedVoices: 0))
        let first = try UploadedVoices(capacity: 1)
            .add(audio: try Self.wav(hz: 440), maxBytes: 1 << 20, maxSeconds: 5, library: library, persistIn: directory.path)
        // A new process (empty memory) with the file of the first upload on disk.
        let uploads = UploadedVoices(capacity: 1)
        #expect(throws: UploadedVoices.UploadError.full(capacity: 1)) {
            try uploads.add(audio: try Self.wav(hz: 550), maxBytes: 1 << 20, maxSeconds: 5, library: library, persistIn: directory.path)
        }
        #expect(UploadedVoices.persistedIDs(in: directory.path) == [first])
        // The upload limits still apply first.
        #expect(throws: UploadedVoices.UploadError.tooLarge(bytes: 2048, limit: 1024)) {
            try uploads.add(audio: [UInt8](repeating: 0, count: 2048), maxBytes: 1024, maxSeconds: 5, library: library,
                            persistIn: directory.path)
        }
    }
}
