import Crypto
import Foundation

/// Bytes of one file received so far, for progress display.
public struct DownloadProgress: Sendable, Equatable {
    public var fileName: String
    public var bytes: Int64
    /// Nil when the server did not say.
    public var total: Int64?

    public init(fileName: String, bytes: Int64, total: Int64?) {
        self.fileName = fileName
        self.bytes = bytes
        self.total = total
    }
}

public typealias DownloadProgressHandler = @Sendable (DownloadProgress) -> Void

/// Downloads files from a Hugging Face hub into the shared cache, the way `hf_hub_download` does:
/// HEAD `{endpoint}/{owner}/{name}/resolve/{revision}/{path}` for the commit, ETag and size, then
/// GET into `blobs/{etag}.incomplete` (resuming with `Range:` across attempts and runs), verify the
/// SHA-256 when the ETag is one, move to `blobs/{etag}` and link `snapshots/{commit}/{path}` to it.
public struct HubClient: Sendable {
    public static let defaultEndpoint = URL(string: "https://huggingface.co")!

    /// `HF_ENDPOINT` or https://huggingface.co.
    public var endpoint: URL
    /// `HF_TOKEN`, `HUGGING_FACE_HUB_TOKEN`, or the `token` file of `huggingface-cli login`.
    public var token: String?
    public var cache: HubCache
    /// `HF_HUB_OFFLINE=1`: use the cache only.
    public var isOffline: Bool
    /// GET attempts per file; a cut transfer that made progress resumes in the next one.
    public var maxAttempts = 3
    /// Idle timeout of a request, seconds.
    public var timeout: TimeInterval = 30

    public init(endpoint: URL, token: String?, cache: HubCache, isOffline: Bool = false) {
        self.endpoint = endpoint
        self.token = token
        self.cache = cache
        self.isOffline = isOffline
    }

    /// Settings from the environment; `cacheDirectory` (`--cache-dir`) overrides the cache location
    /// (see `HubCache.init(override:environment:)` for the precedence).
    public init(environment: [String: String] = ProcessInfo.processInfo.environment, cacheDirectory: String? = nil) {
        var endpoint = HubClient.defaultEndpoint
        if let text = environment["HF_ENDPOINT"], !text.isEmpty, let url = URL(string: text), url.scheme != nil {
            endpoint = url
        }
        let offline = ["1", "true", "yes", "on"].contains(environment["HF_HUB_OFFLINE"]?.lowercased() ?? "")
        self.init(
            endpoint: endpoint, token: HubClient.token(environment: environment),
            cache: HubCache(override: cacheDirectory, environment: environment), isOffline: offline)
    }

    static func token(environment: [String: String]) -> String? {
        for name in ["HF_TOKEN", "HUGGING_FACE_HUB_TOKEN"] {
            if let value = environment[name]?.trimmingCharacters(in: .whitespacesAndNewlines), !value.isEmpty { return value }
        }
        let path = environment["HF_TOKEN_PATH"].flatMap { $0.isEmpty ? nil : HubCache.expandTilde($0, environment: environment) }
            ?? HubCache.huggingFaceHome(environment: environment).appendingPathComponent("token").path
        let stored = (try? String(contentsOfFile: path, encoding: .utf8))?.trimmingCharacters(in: .whitespacesAndNewlines)
        return stored?.isEmpty == false ? stored : nil
    }

    public func resolveURL(_ file: HubURL) -> URL { file.resolveURL(endpoint: endpoint) }

    /// The cached copy of `file`, without any request.
    public func cachedFile(_ file: HubURL) -> URL? { cache.cachedFile(file) }

    /// The local path of `file`: the cached copy when there is one (no request), else downloaded.
    /// `expectedSHA256` pins the content when known; the server's SHA-256 ETag is checked too.
    public func file(
        _ file: HubURL, allowDownload: Bool = true, expectedSHA256: String? = nil, progress: DownloadProgressHandler? = nil
    ) throws(ModelFilesError) -> URL {
        if let cached = cache.cachedFile(file) { return cached }
        guard allowDownload, !isOffline else { throw .notCached(url: resolveURL(file).absoluteString) }
        return try download(file, expectedSHA256: expectedSHA256, progress: progress)
    }

