import Testing
@testable import TTSEngine

@Suite struct LRUCacheTests {
    @Test func countBoundEvictsTheLeastRecentlyUsed() {
        var cache = LRUCache<String, Int>(maxCount: 2)
        #expect(cache.insert(1, for: "a") == (true, []))
        #expect(cache.insert(2, for: "b") == (true, []))
        #expect(cache.value(for: "a") == 1)  // a is now the most recent
        let result = cache.insert(3, for: "c")
        #expect(result.inserted && result.evicted == ["b"])
        #expect(cache.value(for: "b") == nil)
        #expect(cache.keys == ["a", "c"])
        #expect(cache.insert(4, for: "d").evicted == ["a"])
        #expect(cache.count == 2)
    }

    @Test func costBoundEvictsUntilItFits() {
        var cache = LRUCache<String, Int>(maxCount: 10, maxCost: 100)
        cache.insert(1, for: "a", cost: 40)
        cache.insert(2, for: "b", cost: 40)
        cache.insert(3, for: "c", cost: 10)
        #expect(cache.totalCost == 90)
        let result = cache.insert(4, for: "d", cost: 70)  // needs a and b gone, not c
        #expect(result.evicted == ["a", "b"])
        #expect(cache.keys == ["c", "d"])
        #expect(cache.totalCost == 80)
    }

    @Test func anEntryLargerThanTheBoundIsNotStoredAndEvictsNothing() {
        var cache = LRUCache<String, Int>(maxCount: 10, maxCost: 100)
        cache.insert(1, for: "a", cost: 60)
        #expect(cache.insert(2, for: "big", cost: 101) == (false, []))
        #expect(cache.keys == ["a"] && cache.totalCost == 60)
        var none = LRUCache<String, Int>(maxCount: 0)
        #expect(none.insert(1, for: "a") == (false, []))
        #expect(none.isEmpty)
    }

    @Test func replacingAKeyUpdatesItsValueCostAndRecency() {
        var cache = LRUCache<String, Int>(maxCount: 2, maxCost: 100)
        cache.insert(1, for: "a", cost: 30)
        cache.insert(2, for: "b", cost: 30)
        cache.insert(10, for: "a", cost: 50)
        #expect(cache.totalCost == 80 && cache.count == 2)
        #expect(cache.keys == ["b", "a"])
        #expect(cache.removeValue(for: "a") == 10)
        #expect(cache.totalCost == 30)
        cache.removeAll()
        #expect(cache.isEmpty && cache.totalCost == 0)
    }
}
