import Foundation

/// Errors from locating, caching and downloading the model files; each names the file or URL.
public enum ModelFilesError: Error, Equatable, CustomStringConvertible {
    case malformedHubURL(String, reason: String)
    /// An explicit path (`--weights`, `--tokenizer`, a local path in a config) that does not exist.
    case localFileMissing(role: String, path: String)
    /// HTTP 401/403. For Kyutai's voice-cloning repository this means its terms were not accepted
    /// or no (valid) token was sent. `errorCode` is Hugging Face's `X-Error-Code` header.
    case accessDenied(repository: String, url: String, status: Int, errorCode: String?, sentToken: Bool, termsPage: String)
    case notFound(url: String, errorCode: String?)
    case httpStatus(url: String, status: Int, message: String)
    /// The server could not be reached or the connection broke (offline, refused, DNS, timeout).
    case network(url: String, reason: String)
    /// The body ended early and retries ran out; the partial file is kept for resuming.
    case incomplete(url: String, received: Int64, expected: Int64)
    case unexpectedResponse(url: String, reason: String)
    /// The finished file's SHA-256 is not the one the server (or a pin) announced; it was deleted.
    case checksumMismatch(url: String, expected: String, actual: String)
    /// Downloading was disabled (`allowDownload: false` or `HF_HUB_OFFLINE=1`) and the file is not cached.
    case notCached(url: String)
    case fileSystem(path: String, reason: String)
    case invalidConfig(reason: String)
    /// Some model files could not be obtained: one entry per file, each with why.
    case unavailable([MissingModelFile], cacheDirectory: String)

    public var description: String {
        switch self {
        case .malformedHubURL(let text, let reason):
            "malformed hub URL '\(text)': \(reason) (expected hf://owner/name/path/in/repo@revision)"
        case .localFileMissing(let role, let path):
            "\(role) file '\(path)' does not exist"
        case .accessDenied(let repository, let url, let status, let errorCode, let sentToken, let termsPage):
            "access to \(repository) denied (HTTP \(status)\(errorCode.map { ", \($0)" } ?? "")) for \(url): "
                + (sentToken
                    ? "HF_TOKEN was sent but refused; check the token and that its account accepted the terms at \(termsPage)"
                    : "this repository is gated: accept its terms at \(termsPage) while logged in, "
                        + "create a read token at https://huggingface.co/settings/tokens and set HF_TOKEN=<token>")
        case .notFound(let url, let errorCode):
            "not found (HTTP 404\(errorCode.map { ", \($0)" } ?? "")): \(url)"
        case .httpStatus(let url, let status, let message):
            "HTTP \(status) for \(url)\(message.isEmpty ? "" : ": \(message)")"
        case .network(let url, let reason):
            "cannot download \(url): \(reason)"
        case .incomplete(let url, let received, let expected):
            "download of \(url) stopped at \(received) of \(expected) bytes; run again to resume"
        case .unexpectedResponse(let url, let reason):
            "unexpected response from \(url): \(reason)"
        case .checksumMismatch(let url, let expected, let actual):
            "checksum mismatch for \(url): expected sha256 \(expected), got \(actual); the file was deleted"
        case .notCached(let url):
            "not in the cache and downloading is disabled: \(url)"
        case .fileSystem(let path, let reason):
            "file system error at '\(path)': \(reason)"
        case .invalidConfig(let reason):
            "model file config: \(reason)"
        case .unavailable(let files, let cacheDirectory):
            Self.unavailableDescription(files, cacheDirectory: cacheDirectory)
        }
    }

    /// The description minus the URL, for lists that already show it.
    public var detailWithoutURL: String {
        switch self {
        case .accessDenied(let repository, _, let status, let errorCode, let sentToken, let termsPage):
            let full = ModelFilesError.accessDenied(
                repository: repository, url: "", status: status, errorCode: errorCode, sentToken: sentToken, termsPage: termsPage
            ).description
            return full.replacingOccurrences(of: " for : ", with: ": ")
        case .notFound(_, let errorCode): return "not found (HTTP 404\(errorCode.map { ", \($0)" } ?? ""))"
        case .httpStatus(_, let status, let message): return "HTTP \(status)\(message.isEmpty ? "" : ": \(message)")"
        case .network(_, let reason): return "network error: \(reason)"
        case .incomplete(_, let received, let expected):
            return "download stopped at \(received) of \(expected) bytes; run again to resume"
        case .unexpectedResponse(_, let reason): return "unexpected response: \(reason)"
        case .checksumMismatch(_, let expected, let actual):
            return "checksum mismatch: expected sha256 \(expected), got \(actual); the file was deleted"
        case .notCached: return "not cached, and downloading is disabled (--no-download or HF_HUB_OFFLINE)"
        case .localFileMissing: return "no such file"
        default: return description
        }
    }

    private static func unavailableDescription(_ files: [MissingModelFile], cacheDirectory: String) -> String {
        var lines = ["model files unavailable: \(files.count) file(s) not given, not cached in \(cacheDirectory), and not downloadable:"]
        for file in files {
            lines.append("  - \(file.role): \(file.url)")
            lines.append("      \(file.reason.detailWithoutURL)")
        }
        lines.append(
            "Connect to the network (or set HF_ENDPOINT) and run `pocket-tts download`, "
                + "pass local files with --weights PATH --tokenizer PATH, "
                + "or use --demo to run with random weights.")
        return lines.joined(separator: "\n")
    }
}

/// One model file that could not be obtained, for `ModelFilesError.unavailable`.
public struct MissingModelFile: Sendable, Equatable {
    /// `weights`, `tokenizer`, `voice alba`, ...
    public var role: String
    /// The download URL (or the local path) that was tried.
    public var url: String
    public var reason: ModelFilesError

    public init(role: String, url: String, reason: ModelFilesError) {
        self.role = role
        self.url = url
        self.reason = reason
    }
}
