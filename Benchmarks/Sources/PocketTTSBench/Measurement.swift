import Foundation

/// Failures of a benchmark run (a run that did not produce what it was asked to).
enum BenchError: Error, CustomStringConvertible {
    case unexpectedText(String)
    case streamFailed(stream: String, reason: String)
    case timedOut(String)
    case wrongLength(String)

    var description: String {
        switch self {
        case .unexpectedText(let why): "benchmark text: \(why)"
        case .streamFailed(let stream, let reason): "\(stream) failed: \(reason)"
        case .timedOut(let what): "timed out waiting for \(what)"
        case .wrongLength(let what): "wrong length: \(what)"
        }
    }
}

/// Monotonic time in seconds (CLOCK_MONOTONIC through Dispatch), comparable across threads.
func now() -> Double { Double(DispatchTime.now().uptimeNanoseconds) / 1e9 }

/// CPU seconds used so far by this thread, or by the whole process (all threads).
func threadCPUTime() -> Double { cpuTime(CLOCK_THREAD_CPUTIME_ID) }
func processCPUTime() -> Double { cpuTime(CLOCK_PROCESS_CPUTIME_ID) }

private func cpuTime(_ clock: clockid_t) -> Double {
    var t = timespec()
    clock_gettime(clock, &t)
    return Double(t.tv_sec) + Double(t.tv_nsec) / 1e9
}

/// Seconds taken by `body`, and its result.
func timed<R>(_ body: () throws -> R) rethrows -> (seconds: Double, result: R) {
    let start = now()
    let result = try body()
    return (now() - start, result)
}

/// Milliseconds, two decimals (as the reference script's `ms`).
func ms(_ seconds: Double) -> Double { rounded(seconds * 1000, 2) }

func rounded(_ x: Double, _ digits: Int) -> Double {
    let scale = pow(10, Double(digits))
    return (x * scale).rounded() / scale
}

/// The reference script's `summary`: min, median, mean, p90 (index ⌊0.9 (n − 1)⌋) and n, in ms.
func summary(_ seconds: [Double]) -> [String: Any] {
    precondition(!seconds.isEmpty, "summary of no timings")
    let v = seconds.sorted()
    let n = v.count
    let median = n % 2 == 1 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2
    return ["min_ms": ms(v[0]), "median_ms": ms(median), "mean_ms": ms(v.reduce(0, +) / Double(n)),
            "p90_ms": ms(v[Int(0.9 * Double(n - 1))]), "n": n]
}

func median(_ values: [Double]) -> Double {
    let v = values.sorted()
    return v.count % 2 == 1 ? v[v.count / 2] : (v[v.count / 2 - 1] + v[v.count / 2]) / 2
}

/// The 1, 5 and 15 minute load averages (/proc/loadavg), two decimals; empty if unreadable.
func loadAverage() -> [Double] {
    guard let text = try? String(contentsOfFile: "/proc/loadavg", encoding: .utf8) else { return [] }
    return text.split(separator: " ").prefix(3).compactMap { Double($0) }.map { rounded($0, 2) }
}

/// `uname -srm` style platform string.
func platformDescription() -> String {
    var name = utsname()
    uname(&name)
    func field<T>(_ value: T) -> String {
        withUnsafeBytes(of: value) { raw in String(decoding: raw.prefix { $0 != 0 }, as: UTF8.self) }
    }
    return "\(field(name.sysname))-\(field(name.release))-\(field(name.machine))"
}

/// Progress on stderr (stdout carries the JSON document).
func log(_ message: String) {
    FileHandle.standardError.write(Data((message + "\n").utf8))
}
