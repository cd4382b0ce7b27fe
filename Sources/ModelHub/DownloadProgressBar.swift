import Foundation

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A one-line progress bar on stderr for downloads, redrawn with `\r` at most every 0.5 % (or
/// every MB when the size is unknown); no clock. Thread-safe: URLSession reports from its own queue.
public final class DownloadProgressBar: @unchecked Sendable {
    private let width: Int
    private let write: @Sendable (String) -> Void
    private let lock = NSLock()
    private var lastStep = -1
    private var lastFile = ""

    /// `write` defaults to stderr.
    public init(width: Int = 30, write: @escaping @Sendable (String) -> Void = DownloadProgressBar.writeToStandardError) {
        self.width = width
        self.write = write
    }

    /// Whether stderr is a terminal (the bar is shown only then, unless forced).
    public static var standardErrorIsTerminal: Bool { isatty(2) == 1 }

    public static let writeToStandardError: @Sendable (String) -> Void = { text in
        FileHandle.standardError.write(Data(text.utf8))
    }

    /// Handler to pass to `HubClient` / `ModelFiles`.
    public var handler: DownloadProgressHandler { { [self] in self.update($0) } }

    public func update(_ progress: DownloadProgress) {
        let step: Int
        if let total = progress.total, total > 0 {
            step = Int(min(max(Double(progress.bytes) / Double(total), 0), 1) * 200)
        } else {
            step = Int(progress.bytes / 1_000_000)
        }
        lock.withLock {
            if progress.fileName != lastFile {
                if !lastFile.isEmpty { write("\n") }
                lastFile = progress.fileName
                lastStep = -1
            }
            guard step != lastStep else { return }
            lastStep = step
            write("\r" + DownloadProgressBar.render(progress, width: width))
        }
    }

    /// Ends the current line (call once after the downloads).
    public func finish() {
        lock.withLock {
            if !lastFile.isEmpty { write("\n") }
            lastFile = ""
            lastStep = -1
        }
    }

    /// `tts_b6369a24.safetensors [#########.....................]  30.0% 70.8/236.0 MB`,
    /// or without a total `tokenizer.model 0.1 MB`. Sizes under 1 MB are shown in kB.
    public static func render(_ progress: DownloadProgress, width: Int) -> String {
        let unit: (divisor: Int64, name: String) = (progress.total ?? progress.bytes) < 1_000_000 ? (1_000, "kB") : (1_000_000, "MB")
        let done = format(progress.bytes, divisor: unit.divisor)
        guard let total = progress.total, total > 0 else { return "\(progress.fileName) \(done) \(unit.name)" }
        let fraction = min(max(Double(progress.bytes) / Double(total), 0), 1)
        let permille = Int(fraction * 1000)
        let filled = permille * width / 1000
        let bar = String(repeating: "#", count: filled) + String(repeating: ".", count: width - filled)
        let percent = "\(permille / 10).\(permille % 10)%"
        let padded = String(repeating: " ", count: max(0, 6 - percent.count)) + percent
        return "\(progress.fileName) [\(bar)] \(padded) \(done)/\(format(total, divisor: unit.divisor)) \(unit.name)"
    }

    /// `bytes / divisor` with one decimal, rounded.
    static func format(_ bytes: Int64, divisor: Int64) -> String {
        let tenths = (bytes + divisor / 20) / (divisor / 10)
        return "\(tenths / 10).\(tenths % 10)"
    }
}
