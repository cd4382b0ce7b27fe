import ArgumentParser
import Dispatch
import Foundation
import Kernels
import Logging
import ModelHub
import PocketTTS
import TTSEngine
import TTSServer

/// `pocket-tts serve`: the WebSocket service (`/tts/ws`, `/health`, `/ready`, `/metrics`).
/// Settings: built-in defaults < the server YAML < `POCKET_TTS_*` environment < these flags.
struct Serve: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Serve streaming speech over WebSocket (/tts/ws) with /health, /ready and /metrics.",
        discussion: """
            Listens at once (/health answers, /ready says 503) and loads the model; then /ready answers 200.
            SIGINT or SIGTERM: stop accepting sessions, let turns in progress finish (--shutdown-grace), exit 0.
            """)

    @OptionGroup var model: ModelOptions

    @Option(help: "Server settings YAML (default: Configs/server.yaml when it exists). See that file for every key.")
    var serverConfig: String?

    @Option(help: "Default voice: a voice name (voices directory or predefined), a voice-state .safetensors file, or an audio file to clone. Default: the settings' default_voice.")
    var voice: String?

    @Option(help: "Directory of voices (<name>.safetensors or <name>.wav ...). Default: the settings' voices_dir, if it exists.")
    var voicesDir: String?

    @Option(help: "Address to listen on (0.0.0.0: every interface).")
    var host: String?

    @Option(help: "Port to listen on (0: any free port).")
    var port: Int?

    @Option(name: .customLong("api-key"), help: "Accepted API key (repeatable); none: no authentication.")
    var apiKeys: [String] = []

    @Option(help: "WebSocket sessions open at once.")
    var maxSessions: Int?

    @Option(help: "Turns generated at once (engine streams).")
    var maxStreams: Int?

    @Option(help: ArgumentHelp(precisionHelp.abstract + " Default: the settings' precision (int8 where the CPU has AVX512-VNNI, else exact).", valueName: "exact|bf16|int8"))
    var precision: Precision?

    @Option(help: "Seconds turns in progress get to finish on SIGINT/SIGTERM.")
    var shutdownGrace = 3.0

    @Option(help: "Log level: trace, debug, info, notice, warning, error, critical.")
    var logLevel = "info"

    func run() throws {
        guard let level = Logger.Level(rawValue: logLevel) else {
            throw ValidationError("--log-level '\(logLevel)': expected one of \(Logger.Level.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        LoggingSystem.bootstrap { label in
            var handler = StreamLogHandler.standardError(label: label)
            handler.logLevel = level
            return handler
        }
        let logger = Logger(label: "pocket-tts.serve")
        let config = try loadSettings()

        // Listen first: probes see the process alive while the model loads.
        let service = TTSService(config: config, logger: Logger(label: "pocket-tts.server"))
        try service.start()
        let stopSignal = DispatchSemaphore(value: 0)
        let signals = [SIGINT, SIGTERM].map { number in
            signal(number, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: number, queue: .global())
            source.setEventHandler { stopSignal.signal() }
            source.resume()
            return source
        }
        defer { signals.forEach { $0.cancel() } }

        let engine: Engine
        do {
            let ttsModel = try model.load(precision: config.precision)
            let (library, usable, fixedVoices, defaultVoice) = try loadVoices(model: ttsModel, config: config, logger: logger)
            engine = Engine(model: ttsModel, configuration: EngineConfiguration(maxStreams: config.maxStreams))
            engine.start()
            let adapter = EngineSpeechAdapter(engine: engine, library: library, fixedVoices: fixedVoices, libraryVoices: usable,
                                              opusBitrate: config.opusBitrate)
            service.attach(engine: adapter, defaultVoice: defaultVoice)
        } catch {
            service.stop()
            throw error
        }
        logger.info("ready on ws://\(config.host):\(service.port ?? config.port)/tts/ws (default voice '\(service.defaultVoice)')")

        stopSignal.wait()
        logger.info("signal received: shutting down (grace \(shutdownGrace) s)")
        service.shutdown(gracePeriod: shutdownGrace)
        engine.stop()
        logger.info("bye")
    }

    /// Defaults < YAML < environment < flags.
    private func loadSettings() throws -> ServerConfig {
        var flags: [String: String] = [:]
        if let host { flags["host"] = host }
        if let port { flags["port"] = String(port) }
        if let voicesDir { flags["voices_dir"] = voicesDir }
        if !apiKeys.isEmpty { flags["api_keys"] = apiKeys.joined(separator: ",") }
        if let maxSessions { flags["max_sessions"] = String(maxSessions) }
        if let maxStreams { flags["max_streams"] = String(maxStreams) }
        if let precision { flags["precision"] = precision.rawValue }
        let file = serverConfig ?? (FileManager.default.fileExists(atPath: ServerConfig.defaultFilePath) ? ServerConfig.defaultFilePath : nil)
        do {
            return try ServerConfig.load(filePath: file, flags: flags)
        } catch {
            throw ValidationError("\(error)")
        }
    }

    /// The voices: the directory's (a `VoiceLibrary`, loaded and cached now), the predefined
    /// voices already in the Hugging Face cache and the default voice (states kept in memory).
    /// Sessions resolve voices on the event-loop thread, so nothing is left to download or
    /// encode at the first turn; only the default voice may be downloaded, here.
    private func loadVoices(model ttsModel: TTSModel, config: ServerConfig, logger: Logger) throws
        -> (library: VoiceLibrary, usable: Set<String>, fixed: [String: FlowLM.State], defaultVoice: String) {
        var isDirectory: ObjCBool = false
        let hasDirectory = FileManager.default.fileExists(atPath: config.voicesDirectory, isDirectory: &isDirectory) && isDirectory.boolValue
        if voicesDir != nil, !hasDirectory { throw ValidationError("--voices-dir '\(config.voicesDirectory)' is not a directory") }
        let library = try VoiceLibrary(model: ttsModel, configuration: VoiceLibrary.Configuration(
            directory: hasDirectory ? config.voicesDirectory : nil))
        let usable = EngineSpeechAdapter.loadableVoices(in: library, logger: logger)

        let client = model.files.client()
        let spec = voice ?? config.defaultVoice
        var fixed: [String: FlowLM.State] = [:]
        let defaultVoice: String
        if FileManager.default.fileExists(atPath: spec) {
            defaultVoice = URL(fileURLWithPath: spec).deletingPathExtension().lastPathComponent
            fixed[defaultVoice] = try library.voice(fromFile: spec)
        } else if usable.contains(spec) {
            defaultVoice = spec
        } else if PredefinedVoices.names.contains(spec) {
            defaultVoice = spec
            do {
                let file = try VoiceFallback.predefined(client: client, allowDownload: !model.files.noDownload).resolve(spec)
                fixed[spec] = try library.voice(fromFile: file.path)
            } catch {
                throw ValidationError("default voice '\(spec)': \(error)")
            }
        } else {
            throw ValidationError("default voice '\(spec)': no such file, not in the voices directory, not a predefined voice")
        }
        // Predefined voices the cache holds (no download), unless the directory has the name.
        let cached = VoiceFallback.predefined(client: client, allowDownload: false)
        for name in PredefinedVoices.names where !usable.contains(name) && fixed[name] == nil {
            guard let file = try? cached.resolve(name) else { continue }
            do { fixed[name] = try library.voice(fromFile: file.path) } catch { logger.warning("voice \(name) not usable: \(error)") }
        }
        logger.info("voices: \(usable.union(fixed.keys).sorted().joined(separator: ", ")); default '\(defaultVoice)'")
        return (library, usable, fixed, defaultVoice)
    }
}
