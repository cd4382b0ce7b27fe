// ServerConfig+Engine.swift: the engine settings a server config asks for.
import TTSEngine

extension ServerConfig {
    /// The engine's settings: `max_streams` (`auto`: `autoMaxStreams`, a ceiling above the
    /// capacity the engine measures, the memory budget then checked for one stream at start and
    /// for each as it opens), `playout_margin`, `max_tokens_per_chunk`, `engine_memory_budget_mb`.
    public var engineConfiguration: EngineConfiguration {
        var configuration = EngineConfiguration(
            maxStreams: maxStreams ?? Self.autoMaxStreams, maxChunkTokens: maxTokensPerChunk,
            memoryBudget: engineMemoryBudgetMB > 0 ? engineMemoryBudgetMB << 20 : nil)
        configuration.playoutMargin = playoutMargin
        if maxStreams == nil { configuration.budgetedStreams = 1 }
        return configuration
    }
}
