// PendingQueue.swift: the FIFO behind each socket's outbox and each streamed HTTP response.
// A value kept under its owner's lock; `popFirst` is O(1) amortized (a head index, compacted
// once the consumed part is large), so a long-lived outbox never shifts its whole array per item.
struct PendingQueue<Item> {
    private var items: [Item] = []
    private var head = 0  // items[head...] are pending

    var count: Int { items.count - head }
    var isEmpty: Bool { head == items.count }

    mutating func append(_ item: Item) { items.append(item) }

    /// The oldest pending item, removed.
    mutating func popFirst() -> Item? {
        guard head < items.count else { return nil }
        let item = items[head]
        head += 1
        if head == items.count {
            items.removeAll(keepingCapacity: true)
            head = 0
        } else if head >= 64 && head * 2 >= items.count {
            items.removeFirst(head)
            head = 0
        }
        return item
    }

    mutating func removeAll() {
        items.removeAll()
        head = 0
    }
}
