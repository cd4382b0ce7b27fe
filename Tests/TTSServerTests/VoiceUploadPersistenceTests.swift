import AudioIO
import Foundation
import PocketTTS
import Testing
import TTSEngine
@testable import TTSServer

/// `persist_uploaded_voices`: `POST /v1/voices` also writes the voice to the voices directory,
/// a server started again over that directory offers it, and `DELETE` removes the file.
@Suite(.serialized) struct VoiceUploadPersistenceTests {
    /// A service over `directory` (a new engine adapter and registry: a restart).
    private func start(_ model: TTSModel, _ voice: FlowLM.State, directory: String, persist: Bool = true) throws
        -> (Engine, EngineSpeechAdapter, TTSService) {
        let engine = Engine(model: model, configuration: EngineConfiguration(maxStreams: 2))
        engine.start()
        let library = try VoiceLibrary(model: model, configuration: .init(directory: directory, maxCachedVoices: 0))
        let adapter = EngineSpeechAdapter(engine: engine, library: library, fixedVoices: ["alba": voice])
        let service = try startService(engine: adapter) {
            $0.maxVoiceUploadSeconds = 5
            $0.persistUploadedVoices = persist
        }
        return (engine, adapter, service)
    }

    @Test func anUploadOutlivesARestartUntilDeleted() throws {
        let (model, voice) = try TinyModel.load()
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("voices-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let wav = try toneWAV(hz: 260)
        let (body, type) = multipartBody(fields: [:], files: ["audio": ("../../voices/alba.safetensors", wav)])

        let (engine, _, service) = try start(model, voice, directory: directory)
        let created = try HTTPTestClient(port: service.port ?? 0).send(path: "/v1/voices", headers: ["Content-Type": type], body: body)
        service.stop()
        engine.stop()
        #expect(created.status == 201)
        let id = try #require(jsonObject(created.body)?["voice_id"] as? String)
        #expect(try FileManager.default.contentsOfDirectory(atPath: directory) == ["\(id).safetensors"])  // the client's name unused

        let (engine2, adapter2, service2) = try start(model, voice, directory: directory)
        defer {
            service2.stop()
            engine2.stop()
        }
        let port = service2.port ?? 0
        #expect(adapter2.voices.contains(id))
        try expectUploadedVoiceServes(id, port: port)

        #expect(try HTTPTestClient(port: port).send(method: "DELETE", path: "/v1/voices/\(id)").status == 200)
        #expect(try FileManager.default.contentsOfDirectory(atPath: directory).isEmpty)
        #expect(!adapter2.voices.contains(id))
        #expect(try HTTPTestClient(port: port).send(method: "DELETE", path: "/v1/voices/\(id)").status == 404)
    }

    @Test func offByDefault() throws {
        #expect(!ServerConfig().persistUploadedVoices)
        #expect(try ServerConfig.load(filePath: nil, environment: ["POCKET_TTS_PERSIST_UPLOADED_VOICES": "true"]).persistUploadedVoices)
        let (model, voice) = try TinyModel.load()
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("voices-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let (engine, _, service) = try start(model, voice, directory: directory, persist: false)
        defer {
            service.stop()
            engine.stop()
        }
        let (body, type) = multipartBody(fields: [:], files: ["audio": ("a.wav", try toneWAV(hz: 270))])
        #expect(try HTTPTestClient(port: service.port ?? 0).send(path: "/v1/voices", headers: ["Content-Type": type], body: body).status == 201)
        #expect(try FileManager.default.contentsOfDirectory(atPath: directory).isEmpty)
    }

    /// A one-second WAV tone.
    private func toneWAV(hz: Double) throws -> [UInt8] {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("tone-\(UUID().uuidString).wav").path
        defer { try? FileManager.default.removeItem(atPath: path) }
        let samples = (0..<24000).map { Float(sin(Double($0) * 2 * .pi * hz / 24000) * 0.3) }
        try AudioFile.writeWAV(Audio(samples: samples, sampleRate: 24000), to: path)
        return Array(try Data(contentsOf: URL(fileURLWithPath: path)))
    }
}
