import Testing
@testable import TTSEngine

@Suite struct AllocatorTests {
    @Test func servingFixesTheMmapThresholdAndCapsArenasAtTheCores() {
        #expect(Allocator.servingSettings(environment: [:], cores: 8)
                == [.mmapThreshold(bytes: 128 * 1024), .arenaMax(8)])
    }

    @Test func arenasAreAtLeastTwo() {
        #expect(Allocator.servingSettings(environment: [:], cores: 1) == [.mmapThreshold(bytes: 128 * 1024), .arenaMax(2)])
    }

    @Test func glibcsOwnVariablesWin() {
        #expect(Allocator.servingSettings(environment: ["MALLOC_ARENA_MAX": "4"], cores: 2) == [.mmapThreshold(bytes: 128 * 1024)])
        #expect(Allocator.servingSettings(environment: ["MALLOC_MMAP_THRESHOLD_": "65536"], cores: 2) == [.arenaMax(2)])
        #expect(Allocator.servingSettings(environment: ["MALLOC_ARENA_MAX": "4", "MALLOC_MMAP_THRESHOLD_": "1"], cores: 2).isEmpty)
    }

    @Test func tuningReportsWhatItApplied() {
        #expect(Allocator.tuneForServing(environment: ["MALLOC_ARENA_MAX": "4", "MALLOC_MMAP_THRESHOLD_": "1"], cores: 2).isEmpty)
    }
}