    /// Downloads `file` (asking the server even when a copy is cached) and returns its snapshot path.
    public func download(
        _ file: HubURL, expectedSHA256: String? = nil, progress: DownloadProgressHandler? = nil
    ) throws(ModelFilesError) -> URL {
        let url = resolveURL(file)
        let head = try metadata(file, url: url)
        let commit = head["X-Repo-Commit"].flatMap { HubURL.isCommitHash($0) ? $0 : nil } ?? file.revision
        let etag = (head["X-Linked-Etag"] ?? head["ETag"]).map(HubClient.normalizeETag).flatMap(HubClient.safeBlobName)
        let size = (head["X-Linked-Size"] ?? ((200..<300).contains(head.status) ? head["Content-Length"] : nil)).flatMap { Int64($0) }
        let serverSHA256 = etag.flatMap { HubClient.isSHA256($0) ? $0 : nil }

        try cache.writeRef(file, commit: commit)
        let snapshot = cache.snapshotFile(file, commit: commit)
        guard let etag else {
            // No ETag (not a real hub): keep a plain file in the snapshot.
            if FileManager.default.fileExists(atPath: snapshot.path) { return snapshot }
            try HubCache.createDirectory(snapshot.deletingLastPathComponent())
            let partial = snapshot.appendingPathExtension("incomplete")
            try fetch(url, into: partial, size: size, checksums: [expectedSHA256].compactMap { $0 }, file: file, progress: progress)
            try HubCache.moveIntoPlace(partial, to: snapshot)
            return snapshot
        }
        let blob = cache.blob(file, etag: etag)
        try HubCache.createDirectory(blob.deletingLastPathComponent())
        let lockFile = cache.lockFile(file, etag: etag)
        try HubCache.createDirectory(lockFile.deletingLastPathComponent())
        let lock = try CacheFileLock(lockFile)
        defer { lock.unlock() }
        if !FileManager.default.fileExists(atPath: blob.path) {
            let partial = blob.appendingPathExtension("incomplete")
            let checksums = [serverSHA256, expectedSHA256].compactMap { $0?.lowercased() }
            try fetch(url, into: partial, size: size, checksums: checksums, file: file, progress: progress)
            try HubCache.moveIntoPlace(partial, to: blob)
        }
        return try cache.link(file, commit: commit, etag: etag)
    }

    // MARK: Steps

    private var requestHeaders: [String: String] {
        var headers = ["User-Agent": "pocket-tts-swift/1.1.1"]
        if let token { headers["Authorization"] = "Bearer \(token)" }
        return headers
    }

    /// HEAD only, for `probe`.
    func checkMetadata(_ file: HubURL) throws(ModelFilesError) { _ = try metadata(file, url: resolveURL(file)) }

    /// HEAD, mapping error statuses to errors.
    private func metadata(_ file: HubURL, url: URL) throws(ModelFilesError) -> HTTPResponseHead {
        let head = try HTTPTransfer.head(url, headers: requestHeaders, timeout: timeout).get()
        if (200..<400).contains(head.status) { return head }
        throw statusError(head, url: url, file: file, body: "")
    }

    private func statusError(_ head: HTTPResponseHead, url: URL, file: HubURL, body: String) -> ModelFilesError {
        let errorCode = head["X-Error-Code"]
        switch head.status {
        case 401, 403:
            let page = endpoint.appendingPathComponent(file.owner).appendingPathComponent(file.name).absoluteString
            return .accessDenied(
                repository: file.repository, url: url.absoluteString, status: head.status, errorCode: errorCode,
                sentToken: token != nil, termsPage: page)
        case 404:
            return .notFound(url: url.absoluteString, errorCode: errorCode)
        default:
            let message = head["X-Error-Message"] ?? body.trimmingCharacters(in: .whitespacesAndNewlines)
            return .httpStatus(url: url.absoluteString, status: head.status, message: String(message.prefix(300)))
        }
    }

