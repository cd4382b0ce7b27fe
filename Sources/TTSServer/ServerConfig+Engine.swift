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

    /// Whether the engine admits turns by its measured capacity (`max_streams: auto`) rather
    /// than by a fixed count alone. With a number, the capacity is still measured: the number is
    /// then an upper bound.
    public var measuresCapacity: Bool { maxStreams == nil }
}
