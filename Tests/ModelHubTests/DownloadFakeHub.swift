import Crypto
import Foundation

@testable import ModelHub

/// A Hugging Face hub imitation served by `DownloadTestServer`: `/{owner}/{name}/resolve/{rev}/{path}`.
/// LFS files answer with a 302 to `/cdn/...` carrying `X-Linked-Etag` (sha256), `X-Linked-Size`
/// and `X-Repo-Commit`, as huggingface.co does; other files answer directly with a git-style ETag.
/// Bodies honour `Range: bytes=N-`. Knobs: gated repos, cutting GETs midway, lying ETags.
final class FakeHub: @unchecked Sendable {
    struct Repo {
        var commit: String
        var files: [String: [UInt8]]
        var lfs: Set<String> = []
        var gated = false
    }

    static let token = "hf_good_token"

    private let lock = NSLock()
    private var repos: [String: Repo]
    private var cutsLeft = 0
    private var lyingPaths: Set<String> = []
    private var ignoresRange = false
    private var digests: [[UInt8]: String] = [:]
    private(set) var server: DownloadTestServer!

    init(_ repos: [String: Repo]) throws {
        self.repos = repos
        server = try DownloadTestServer { [unowned self] request, server in reply(request, server: server) }
    }

    /// Cut the next `count` body GETs after half their bytes.
    func cutNextGets(_ count: Int) { lock.withLock { cutsLeft = count } }
    /// Announce a wrong sha256 for this path.
    func lieAboutChecksum(of path: String) { lock.withLock { _ = lyingPaths.insert(path) } }
    func ignoreRange() { lock.withLock { ignoresRange = true } }

    var baseURL: String { server.baseURL }
    var requests: [DownloadTestServer.Request] { server.requests }
    func stop() { server.stop() }

    static func randomBytes(_ count: Int, seed: UInt64) -> [UInt8] {
        var state = seed &* 0x9E37_79B9_7F4A_7C15 | 1
        return (0..<count).map { _ in
            state ^= state << 13
            state ^= state >> 7
            state ^= state << 17
            return UInt8(truncatingIfNeeded: state >> 24)
        }
    }

    // MARK: Routing

    private func reply(_ request: DownloadTestServer.Request, server: DownloadTestServer) -> DownloadTestServer.Reply {
        let parts = request.path.split(separator: "/").map { $0.removingPercentEncoding ?? String($0) }
        if parts.first == "cdn", parts.count >= 4, let bytes = lock.withLock({ repos["\(parts[1])/\(parts[2])"]?.files[parts.dropFirst(3).joined(separator: "/")] }) {
            return body(bytes, request: request, headers: [("ETag", "\"cdn-etag\"")])
        }
        guard parts.count >= 5, parts[2] == "resolve" else { return error(404, "EntryNotFound") }
        let repoID = "\(parts[0])/\(parts[1])"
        let revision = parts[3]
        let path = parts.dropFirst(4).joined(separator: "/")
        guard let repo = lock.withLock({ repos[repoID] }) else { return error(401, "RepoNotFound") }
        if repo.gated {
            guard let authorization = request.headers["authorization"] else { return error(401, "GatedRepo") }
            if authorization != "Bearer \(FakeHub.token)" { return error(403, "GatedRepo") }
        }
        guard revision == repo.commit || revision == "main" else { return error(404, "RevisionNotFound") }
        guard let bytes = repo.files[path] else { return error(404, "EntryNotFound") }
        let commit = ("X-Repo-Commit", repo.commit)
        if repo.lfs.contains(path) {
            let lies = lock.withLock { lyingPaths.contains(path) }
            let sha = digest(lies ? bytes + [0] : bytes)
            return DownloadTestServer.Reply(status: 302, headers: [
                ("Location", "\(server.baseURL)/cdn/\(repoID)/\(path)"), ("X-Linked-Etag", "\"\(sha)\""),
                ("X-Linked-Size", "\(bytes.count)"), ("ETag", "\"\(String(repeating: "ab", count: 20))\""), commit,
            ])
        }
        let gitETag = String(digest(Array("blob ".utf8) + bytes).prefix(40))
        return body(bytes, request: request, headers: [("ETag", "W/\"\(gitETag)\""), commit])
    }

    private func digest(_ bytes: [UInt8]) -> String {
        if let known = lock.withLock({ digests[bytes] }) { return known }
        let value = SHA256.hexDigest(of: bytes)
        lock.withLock { digests[bytes] = value }
        return value
    }

    private func body(_ bytes: [UInt8], request: DownloadTestServer.Request, headers: [(String, String)]) -> DownloadTestServer.Reply {
        var reply = DownloadTestServer.Reply(status: 200, headers: headers, body: bytes)
        let ignoring = lock.withLock { ignoresRange }
        if let range = request.headers["range"], !ignoring, range.hasPrefix("bytes="), range.hasSuffix("-"),
            let start = Int(range.dropFirst(6).dropLast())
        {
            guard start < bytes.count else {
                return DownloadTestServer.Reply(status: 416, headers: [("Content-Range", "bytes */\(bytes.count)")])
            }
            reply.status = 206
            reply.body = Array(bytes[start...])
            reply.headers.append(("Content-Range", "bytes \(start)-\(bytes.count - 1)/\(bytes.count)"))
        }
        if request.method == "GET" {
            let cut = lock.withLock {
                defer { cutsLeft = max(0, cutsLeft - 1) }
                return cutsLeft > 0
            }
            if cut { reply.cutAfter = reply.body.count / 2 }
        }
        return reply
    }

    private func error(_ status: Int, _ code: String) -> DownloadTestServer.Reply {
        DownloadTestServer.Reply(status: status, headers: [("X-Error-Code", code)], body: Array("{\"error\":\"\(code)\"}".utf8))
    }
}
