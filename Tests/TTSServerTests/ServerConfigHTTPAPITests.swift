import Testing
@testable import TTSServer

@Suite struct ServerConfigHTTPAPITests {
    @Test func openAIVoicesAreAMapping() throws {
        var config = ServerConfig()
        #expect(config.openAIVoices["alloy"] == "alba" && config.openAIVoices.count == 11)
        try config.apply(yaml: "openai_voices:\n  alloy: marius\n  nova: my_voice\n", source: "test")
        #expect(config.openAIVoices == ["alloy": "marius", "nova": "my_voice"])
        #expect(throws: ServerConfigError.self) { try config.apply(yaml: "openai_voices: [alloy]\n", source: "test") }
    }

    @Test func uploadLimits() throws {
        let config = try ServerConfig.load(filePath: nil, environment: ["POCKET_TTS_MAX_VOICE_UPLOAD_BYTES": "2048"],
                                           flags: ["max_voice_upload_seconds": "12.5"])
        #expect(config.maxVoiceUploadBytes == 2048 && config.maxVoiceUploadSeconds == 12.5)
        #expect(throws: ServerConfigError.self) { _ = try ServerConfig.load(filePath: nil, environment: [:], flags: ["max_voice_upload_bytes": "1"]) }
    }
}
