import Foundation

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A one-line progress bar on stderr for downloads, redrawn with `\r` when the shown
/// per-mille changes (no clock). Thread-safe: URLSession reports from its own queue.
public final class DownloadProgressBar: @unchecked Sendable {
    private let width: Int
    private let write: @Sendable (String) -> Void
    private let lock = NSLock()
    private var lastLine = ""
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
        let line = DownloadProgressBar.render(progress, width: width)
        lock.withLock {
            if progress.fileName != lastFile, !lastFile.isEmpty { write("\n") }
            lastFile = progress.fileName
            guard line != lastLine else { return }
            lastLine = line
            write("\r" + line)
        }
    }

    /// Ends the current line (call once after the downloads).
    public func finish() {
        lock.withLock {
            if !lastFile.isEmpty { write("\n") }
            lastFile = ""
            lastLine = ""
        }
    }

    /// `tts_b6369a24.safetensors [#########.....................]  30.0% 70.8/236.0 MB`,
    /// or without a total `tokenizer.model 0.1 MB`.
    public static func render(_ progress: DownloadProgress, width: Int) -> String {
        let done = formatMegabytes(progress.bytes)
        guard let total = progress.total, total > 0 else { return "\(progress.fileName) \(done) MB" }
        let fraction = min(max(Double(progress.bytes) / Double(total), 0), 1)
        let permille = Int(fraction * 1000)
        let filled = permille * width / 1000
        let bar = String(repeating: "#", count: filled) + String(repeating: ".", count: width - filled)
        let percent = "\(permille / 10).\(permille % 10)%"
        let padded = String(repeating: " ", count: max(0, 6 - percent.count)) + percent
        return "\(progress.fileName) [\(bar)] \(padded) \(done)/\(formatMegabytes(total)) MB"
    }

    /// One decimal, in 10^6 bytes, like the reference's size logs.
    static func formatMegabytes(_ bytes: Int64) -> String {
        let tenths = (bytes + 50_000) / 100_000
        return "\(tenths / 10).\(tenths % 10)"
    }
}
