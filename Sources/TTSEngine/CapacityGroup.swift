import Foundation

/// Engines of one process that share its cores: several models served at once, each by its
/// own `Engine` (its own producer and consumer threads, batching its own streams). Each
/// engine's `CapacityMonitor` publishes the cores its open streams keep busy (its
/// `CapacityModel.load` of them) and the CPU time it predicts for its work; each admits
/// streams on the cores the others leave (`CapacityModel.sharedCores`), and corrects its live
/// estimate from the process's CPU time less what the others predicted for theirs.
///
/// Thread-safe: one lock, a leaf (taken under a monitor's lock, never the reverse).
public final class CapacityGroup: @unchecked Sendable {  // all state behind `lock`
    private let lock = NSLock()
    /// Cores each member's open streams keep busy.
    private var busy: [ObjectIdentifier: Double] = [:]
    /// CPU seconds each member predicted for its work (scaled), since it joined.
    private var predicted: [ObjectIdentifier: Double] = [:]

    public init() {}

    private func locked<R>(_ body: () -> R) -> R {
        lock.lock()
        defer { lock.unlock() }
        return body()
    }

    func publish(_ member: ObjectIdentifier, busyCores: Double) { locked { busy[member] = busyCores } }

    func add(_ member: ObjectIdentifier, predicted seconds: Double) { locked { predicted[member, default: 0] += seconds } }

    /// Cores the other members' open streams keep busy.
    func othersBusyCores(excluding member: ObjectIdentifier) -> Double {
        locked { busy.reduce(0) { $1.key == member ? $0 : $0 + $1.value } }
    }

    /// CPU seconds the other members have predicted since they joined.
    func othersPredicted(excluding member: ObjectIdentifier) -> Double {
        locked { predicted.reduce(0) { $1.key == member ? $0 : $0 + $1.value } }
    }

    func leave(_ member: ObjectIdentifier) {
        locked {
            busy[member] = nil
            predicted[member] = nil
        }
    }

    /// Cores all members' open streams keep busy.
    public var busyCores: Double { locked { busy.values.reduce(0, +) } }
}
