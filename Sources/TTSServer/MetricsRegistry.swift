// MetricsRegistry.swift: a tiny Prometheus registry (counters, gauges, histograms, optional
// labels) rendered in the text exposition format 0.0.4. Every metric is safe to update from
// any thread; the locks live inside the metric types.
import Foundation
import Synchronization

/// A value that only goes up.
public final class Counter: Sendable {
    private let value = Mutex<Double>(0)

    public func increment(by amount: Double = 1) {
        precondition(amount >= 0, "a counter only goes up")
        value.withLock { $0 += amount }
    }

    public var current: Double { value.withLock { $0 } }
}

/// A value that goes up and down.
public final class Gauge: Sendable {
    private let value = Mutex<Double>(0)

    public func set(_ newValue: Double) { value.withLock { $0 = newValue } }
    public func increment(by amount: Double = 1) { value.withLock { $0 += amount } }
    public func decrement(by amount: Double = 1) { value.withLock { $0 -= amount } }
    public var current: Double { value.withLock { $0 } }
}

/// Observations counted into cumulative buckets, with their sum and count.
public final class Histogram: Sendable {
    /// Upper bounds, increasing; `+Inf` is implied.
    public let bounds: [Double]
    private struct State {
        var counts: [UInt64]  // [bounds.count + 1], not cumulative; the last is +Inf
        var sum = 0.0
    }
    private let state: Mutex<State>

    public init(bounds: [Double]) {
        precondition(!bounds.isEmpty && zip(bounds, bounds.dropFirst()).allSatisfy { $0 < $1 }, "bounds must increase")
        self.bounds = bounds
        state = Mutex(State(counts: [UInt64](repeating: 0, count: bounds.count + 1)))
    }

    public func observe(_ value: Double) {
        guard value.isFinite else { return }
        let index = bounds.firstIndex { value <= $0 } ?? bounds.count
        state.withLock {
            $0.counts[index] += 1
            $0.sum += value
        }
    }

    /// Observations so far, their sum, and the cumulative count at each bound (then +Inf).
    public var snapshot: (count: UInt64, sum: Double, cumulative: [UInt64]) {
        state.withLock { state in
            var running: UInt64 = 0
            let cumulative = state.counts.map { running += $0; return running }
            return (running, state.sum, cumulative)
        }
    }
}

/// Named metrics, each family one type and help text, each series one label set.
public final class MetricsRegistry: Sendable {
    enum Metric: Sendable {
        case counter(Counter)
        case gauge(Gauge)
        case histogram(Histogram)

        var typeName: String {
            switch self {
            case .counter: "counter"
            case .gauge: "gauge"
            case .histogram: "histogram"
            }
        }
    }

    private struct Family {
        var name: String
        var help: String
        var typeName: String
        var series: [(labels: [(String, String)], metric: Metric)] = []
    }

    private let families = Mutex<[Family]>([])

    public init() {}

    /// The counter `name{labels}`, created on first use.
    public func counter(_ name: String, help: String, labels: [String: String] = [:]) -> Counter {
        guard case .counter(let counter) = metric(name, help, labels, make: { .counter(Counter()) }) else {
            preconditionFailure("\(name) is registered with another type")
        }
        return counter
    }

    public func gauge(_ name: String, help: String, labels: [String: String] = [:]) -> Gauge {
        guard case .gauge(let gauge) = metric(name, help, labels, make: { .gauge(Gauge()) }) else {
            preconditionFailure("\(name) is registered with another type")
        }
        return gauge
    }

    /// `bounds` apply when the series is created.
    public func histogram(_ name: String, help: String, bounds: [Double], labels: [String: String] = [:]) -> Histogram {
        guard case .histogram(let histogram) = metric(name, help, labels, make: { .histogram(Histogram(bounds: bounds)) })
        else { preconditionFailure("\(name) is registered with another type") }
        return histogram
    }

    private func metric(_ name: String, _ help: String, _ labels: [String: String], make: () -> Metric) -> Metric {
        precondition(Self.isValidName(name) && labels.keys.allSatisfy(Self.isValidName), "bad metric or label name in \(name)")
        let sorted = labels.sorted { $0.key < $1.key }.map { ($0.key, $0.value) }
        return families.withLock { families in
            if let f = families.firstIndex(where: { $0.name == name }) {
                if let existing = families[f].series.first(where: { $0.labels.elementsEqual(sorted, by: ==) }) {
                    return existing.metric
                }
                let metric = make()
                precondition(metric.typeName == families[f].typeName, "\(name) is registered with another type")
                families[f].series.append((sorted, metric))
                return metric
            }
            let metric = make()
            families.append(Family(name: name, help: help, typeName: metric.typeName, series: [(sorted, metric)]))
            return metric
        }
    }

    /// Every series in the Prometheus text format, families in registration order.
    public func render() -> String {
        let families = self.families.withLock { $0 }
        var out = ""
        for family in families {
            out += "# HELP \(family.name) \(family.help.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\n", with: "\\n"))\n"
            out += "# TYPE \(family.name) \(family.typeName)\n"
            for (labels, metric) in family.series {
                switch metric {
                case .counter(let counter):
                    out += "\(family.name)\(Self.labelText(labels)) \(Self.number(counter.current))\n"
                case .gauge(let gauge):
                    out += "\(family.name)\(Self.labelText(labels)) \(Self.number(gauge.current))\n"
                case .histogram(let histogram):
                    let snapshot = histogram.snapshot
                    for (bound, count) in zip(histogram.bounds.map(Self.number) + ["+Inf"], snapshot.cumulative) {
                        out += "\(family.name)_bucket\(Self.labelText(labels + [("le", bound)])) \(count)\n"
                    }
                    out += "\(family.name)_sum\(Self.labelText(labels)) \(Self.number(snapshot.sum))\n"
                    out += "\(family.name)_count\(Self.labelText(labels)) \(snapshot.count)\n"
                }
            }
        }
        return out
    }

    /// `[a-zA-Z_][a-zA-Z0-9_]*` (colons are for recording rules, not exporters).
    static func isValidName(_ name: String) -> Bool {
        let scalars = Array(name.unicodeScalars)
        func isLetter(_ c: Unicode.Scalar) -> Bool { c == "_" || ("a"..."z").contains(c) || ("A"..."Z").contains(c) }
        guard let first = scalars.first, isLetter(first) else { return false }
        return scalars.allSatisfy { isLetter($0) || ("0"..."9").contains($0) }
    }

    private static func labelText(_ labels: [(String, String)]) -> String {
        guard !labels.isEmpty else { return "" }
        let pairs = labels.map { name, value in
            let escaped = value.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"")
                .replacingOccurrences(of: "\n", with: "\\n")
            return "\(name)=\"\(escaped)\""
        }
        return "{" + pairs.joined(separator: ",") + "}"
    }

    /// Integers without a decimal point; other values as Swift prints them (Go parses both).
    static func number(_ value: Double) -> String {
        if value.isNaN { return "NaN" }
        if value.isInfinite { return value > 0 ? "+Inf" : "-Inf" }
        if value == value.rounded(), abs(value) < 1e15 { return String(Int64(value)) }
        return "\(value)"
    }
}
