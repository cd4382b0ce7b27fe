/// A least-recently-used cache bounded by entry count and by total cost (bytes, say). A plain
/// value, not thread-safe: its owner locks around it.
///
/// Eviction scans for the oldest entry (O(n)); the caches here hold tens of entries, each worth
/// a second of computation.
public struct LRUCache<Key: Hashable, Value> {
    private typealias Entry = (value: Value, cost: Int, lastUse: UInt64)

    /// Most entries kept (0 keeps nothing).
    public let maxCount: Int
    /// Largest total cost kept; an entry costing more alone is never stored.
    public let maxCost: Int
    private var entries: [Key: Entry] = [:]
    private var clock: UInt64 = 0
    public private(set) var totalCost = 0

    public init(maxCount: Int, maxCost: Int = .max) {
        precondition(maxCount >= 0 && maxCost >= 0, "LRUCache: negative capacity")
        self.maxCount = maxCount
        self.maxCost = maxCost
    }

    public var count: Int { entries.count }
    public var isEmpty: Bool { entries.isEmpty }
    /// Keys from least to most recently used.
    public var keys: [Key] { entries.sorted { $0.value.lastUse < $1.value.lastUse }.map(\.key) }

    public func contains(_ key: Key) -> Bool { entries[key] != nil }

    /// The value for `key`, leaving its place in the order.
    public func peek(_ key: Key) -> Value? { entries[key]?.value }

    /// The value for `key`, marking it most recently used.
    public mutating func value(for key: Key) -> Value? {
        guard entries[key] != nil else { return nil }
        clock += 1
        entries[key]!.lastUse = clock
        return entries[key]!.value
    }

    /// Stores `value` as the most recently used entry (replacing any under `key`), then evicts
    /// least recently used entries until both bounds hold. An entry that alone exceeds a bound
    /// is not stored and evicts nothing (`inserted` false). Returns the evicted keys, oldest first.
    @discardableResult
    public mutating func insert(_ value: Value, for key: Key, cost: Int = 0) -> (inserted: Bool, evicted: [Key]) {
        precondition(cost >= 0, "LRUCache: negative cost")
        if let old = entries.removeValue(forKey: key) { totalCost -= old.cost }
        guard maxCount > 0, cost <= maxCost else { return (false, []) }
        clock += 1
        entries[key] = (value, cost, clock)
        totalCost += cost
        var evicted: [Key] = []
        while entries.count > maxCount || totalCost > maxCost {
            guard let oldest = entries.min(by: { $0.value.lastUse < $1.value.lastUse })?.key else { break }
            totalCost -= entries.removeValue(forKey: oldest)!.cost
            evicted.append(oldest)
        }
        return (true, evicted)
    }

    /// Removes one entry; returns its value.
    @discardableResult
    public mutating func removeValue(for key: Key) -> Value? {
        guard let old = entries.removeValue(forKey: key) else { return nil }
        totalCost -= old.cost
        return old.value
    }

    public mutating func removeAll() {
        entries.removeAll()
        totalCost = 0
    }
}

extension LRUCache: Sendable where Key: Sendable, Value: Sendable {}
