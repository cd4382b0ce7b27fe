// Allocator.swift: glibc's malloc, tuned for a long-running server, and memory handed back.
//
// A soak (Tests/fuzz/soak.py) showed the server's RSS climbing after its warm-up (+13 % in 33
// minutes) while the heap in use, counted when idle, stayed flat (6.17 MB, 6.15 MB, 6.43 MB after
// 5,000, 21,000 and 36,000 turns): no leak, but glibc keeping freed memory. Two defaults of
// glibc cause it. The mmap threshold is dynamic: once a big buffer allocated by mmap is freed
// (a voice's prefill, an upload's encoding), buffers of up to that size come from the arenas from
// then on, where freeing them leaves holes instead of returning pages. And each thread that
// allocates may get an arena of its own (up to 8 per core), each keeping its own free memory.
// `tuneForServing` fixes the threshold at glibc's default (large buffers always go to mmap and
// back to the system when freed) and caps the arenas. glibc's own variables
// (`MALLOC_MMAP_THRESHOLD_`, `MALLOC_ARENA_MAX`) still win when set.
public enum Allocator {
    /// A `mallopt` setting.
    public enum Setting: Equatable, Sendable {
        /// Allocations this large or larger are mmapped (and unmapped when freed), never raised.
        case mmapThreshold(bytes: Int)
        /// Arenas at most.
        case arenaMax(Int)
    }

    /// glibc's initial mmap threshold (128 KiB), kept fixed.
    public static let mmapThresholdBytes = 128 * 1024

    /// The settings `tuneForServing` applies: those the environment does not set itself.
    /// `cores`: the machine's cores; arenas are capped at that many, at least 2.
    public static func servingSettings(environment: [String: String], cores: Int) -> [Setting] {
        var settings: [Setting] = []
        if environment["MALLOC_MMAP_THRESHOLD_"] == nil { settings.append(.mmapThreshold(bytes: mmapThresholdBytes)) }
        if environment["MALLOC_ARENA_MAX"] == nil { settings.append(.arenaMax(max(2, cores))) }
        return settings
    }

    /// Applies `servingSettings` to this process (glibc only); call it once, first thing in
    /// `serve`. Returns what was applied.
    @discardableResult
    public static func tuneForServing(environment: [String: String], cores: Int) -> [Setting] {
        let settings = servingSettings(environment: environment, cores: cores)
        #if canImport(Glibc)
        for setting in settings {
            switch setting {
            case .mmapThreshold(let bytes): _ = glibcMallopt(-3, Int32(bytes))  // M_MMAP_THRESHOLD (malloc.h)
            case .arenaMax(let count): _ = glibcMallopt(-8, Int32(count))  // M_ARENA_MAX
            }
        }
        #endif
        return settings
    }
}

/// Hands memory glibc keeps after frees back to the system (`malloc_trim`): a deleted voice's
/// several megabytes of KV cache are freed in pieces that glibc would otherwise hold in its
/// arenas, so the process's RSS would not come down after deletes. A no-op elsewhere.
func returnFreedMemory() {
    #if canImport(Glibc)
    _ = glibcMallocTrim(0)
    #endif
}

#if canImport(Glibc)  // malloc.h, which the Glibc module does not export
@_silgen_name("malloc_trim") private func glibcMallocTrim(_ pad: Int) -> Int32
@_silgen_name("mallopt") private func glibcMallopt(_ parameter: Int32, _ value: Int32) -> Int32
#endif
