import Foundation

#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// A response's status and headers (looked up case-insensitively).
struct HTTPResponseHead: Sendable {
    var status: Int
    var headers: [String: String]  // keys lower-cased

    init(_ response: HTTPURLResponse) {
        status = response.statusCode
        var headers: [String: String] = [:]
        for (key, value) in response.allHeaderFields {
            if let key = key as? String, let value = value as? String { headers[key.lowercased()] = value }
        }
        self.headers = headers
    }

    subscript(_ name: String) -> String? { headers[name.lowercased()] }
}

/// Outcome of one GET into a file.
struct HTTPFileTransfer: Sendable {
    var head: HTTPResponseHead?
    /// Bytes appended to the file by this transfer.
    var bytesWritten: Int64
    /// Up to 4 KiB of the body of an error (status >= 300) response, for messages.
    var errorBody: String
    /// Transport failure (refused, reset, cut, timeout), nil when the body arrived in full.
    var transportError: String?
}

/// Blocking HTTP on top of URLSession (one session per call, waited on with a semaphore): the
/// only file that talks to the network. Used by `HubClient`; the CLI is synchronous.
enum HTTPTransfer {
    /// HEAD that follows relative redirects only (as `huggingface_hub` does), so a redirect to a
    /// CDN comes back as the 302 itself, carrying `X-Linked-Etag`, `X-Linked-Size`, `X-Repo-Commit`.
    static func head(_ url: URL, headers: [String: String], timeout: TimeInterval) -> Result<HTTPResponseHead, ModelFilesError> {
        let delegate = TransferDelegate(mode: .head, originalURL: url, headers: headers, file: nil, offset: 0, progress: nil)
        var request = URLRequest(url: url, timeoutInterval: timeout)
        request.httpMethod = "HEAD"
        delegate.apply(headers, to: &request, url: url)
        let result = delegate.run(request, timeout: timeout)
        if let head = result.head { return .success(head) }
        return .failure(.network(url: url.absoluteString, reason: result.transportError ?? "no response"))
    }

    /// GET `url` into `file`: with `offset > 0` asks for `Range: bytes={offset}-` and appends on
    /// 206; on 200 rewrites the file from the start. Error responses leave the file untouched.
    /// `progress` receives the total byte count of the file as it grows.
    static func get(
        _ url: URL, headers: [String: String], into file: URL, offset: Int64, timeout: TimeInterval,
        progress: (@Sendable (Int64) -> Void)?
    ) -> HTTPFileTransfer {
        var headers = headers
        if offset > 0 { headers["Range"] = "bytes=\(offset)-" }
        let delegate = TransferDelegate(mode: .get, originalURL: url, headers: headers, file: file, offset: offset, progress: progress)
        var request = URLRequest(url: url, timeoutInterval: timeout)
        delegate.apply(headers, to: &request, url: url)
        return delegate.run(request, timeout: timeout)
    }
}

/// URLSession delegate for one transfer; its callbacks run on the session's serial queue while
/// the caller waits on `done`. Mutable state is behind `lock`.
private final class TransferDelegate: NSObject, URLSessionDataDelegate, @unchecked Sendable {
    enum Mode { case head, get }

    private let mode: Mode
    private let originalURL: URL
    private let headers: [String: String]
    private let file: URL?
    private let offset: Int64
    private let progress: (@Sendable (Int64) -> Void)?
    private let done = DispatchSemaphore(value: 0)
    private let lock = NSLock()
    private var result = HTTPFileTransfer(head: nil, bytesWritten: 0, errorBody: "", transportError: nil)
    private var handle: FileHandle?
    private var fileSize: Int64 = 0
    private var writeError: String?

    init(mode: Mode, originalURL: URL, headers: [String: String], file: URL?, offset: Int64, progress: (@Sendable (Int64) -> Void)?) {
        self.mode = mode
        self.originalURL = originalURL
        self.headers = headers
        self.file = file
        self.offset = offset
        self.progress = progress
    }

    /// Sets our headers; `Authorization` only for the original host (dropped on a redirect to a
    /// CDN, as `requests` does). `Accept-Encoding: identity` keeps sizes and ranges in raw bytes.
    func apply(_ headers: [String: String], to request: inout URLRequest, url: URL) {
        for (name, value) in headers {
            if name.lowercased() == "authorization", url.host != originalURL.host { continue }
            request.setValue(value, forHTTPHeaderField: name)
        }
        request.setValue("identity", forHTTPHeaderField: "Accept-Encoding")
    }

