import Foundation
import PocketTTS
import Testing
@testable import TTSServer

private let repositoryRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

/// Writes `text` to a fresh temporary file; returns its path.
private func temporaryFile(_ text: String) throws -> String {
    let url = FileManager.default.temporaryDirectory.appendingPathComponent("server-\(UUID().uuidString).yaml")
    try text.write(to: url, atomically: true, encoding: .utf8)
    return url.path
}

private func configError(_ body: () throws -> Void) -> ServerConfigError? {
    do { try body() } catch let error as ServerConfigError { return error } catch { return nil }
    return nil
}

@Suite struct ServerConfigTests {
    @Test func checkedInFileHoldsTheDefaults() throws {
        let path = repositoryRoot.appendingPathComponent(ServerConfig.defaultFilePath).path
        #expect(try ServerConfig.load(filePath: path, environment: [:]) == ServerConfig())
    }

    @Test func modelsListNamesTheServedModels() throws {
        var config = ServerConfig()
        try config.apply(yaml: "models: [english, french, b6369a24]", source: "test.yaml")
        #expect(config.models == ["english", "french", "english_2026-01"])  // aliases canonical
        try config.apply(yaml: "models:\n  - english_7m_2026-10\n  - ./my.yaml", source: "test.yaml")
        #expect(config.models == ["english_7m_2026-10", "./my.yaml"])
        try config.apply(environment: ["POCKET_TTS_MODELS": "french,german"])
        #expect(config.models == ["french", "german"])
        guard case .invalidValue(key: "models", value: "klingon", _, _)? = configError({
            var bad = ServerConfig()
            try bad.apply(yaml: "models: [english, klingon]", source: "test.yaml")
        }) else { Issue.record("an unknown model is an error naming it"); return }
        #expect(configError({
            var twice = ServerConfig()
            try twice.apply(yaml: "models: [french, french]", source: "test.yaml")
        }) != nil)
    }

    @Test func defaults() throws {
        let c = try ServerConfig.load(filePath: nil, environment: [:])
        #expect(c.host == "127.0.0.1" && c.port == 8000 && c.apiKeys.isEmpty && c.opusBitrate == 64000)
        #expect(c.protocolSettings == ProtocolSettings())
        #expect(c.engineMemoryBudgetMB == 1024)
    }

    @Test func fileOverridesDefaults() throws {
        let path = try temporaryFile("""
            host: 0.0.0.0
            port: 9001
            api_keys: [alpha, " beta "]
            idle_timeout_seconds: 2.5
            max_tokens_per_chunk: 80
            engine_memory_budget_mb: 300
            default_voice:   # empty: the default stays
            """)
        let c = try ServerConfig.load(filePath: path, environment: [:])
        #expect(c.host == "0.0.0.0" && c.port == 9001)
        #expect(c.apiKeys == ["alpha", "beta"])
        #expect(c.idleTimeoutSeconds == 2.5)
        #expect(c.protocolSettings.maxTokensPerChunk == 80)
        #expect(c.engineMemoryBudgetMB == 300)
        #expect(c.defaultVoice == "")
    }

    @Test func environmentOverridesFileAndFlagsOverrideEnvironment() throws {
        let path = try temporaryFile("port: 9001\nhost: filehost\nopus_bitrate: 24000\n")
        let environment = ["POCKET_TTS_PORT": "9002", "POCKET_TTS_HOST": "envhost",
                           "POCKET_TTS_API_KEYS": "k1, k2,,k3", "POCKET_TTS_MODEL": "unrelated"]
        let c = try ServerConfig.load(filePath: path, environment: environment, flags: ["port": "9003"])
        #expect(c.port == 9003)  // flag
        #expect(c.host == "envhost")  // environment over file
        #expect(c.opusBitrate == 24000)  // file over default
        #expect(c.apiKeys == ["k1", "k2", "k3"])
    }

    @Test func sessionConfigurationCarriesTheLimits() throws {
        var c = ServerConfig()
        try c.apply(flags: ["idle_timeout_seconds": "7", "send_window": "3", "max_queued_audio": "9"])
        let s = c.sessionConfiguration(voices: ["alba"])
        #expect(s.idleTimeout == 7 && s.sendWindow == 3 && s.maxQueuedAudio == 9 && s.voices == ["alba"])
    }

    @Test func unknownKeysAreErrors() throws {
        let path = try temporaryFile("port: 1\nprot: 2\n")
        #expect(configError { _ = try ServerConfig.load(filePath: path, environment: [:]) } == .unknownKey("prot", source: path))
        #expect(configError { _ = try ServerConfig.load(filePath: nil, environment: [:], flags: ["hots": "x"]) }
            == .unknownKey("hots", source: "flags"))
    }

    @Test func invalidValuesNameTheKeyAndSource() throws {
        let path = try temporaryFile("port: 70000\n")
        let fileError = configError { _ = try ServerConfig.load(filePath: path, environment: [:]) }
        guard case .invalidValue(let key, let value, _, let source)? = fileError else { Issue.record("\(String(describing: fileError))"); return }
        #expect(key == "port" && value == "70000" && source == path)

        let envError = configError { _ = try ServerConfig.load(filePath: nil, environment: ["POCKET_TTS_OPUS_BITRATE": "fast"]) }
        guard case .invalidValue(let key2, _, _, let source2)? = envError else { Issue.record("\(String(describing: envError))"); return }
        #expect(key2 == "opus_bitrate" && source2 == "POCKET_TTS_OPUS_BITRATE")
        #expect(envError!.description.contains("opus_bitrate"))

        for (key, value) in [("idle_timeout_seconds", "0"), ("host", " "), ("max_sessions", "1.5"), ("send_window", "-1")] {
            let e = configError { _ = try ServerConfig.load(filePath: nil, environment: [:], flags: [key: value]) }
            guard case .invalidValue(let named, _, _, _)? = e else { Issue.record("\(key): \(String(describing: e))"); continue }
            #expect(named == key)
        }
    }

    @Test func malformedFiles() throws {
        let list = try temporaryFile("- port\n- host\n")
        #expect(configError { _ = try ServerConfig.load(filePath: list, environment: [:]) } == .notAMapping(path: list))
        let twice = try temporaryFile("port: 1\nport: 2\n")
        guard case .invalidYAML(_, let reason)? = configError({ _ = try ServerConfig.load(filePath: twice, environment: [:]) }) else {
            Issue.record("duplicate key accepted"); return
        }
        #expect(reason.contains("port"))
        let broken = try temporaryFile("port: [1\n")
        guard case .invalidYAML? = configError({ _ = try ServerConfig.load(filePath: broken, environment: [:]) }) else {
            Issue.record("broken YAML accepted"); return
        }
        let listForScalar = try temporaryFile("port: [1, 2]\n")
        guard case .invalidValue(key: "port", _, _, _)? = configError({ _ = try ServerConfig.load(filePath: listForScalar, environment: [:]) }) else {
            Issue.record("list accepted for port"); return
        }
        guard case .unreadableFile? = configError({ _ = try ServerConfig.load(filePath: "/nonexistent/server.yaml", environment: [:]) }) else {
            Issue.record("missing file accepted"); return
        }
        let empty = try temporaryFile("# nothing\n")
        #expect(try ServerConfig.load(filePath: empty, environment: [:]) == ServerConfig())
    }

    @Test func precisionFromEachLayer() throws {
        #expect(ServerConfig().precision == Precision.recommended)
        #expect(Precision.recommended == (Precision.int8.isAccelerated ? .int8 : .exact))
        let path = try temporaryFile("precision: int8\n")
        #expect(try ServerConfig.load(filePath: path, environment: [:]).precision == .int8)
        #expect(try ServerConfig.load(filePath: path, environment: ["POCKET_TTS_PRECISION": "bf16"]).precision == .bf16)
        #expect(try ServerConfig.load(filePath: path, environment: [:], flags: ["precision": "exact"]).precision == .exact)
        guard case .invalidValue(key: "precision", value: "fp16", let expected, source: "--precision")?
                = configError({ _ = try ServerConfig.load(filePath: nil, environment: [:], flags: ["precision": "fp16"]) }) else {
            Issue.record("unknown precision accepted"); return
        }
        #expect(expected == "one of exact, bf16, int8")
    }
}