    /// GETs `url` into `partial` until it holds `size` bytes (when known), resuming after cuts,
    /// then checks `checksums`. On a mismatch the partial file is deleted.
    private func fetch(
        _ url: URL, into partial: URL, size: Int64?, checksums: [String], file: HubURL, progress: DownloadProgressHandler?
    ) throws(ModelFilesError) {
        let name = file.fileName
        var report: (@Sendable (Int64) -> Void)? = nil
        if let progress {
            report = { bytes in progress(DownloadProgress(fileName: name, bytes: bytes, total: size)) }
        }
        var attempt = 0
        while true {
            attempt += 1
            var offset = HubClient.fileSize(partial)
            if let size, offset > size {
                try? FileManager.default.removeItem(at: partial)
                offset = 0
            }
            if let size, offset == size, offset > 0 { break }  // a previous run finished the body
            report?(offset)
            let transfer = HTTPTransfer.get(url, headers: requestHeaders, into: partial, offset: offset, timeout: timeout, progress: report)
            let received = HubClient.fileSize(partial)
            if let head = transfer.head, head.status == 416, offset > 0 {
                // Range not satisfiable: the partial file is not a prefix of this body; start over.
                try? FileManager.default.removeItem(at: partial)
                if attempt < maxAttempts { continue }
                throw .unexpectedResponse(url: url.absoluteString, reason: "HTTP 416 for a resumed range")
            }
            if let head = transfer.head, !(head.status == 200 || head.status == 206) {
                throw statusError(head, url: url, file: file, body: transfer.errorBody)
            }
            let short = size.map { received < $0 } ?? false
            if transfer.transportError == nil && !short { break }
            // Cut: retry (resuming) when this attempt made progress, else give up.
            if attempt < maxAttempts && transfer.bytesWritten > 0 { continue }
            if let reason = transfer.transportError, transfer.head == nil || size == nil {
                throw .network(url: url.absoluteString, reason: reason)
            }
            throw .incomplete(url: url.absoluteString, received: received, expected: size ?? received)
        }
        if let size, HubClient.fileSize(partial) != size {
            throw .incomplete(url: url.absoluteString, received: HubClient.fileSize(partial), expected: size)
        }
        guard !checksums.isEmpty else { return }
        let actual = try SHA256.hexDigest(ofFile: partial)
        for expected in checksums where expected != actual {
            try? FileManager.default.removeItem(at: partial)
            throw .checksumMismatch(url: url.absoluteString, expected: expected, actual: actual)
        }
    }

    static func fileSize(_ url: URL) -> Int64 {
        let attributes = try? FileManager.default.attributesOfItem(atPath: url.path)
        return (attributes?[.size] as? NSNumber)?.int64Value ?? 0
    }

    /// `W/"abc"` -> `abc`.
    static func normalizeETag(_ etag: String) -> String {
        var text = etag.trimmingCharacters(in: .whitespaces)
        if text.hasPrefix("W/") { text.removeFirst(2) }
        return text.trimmingCharacters(in: CharacterSet(charactersIn: "\""))
    }

    /// The ETag names a file in `blobs/`: only plain names are accepted (else no blob is used).
    static func safeBlobName(_ etag: String) -> String? {
        let allowed = CharacterSet(charactersIn: "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_.")
        guard !etag.isEmpty, etag.utf8.count <= 128, !etag.hasPrefix("."),
            etag.unicodeScalars.allSatisfy({ allowed.contains($0) })
        else { return nil }
        return etag
    }

    static func isSHA256(_ text: String) -> Bool {
        text.utf8.count == 64 && text.utf8.allSatisfy { (0x30...0x39).contains($0) || (0x61...0x66).contains($0) || (0x41...0x46).contains($0) }
    }
}