    func run(_ request: URLRequest, timeout: TimeInterval) -> HTTPFileTransfer {
        let configuration = URLSessionConfiguration.ephemeral
        configuration.timeoutIntervalForRequest = timeout
        configuration.requestCachePolicy = .reloadIgnoringLocalCacheData
        configuration.urlCache = nil
        let session = URLSession(configuration: configuration, delegate: self, delegateQueue: nil)
        session.dataTask(with: request).resume()
        done.wait()
        session.finishTasksAndInvalidate()
        return lock.withLock { result }
    }

    func urlSession(
        _ session: URLSession, task: URLSessionTask, willPerformHTTPRedirection response: HTTPURLResponse,
        newRequest request: URLRequest, completionHandler: @escaping @Sendable (URLRequest?) -> Void
    ) {
        let location = response.value(forHTTPHeaderField: "Location") ?? ""
        let isRelative = URL(string: location)?.scheme == nil
        if mode == .head && !isRelative {
            completionHandler(nil)  // report the redirect itself
            return
        }
        guard let url = request.url else {
            completionHandler(nil)
            return
        }
        var next = URLRequest(url: url, timeoutInterval: request.timeoutInterval)
        next.httpMethod = mode == .head ? "HEAD" : "GET"
        apply(headers, to: &next, url: url)
        completionHandler(next)
    }

    func urlSession(
        _ session: URLSession, dataTask: URLSessionDataTask, didReceive response: URLResponse,
        completionHandler: @escaping @Sendable (URLSession.ResponseDisposition) -> Void
    ) {
        guard let http = response as? HTTPURLResponse else {
            lock.withLock { result.transportError = "not an HTTP response" }
            completionHandler(.cancel)
            return
        }
        let head = HTTPResponseHead(http)
        lock.withLock {
            result.head = head
            guard mode == .get, let file, head.status == 200 || head.status == 206 else { return }
            do {
                if head.status == 206 {
                    // Appending: the range must start where our partial file ends.
                    let start = head["Content-Range"].flatMap(TransferDelegate.rangeStart)
                    guard start == offset, FileManager.default.fileExists(atPath: file.path) else {
                        writeError = "206 with Content-Range '\(head["Content-Range"] ?? "")' does not continue at byte \(offset)"
                        return
                    }
                    let handle = try FileHandle(forWritingTo: file)
                    try handle.truncate(atOffset: UInt64(offset))
                    try handle.seek(toOffset: UInt64(offset))
                    self.handle = handle
                    fileSize = offset
                } else {
                    // Full body: start the file over (also when the server ignored our Range).
                    _ = FileManager.default.createFile(atPath: file.path, contents: nil)
                    handle = try FileHandle(forWritingTo: file)
                    fileSize = 0
                }
            } catch {
                writeError = "cannot open \(file.path): \(error.localizedDescription)"
            }
        }
        completionHandler(lock.withLock { writeError == nil } ? .allow : .cancel)
    }

    /// `bytes START-END/TOTAL` -> START.
    static func rangeStart(_ contentRange: String) -> Int64? {
        let trimmed = contentRange.trimmingCharacters(in: .whitespaces)
        guard trimmed.lowercased().hasPrefix("bytes ") else { return nil }
        return Int64(trimmed.dropFirst(6).prefix { $0 != "-" })
    }

    func urlSession(_ session: URLSession, dataTask: URLSessionDataTask, didReceive data: Data) {
        let total: Int64? = lock.withLock {
            guard let head = result.head else { return nil }
            guard head.status == 200 || head.status == 206 else {
                if result.errorBody.utf8.count < 4096 { result.errorBody += String(decoding: data.prefix(4096), as: UTF8.self) }
                return nil
            }
            guard let handle, writeError == nil else { return nil }
            do {
                try handle.write(contentsOf: data)
                fileSize += Int64(data.count)
                result.bytesWritten += Int64(data.count)
                return fileSize
            } catch {
                writeError = "write failed: \(error.localizedDescription)"
                dataTask.cancel()
                return nil
            }
        }
        if let total { progress?(total) }
    }

    func urlSession(_ session: URLSession, task: URLSessionTask, didCompleteWithError error: (any Error)?) {
        lock.withLock {
            try? handle?.close()
            handle = nil
            if let writeError {
                result.transportError = writeError
            } else if let error, result.transportError == nil {
                // A HEAD stopped at a redirect reports a cancellation; the response is what we want.
                if !(mode == .head && result.head != nil) { result.transportError = error.localizedDescription }
            }
        }
        done.signal()
    }
}
