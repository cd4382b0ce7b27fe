import Foundation

/// The model `make run` (`serve --demo-fallback`) serves: the official files, or demo weights
/// with a one-line reason.
public enum ModelChoice: Sendable, Equatable {
    /// The local paths of the files asked for, in order.
    case official([URL])
    case demo(reason: String)
}

/// Chooses between the official model and demo weights, in order: the cache (no request); when
/// downloads are allowed, a quick reachability check (one HEAD with a short timeout, so an
/// offline machine falls back within seconds); then the download itself.
public enum OfficialModelFallback {
    /// The decision alone: `cached` is the cache-only lookup, `probe` the reachability check (nil
    /// when the hub answered), `download` the full download. `probe` runs only when the cache
    /// lacks a file and downloads are allowed, `download` only when the probe succeeded.
    public static func decide(
        cached: Result<[URL], ModelFilesError>, downloadsAllowed: Bool,
        probe: () -> ModelFilesError?, download: () -> Result<[URL], ModelFilesError>
    ) -> ModelChoice {
        if case .success(let paths) = cached { return .official(paths) }
        guard downloadsAllowed else {
            return .demo(reason: "the official model is not cached and downloads are off (--no-download or HF_HUB_OFFLINE=1)")
        }
        if let unreachable = probe() { return .demo(reason: reason(unreachable, doing: "reaching the hub")) }
        switch download() {
        case .success(let paths): return .official(paths)
        case .failure(let error): return .demo(reason: reason(error, doing: "downloading the official model"))
        }
    }

    /// `error` as one line: the first failing file's detail, newlines flattened.
    public static func reason(_ error: ModelFilesError, doing action: String) -> String {
        let detail: String
        switch error {
        case .unavailable(let files, _):
            guard let first = files.first else { return "\(action) failed" }
            detail = "\(first.role): \(first.reason.detailWithoutURL)" + (files.count > 1 ? " (and \(files.count - 1) more)" : "")
        case .network(let url, let reason):
            detail = "\(URL(string: url)?.host ?? url) unreachable: \(reason)"
        default:
            detail = error.detailWithoutURL
        }
        let line = "\(action) failed: \(detail)"
        return line.split(whereSeparator: \.isNewline).map { $0.trimmingCharacters(in: .whitespaces) }.joined(separator: " ")
    }
}

extension HubClient {
    /// One HEAD for `file` with `timeout` seconds to answer: nil when the hub answered with a
    /// success or redirect, else why not (network error, denied, not found).
    public func probe(_ file: HubURL, timeout: TimeInterval) -> ModelFilesError? {
        var quick = self
        quick.timeout = timeout
        do {
            try quick.checkMetadata(file)
            return nil
        } catch {
            return error
        }
    }
}
