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
            SIGHUP: read the voices directory again (voices are resolved at start, never per turn).
            """)

    @OptionGroup var model: ModelOptions
    @OptionGroup var fallback: DemoFallbackOptions

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

    @Option(help: "Home Assistant's Wyoming protocol (raw TCP) on this port; 0: off. Default 10200. No API key: trusted networks only.")
    var wyomingPort: Int?

    @Option(name: .customLong("api-key"), help: "Accepted API key (repeatable); none: no authentication.")
    var apiKeys: [String] = []

    @Option(help: "WebSocket sessions open at once.")
    var maxSessions: Int?

    @Option(help: "Turns generated at once for one client address: auto (the default: half the capacity), a number, or 0 (no limit, e.g. behind a proxy).")
    var maxStreamsPerAddress: String?

    @Option(help: "Seconds of audio one turn may make (default 600); the turn then ends with an error.")
    var maxTurnAudioS: Double?

    @Option(help: "Turns generated at once (engine streams), at most: auto (the default: as many as the engine measures it carries in real time) or a number.")
    var maxStreams: String?

    @Option(help: "Share of each 80 ms frame period admitted turns leave free (default 0.2): a turn beyond gets at_capacity.")
    var playoutMargin: Double?

    @Option(help: ArgumentHelp(precisionHelp.abstract + " Default: the settings' precision (int8 where the CPU has AVX512-VNNI or AVX2, else exact).", valueName: "exact|bf16|int8"))
    var precision: Precision?

    @Option(help: "Seconds turns in progress get to finish on SIGINT/SIGTERM.")
    var shutdownGrace = 3.0

    @Option(help: "Log level: trace, debug, info, notice, warning, error, critical.")
    var logLevel = "info"

    func run() throws {
        if fallback.demoFallback { return try decidingDemoFallbackForModels().run() }
        // Before the engine's threads allocate: RSS that stays flat over hours (Allocator.swift).
        Allocator.tuneForServing(environment: ProcessInfo.processInfo.environment, cores: ProcessInfo.processInfo.activeProcessorCount)
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
        let served = try servedModels(config)  // checked before listening

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

        var engines: [Engine] = []
        var reloadSignal: (any DispatchSourceSignal)?
        defer { reloadSignal?.cancel() }
        do {
            let group = served.count > 1 ? CapacityGroup() : nil  // the models share the cores
            var entries: [ModelRouter.Entry] = []
            var registries: [VoiceRegistry] = []
            for (index, options) in served.enumerated() {
                let name = try options.files.modelName()
                let ttsModel = try options.load(precision: config.precision)
                let (registry, defaultVoice) = try loadVoices(model: ttsModel, options: options, config: config,
                                                              isDefault: index == 0, modelCount: served.count, logger: logger)
                var engineConfiguration = config.engineConfiguration
                // The budget is split between the models: each engine bounds its own streams' states.
                engineConfiguration.memoryBudget = engineConfiguration.memoryBudget.map { $0 / served.count }
                do { try Engine.validate(engineConfiguration, for: ttsModel) } catch {  // e.g. max_streams beyond the budget
                    throw ValidationError("model \(name): \(error)")
                }
                let engine = Engine(model: ttsModel, configuration: engineConfiguration, capacityGroup: group)
                engines.append(engine)
                engine.start()  // first: it sets OpenBLAS's threads, which no probe may be using then
                if config.measureCapacity {  // one stream until the probe, run after /ready turns ready, lands
                    engine.measureCapacityInBackground(provisionalStreams: 1) { [engine] costs, seconds in
                        let bound = config.maxStreams.map { "max_streams \($0)" } ?? "max_streams auto"
                        logger.info("capacity of \(name): \(engine.capacity.streams) streams in real time with a playout margin of \(config.playoutMargin) (\(bound); measured in \(Int(seconds * 1000)) ms after ready)")
                        func us(_ seconds: Double) -> String { "\(Int((seconds * 1e6).rounded())) µs" }
                        logger.info("costs of \(name): step \(us(costs.stepBase)) + \(us(costs.stepPerStream))/stream, decode \(us(costs.decodeBase)) + \(us(costs.decodePerStream))/stream, prompt row \(us(costs.promptRowSeconds)), serving \(us(costs.servePerFrame))/frame")
                    }
                }
                let aliases = options.demo ? demoVoiceAliases(offered: registry.table.names, defaultVoice: defaultVoice) : [:]
                let adapter = EngineSpeechAdapter(engine: engine, voices: registry, opusBitrate: config.opusBitrate,
                                                  maxQueuedSpeech: config.maxQueuedSpeech, voiceAliases: aliases)
                var listed = ServedModel(modelName: name)
                listed.demo = options.demo  // listed as "demo":true (the web page's banner)
                entries.append(ModelRouter.Entry(model: listed, engine: adapter, defaultVoice: defaultVoice))
                registries.append(registry)
            }
            if entries.count > 1 {
                let list = entries.map { "\($0.model.name) (\($0.model.languages.joined(separator: ", ")), voice \($0.defaultVoice))" }
                logger.info("models: \(list.joined(separator: ", ")); default \(entries[0].model.name)")
            }
            service.attach(engine: ModelRouter(entries: entries), defaultVoice: entries[0].defaultVoice)
            reloadSignal = reloadVoicesOnHangUp(registries, logger: logger)
        } catch {
            service.stop()
            engines.forEach { $0.stop() }
            throw error
        }
        if let openBLASNote { logger.info("\(openBLASNote)") }
        let wyoming = service.wyomingPort.map { ", Wyoming on tcp port \($0)" } ?? ""
        logger.info("ready on ws://\(config.host):\(service.port ?? config.port)/tts/ws (default voice '\(service.defaultVoice)')\(wyoming)")

        stopSignal.wait()
        logger.info("signal received: shutting down (grace \(shutdownGrace) s)")
        service.shutdown(gracePeriod: shutdownGrace)
        engines.forEach { $0.stop() }
        logger.info("bye")
    }

    /// Defaults < YAML < environment < flags.
    func loadSettings() throws -> ServerConfig {
        var flags: [String: String] = [:]
        if let host { flags["host"] = host }
        if let port { flags["port"] = String(port) }
        if let wyomingPort { flags["wyoming_port"] = String(wyomingPort) }
        if let voicesDir { flags["voices_dir"] = voicesDir }
        if !apiKeys.isEmpty { flags["api_keys"] = apiKeys.joined(separator: ",") }
        if let maxSessions { flags["max_sessions"] = String(maxSessions) }
        if let maxStreams { flags["max_streams"] = maxStreams }
        if let maxStreamsPerAddress { flags["max_streams_per_address"] = maxStreamsPerAddress }
        if let maxTurnAudioS { flags["max_turn_audio_s"] = String(maxTurnAudioS) }
        if let playoutMargin { flags["playout_margin"] = String(playoutMargin) }
        if let precision { flags["precision"] = precision.rawValue }
        let file = serverConfig ?? (FileManager.default.fileExists(atPath: ServerConfig.defaultFilePath) ? ServerConfig.defaultFilePath : nil)
        do {
            return try ServerConfig.load(filePath: file, flags: flags)
        } catch {
            throw ValidationError("\(error)")
        }
    }

    /// The voices, resolved now into the registry's table (sessions look them up without I/O):
    /// the directory's (listed, each read on its first turn and kept within `voice_cache_mb`),
    /// the predefined voices already in the Hugging Face cache and the default voice (loaded
    /// now). Only the default voice may be downloaded, here. A voice that fails is logged and
    /// not offered; at most `max_voices`.
    private func loadVoices(model ttsModel: TTSModel, options: ModelOptions, config: ServerConfig, isDefault: Bool, modelCount: Int,
                            logger: Logger) throws -> (registry: VoiceRegistry, defaultVoice: String) {
        let model = options
        let modelName = try model.files.modelName()
        // The default model's voices are voices_dir's files; another model's, voices_dir/<model>/.
        let directory = isDefault ? config.voicesDirectory
            : URL(fileURLWithPath: config.voicesDirectory).appendingPathComponent(modelName).path
        var isDirectory: ObjCBool = false
        if config.persistUploadedVoices, voicesDir == nil || !isDefault, !FileManager.default.fileExists(atPath: directory) {
            // Uploads are persisted there (persist_uploaded_voices): made now, so that the library watches it.
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        }
        let hasDirectory = FileManager.default.fileExists(atPath: directory, isDirectory: &isDirectory) && isDirectory.boolValue
        if voicesDir != nil, isDefault, !hasDirectory { throw ValidationError("--voices-dir '\(directory)' is not a directory") }
        // No library cache: the registry lists the directory and keeps states read on first use
        // in its own cache (voice_cache_mb, split between the served models).
        let library = try VoiceLibrary(model: ttsModel, configuration: VoiceLibrary.Configuration(
            directory: hasDirectory ? directory : nil, maxCachedVoices: 0))
        let registry = VoiceRegistry(library: library, maxVoices: config.maxVoices,
                                     cacheBytes: (config.voiceCacheMB << 20) / max(1, modelCount))
        EngineSpeechAdapter.log(registry.reload(), logger: logger)
        let usable = registry.table.names

        let client = model.files.client()
        let voiceSet = try model.files.voiceSet()
        // --voice and default_voice are the default model's; another model speaks its own default.
        let spec = isDefault ? voice ?? (config.defaultVoice.isEmpty ? ModelCatalog.defaultVoice(for: modelName) : config.defaultVoice)
            : ModelCatalog.defaultVoice(for: modelName)
        var fixed: [String: FlowLM.State] = [:]
        let defaultVoice: String
        if FileManager.default.fileExists(atPath: spec) {
            defaultVoice = URL(fileURLWithPath: spec).deletingPathExtension().lastPathComponent
            fixed[defaultVoice] = try library.voice(fromFile: spec)
        } else if usable.contains(spec) {
            defaultVoice = spec
        } else if PredefinedVoices.names(in: voiceSet).contains(spec) {
            defaultVoice = spec
            let resolved = Result { try VoiceFallback.predefined(client: client, allowDownload: !model.files.noDownload, set: voiceSet).resolve(spec) }
            switch resolved {
            case .success(let file):
                do { fixed[spec] = try library.voice(fromFile: file.path) } catch {
                    throw ValidationError("default voice '\(spec)': \(error)")
                }
            case .failure(let error):
                // Demo weights: the default voice is the shipped speech sample, under the asked
                // name (the other predefined names become its aliases).
                guard model.demo else { throw ValidationError("default voice '\(spec)': \(error)") }
                guard let shipped = DemoAssets.find(DemoAssets.voice) else {
                    throw ValidationError(DemoAssets.missing("voice", flag: "--voice") + " (\(error))")
                }
                logger.info("demo: default voice '\(spec)' is the repository's speech sample \(shipped)")
                fixed[spec] = try library.voice(fromFile: shipped)
            }
        } else {
            throw ValidationError("default voice '\(spec)': no such file, not in the voices directory, not a predefined voice")
        }
        // Predefined voices the cache holds (no download), unless the directory has the name.
        let cached = VoiceFallback.predefined(client: client, allowDownload: false, set: voiceSet)
        for name in PredefinedVoices.names(in: voiceSet) where !usable.contains(name) && fixed[name] == nil {
            guard let file = try? cached.resolve(name) else { continue }
            do { fixed[name] = try library.voice(fromFile: file.path) } catch { logger.warning("voice \(name) not usable: \(error)") }
        }
        for (name, state) in fixed.sorted(by: { $0.key < $1.key }) {  // given voices win over the directory's
            do { try registry.update { table throws(VoiceLibraryError) in try table.adding(name: name, state: state, origin: .fixed) } } catch {
                guard name != defaultVoice else { throw ValidationError("default voice '\(name)': \(error)") }
                logger.warning("voice \(name) not offered: \(error)")
            }
        }
        let offered = registry.table.names
        logger.info("voices of \(modelName): \(offered.sorted().joined(separator: ", ")); default '\(defaultVoice)'")
        return (registry, defaultVoice)
    }

    /// On SIGHUP, reloads the voices on a global queue (never the event loop) and logs what
    /// changed; the new table is swapped in atomically.
    private func reloadVoicesOnHangUp(_ registries: [VoiceRegistry], logger: Logger) -> any DispatchSourceSignal {
        signal(SIGHUP, SIG_IGN)
        let source = DispatchSource.makeSignalSource(signal: SIGHUP, queue: .global())
        source.setEventHandler {
            logger.info("SIGHUP: reloading the voices")
            for registry in registries {
                EngineSpeechAdapter.log(registry.reload(), logger: logger)
                logger.info("voices: \(registry.table.names.sorted().joined(separator: ", "))")
            }
        }
        source.resume()
        return source
    }
}
