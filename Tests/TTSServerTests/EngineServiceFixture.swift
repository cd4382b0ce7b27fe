import Foundation
import PocketTTS
import Synchronization
import TTSEngine
@testable import TTSServer

/// The tiny fixture model of PocketTTSTests (Fixtures/reference: tiny.yaml, tiny_weights,
/// voice_state; Fixtures/tokenizer), loaded once. Its EOS fires from step 3 at temperature 0 (by
/// fixture design) and counts from frame 6 (4.0.1's rule), so each sentence is 9 to 11 frames.
enum TinyModel {
    static let fixtures = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("PocketTTSTests/Fixtures")

    private static let loaded: Result<(model: TTSModel, voice: FlowLM.State), any Error> = Result {
        let reference = fixtures.appendingPathComponent("reference")
        var config = try PocketTTSConfig(contentsOf: reference.appendingPathComponent("tiny.yaml"))
        config = config.asPocketTTS111()  // the fixtures are pocket-tts 1.1.1's
        let model = try TTSModel.load(
            config: config,
            weightsPath: reference.appendingPathComponent("tiny_weights.safetensors").path,
            tokenizerPath: fixtures.appendingPathComponent("tokenizer/test_tokenizer.model").path, precision: .exact)
        let voice = try model.voiceState(file: reference.appendingPathComponent("voice_state.safetensors").path)
        return (model, voice)
    }

    static func load() throws -> (model: TTSModel, voice: FlowLM.State) { try loaded.get() }

    private static let generated = Mutex<[String: [[Float]]]>([:])

    /// The audio `TTSModel.generate` makes for `text` at temperature 0, frame by frame
    /// (remembered: a debug build generates at about real time).
    static func frames(_ text: String) throws -> [[Float]] {
        if let frames = generated.withLock({ $0[text] }) { return frames }
        let (model, voice) = try load()
        var frames: [[Float]] = []
        // As the service speaks a turn of default config: chunks capped at `max_tokens` (50).
        let options = GenerationOptions(sampling: FlowLMSampling(temperature: 0), tokenCap: TextChunk.defaultMaxTokens)
        try model.generate(text: text, voice: voice, options: options) { frames.append($0.audio) }
        generated.withLock { $0[text] = frames }
        return frames
    }
}

/// A started service on the real engine over the tiny model, voice "alba" (the fixture voice
/// state). `stop()` stops both. `spoken` records the chunks the service hands the engine.
final class EngineServiceFixture {
    let engine: Engine
    let adapter: EngineSpeechAdapter
    let spoken: RecordingSpeechEngine
    let service: TTSService
    let port: Int

    init(maxStreams: Int = 4, configure: (inout ServerConfig) -> Void = { _ in }) throws {
        let (model, voice) = try TinyModel.load()
        engine = Engine(model: model, configuration: EngineConfiguration(maxStreams: maxStreams))
        engine.start()
        adapter = EngineSpeechAdapter(engine: engine, fixedVoices: ["alba": voice])
        spoken = RecordingSpeechEngine(adapter)
        do {
            service = try startService(engine: spoken, configure: configure)
        } catch {
            engine.stop()
            throw error
        }
        port = service.port ?? 0
    }

    func stop() {
        service.stop()
        engine.stop()
    }

    func connect(receiveBufferBytes: Int32? = nil) throws -> TTSTestClient {
        try TTSTestClient.connect(port: port, headers: service.config.apiKeys.first.map { ["X-API-Key": $0] } ?? [:],
                                  receiveBufferBytes: receiveBufferBytes)
    }
}

/// Little-endian float32 samples.
func float32Samples(_ bytes: [UInt8]) -> [Float] {
    stride(from: 0, to: bytes.count - 3, by: 4).map { i in
        Float(bitPattern: UInt32(bytes[i]) | UInt32(bytes[i + 1]) << 8 | UInt32(bytes[i + 2]) << 16 | UInt32(bytes[i + 3]) << 24)
    }
}

/// Largest |a − b| over the common length, relative to max(1, max |b|).
func relativeError(_ a: [Float], _ b: [Float]) -> Float {
    let scale = max(1, b.reduce(0) { max($0, abs($1)) })
    return zip(a, b).reduce(0) { max($0, abs($1.0 - $1.1)) } / scale
}

/// Forwards to another `SpeechEngine`, recording the text of every `speak`, in order.
final class RecordingSpeechEngine: SpeechEngine {
    let base: any SpeechEngine
    let chunks = Mutex<[String]>([])

    init(_ base: any SpeechEngine) { self.base = base }

    var voices: Set<String> { base.voices }
    var tokenCounter: any TokenCounting { base.tokenCounter }
    var capacity: SpeechCapacity? { base.capacity }
    func startTurn(_ start: TurnStart, key: TurnKey, events: any SpeechEngineEvents) throws(ProtocolError) {
        try base.startTurn(start, key: key, events: events)
    }
    func speak(_ text: String, key: TurnKey) {
        chunks.withLock { $0.append(text) }
        base.speak(text, key: key)
    }
    func mark(_ mark: SpeechMark, key: TurnKey) { base.mark(mark, key: key) }
    func finishTurn(_ key: TurnKey) { base.finishTurn(key) }
    func cancelTurn(_ key: TurnKey) { base.cancelTurn(key) }
}
