import Crypto
import Foundation
import Testing

@testable import ModelHub

/// `HubClient` against `FakeHub` on 127.0.0.1: downloads, cache, resume, checksums, HTTP errors.
@Suite struct DownloadTests {
    static let commit = "0123456789abcdef0123456789abcdef01234567"
    let weights = FakeHub.randomBytes(100_000, seed: 1)
    let tokenizer = FakeHub.randomBytes(5_000, seed: 2)
    let cache = FileManager.default.temporaryDirectory.appendingPathComponent("hub-\(UUID().uuidString)")

    func makeHub(gated: Bool = false) throws -> FakeHub {
        try FakeHub([
            "kyutai/tiny": FakeHub.Repo(
                commit: Self.commit, files: ["model.safetensors": weights, "dir/tok.model": tokenizer], lfs: ["model.safetensors"]),
            "kyutai/gated": FakeHub.Repo(commit: Self.commit, files: ["model.safetensors": weights], lfs: ["model.safetensors"], gated: true),
        ])
    }

    func client(_ hub: FakeHub, token: String? = nil) -> HubClient {
        var environment = ["HF_ENDPOINT": hub.baseURL, "HF_HUB_CACHE": cache.path, "HOME": cache.path]
        if let token { environment["HF_TOKEN"] = token }
        return HubClient(environment: environment)
    }

    func contents(_ url: URL) throws -> [UInt8] { [UInt8](try Data(contentsOf: url)) }

    func blobFiles() -> [String] {
        let blobs = cache.appendingPathComponent("models--kyutai--tiny/blobs")
        return ((try? FileManager.default.contentsOfDirectory(atPath: blobs.path)) ?? []).sorted()
    }

    @Test func freshDownloadUsesTheHubCacheLayout() throws {
        let hub = try makeHub()
        defer { hub.stop() }
        let client = client(hub)
        let model = try client.file(HubURL(parsing: "hf://kyutai/tiny/model.safetensors@main"))
        let tok = try client.file(HubURL(parsing: "hf://kyutai/tiny/dir/tok.model@\(Self.commit)"))
        #expect(try contents(model) == weights)
        #expect(try contents(tok) == tokenizer)

        let repo = cache.appendingPathComponent("models--kyutai--tiny")
        #expect(model.path == repo.appendingPathComponent("snapshots/\(Self.commit)/model.safetensors").path)
        #expect(tok.path == repo.appendingPathComponent("snapshots/\(Self.commit)/dir/tok.model").path)
        // Snapshots are relative symlinks to blobs named by ETag (sha256 for the LFS file).
        let sha = SHA256.hexDigest(of: weights)
        #expect(try FileManager.default.destinationOfSymbolicLink(atPath: model.path) == "../../blobs/\(sha)")
        #expect(try FileManager.default.destinationOfSymbolicLink(atPath: tok.path).hasPrefix("../../../blobs/"))
        #expect(try String(contentsOf: repo.appendingPathComponent("refs/main"), encoding: .utf8) == Self.commit)
        #expect(blobFiles().count == 2)
        #expect(blobFiles().contains(sha))
        #expect(!blobFiles().contains { $0.hasSuffix(".incomplete") })
        #expect(FileManager.default.fileExists(atPath: cache.appendingPathComponent(".locks/models--kyutai--tiny/\(sha).lock").path))
        // HEAD stopped at the LFS redirect; GET followed it to the CDN path.
        #expect(hub.requests.map(\.method) == ["HEAD", "GET", "GET", "HEAD", "GET"])
        #expect(hub.requests[2].path == "/cdn/kyutai/tiny/model.safetensors")
    }

    @Test func cachedFileNeedsNoRequest() throws {
        let hub = try makeHub()
        let client = client(hub)
        let source = try HubURL(parsing: "hf://kyutai/tiny/model.safetensors@main")
        let first = try client.file(source)
        let count = hub.requests.count
        #expect(try client.file(source) == first)
        #expect(hub.requests.count == count)
        hub.stop()
        // With the server gone, the cache still answers (branch through refs/, commit directly).
        #expect(try client.file(source, allowDownload: false) == first)
        #expect(try client.file(HubURL(parsing: "hf://kyutai/tiny/model.safetensors@\(Self.commit)")) == first)
        #expect(client.cachedFile(try HubURL(parsing: "hf://kyutai/tiny/dir/tok.model")) == nil)
    }

    @Test func resumesWithRangeAfterACutInTheSameCall() throws {
        let hub = try makeHub()
        defer { hub.stop() }
        hub.cutNextGets(1)
        let model = try client(hub).file(HubURL(parsing: "hf://kyutai/tiny/model.safetensors"))
        #expect(try contents(model) == weights)
        let gets = hub.requests.filter { $0.path.hasPrefix("/cdn/") }
        #expect(gets.count == 2)
        #expect(gets[0].headers["range"] == nil)
        #expect(gets[1].headers["range"] == "bytes=\(weights.count / 2)-")
    }

    @Test func resumesAPartialFileFromAnEarlierRun() throws {
        let hub = try makeHub()
        defer { hub.stop() }
        hub.cutNextGets(1)
        var once = client(hub)
        once.maxAttempts = 1
        let source = try HubURL(parsing: "hf://kyutai/tiny/model.safetensors")
        do {
            _ = try once.file(source)
            Issue.record("a cut transfer succeeded")
        } catch {
            guard case .incomplete(_, let received, let expected) = error else { throw error }
            #expect(received == Int64(weights.count / 2))
            #expect(expected == Int64(weights.count))
        }
        let partial = "\(SHA256.hexDigest(of: weights)).incomplete"
        #expect(blobFiles() == [partial])
        #expect(try contents(cache.appendingPathComponent("models--kyutai--tiny/blobs/\(partial)")) == Array(weights.prefix(weights.count / 2)))

        let model = try client(hub).file(source)
        #expect(try contents(model) == weights)
        #expect(hub.requests.last?.headers["range"] == "bytes=\(weights.count / 2)-")
        #expect(hub.requests.last?.method == "GET")
        #expect(blobFiles() == [SHA256.hexDigest(of: weights)])
    }

    @Test func restartsWhenTheServerIgnoresRange() throws {
        let hub = try makeHub()
        defer { hub.stop() }
        hub.cutNextGets(1)
        hub.ignoreRange()
        let model = try client(hub).file(HubURL(parsing: "hf://kyutai/tiny/model.safetensors"))
        #expect(try contents(model) == weights)
        #expect(hub.requests.filter { $0.path.hasPrefix("/cdn/") }.count == 2)
        #expect(hub.requests.last?.headers["range"] == "bytes=\(weights.count / 2)-")
    }

    @Test func checksumMismatchDeletesTheFile() throws {
        let hub = try makeHub()
        defer { hub.stop() }
        hub.lieAboutChecksum(of: "model.safetensors")
        do {
            _ = try client(hub).file(HubURL(parsing: "hf://kyutai/tiny/model.safetensors"))
            Issue.record("a corrupt download was accepted")
        } catch {
            guard case .checksumMismatch(let url, let expected, let actual) = error else { throw error }
            #expect(url == "\(hub.baseURL)/kyutai/tiny/resolve/main/model.safetensors")
            #expect(expected == SHA256.hexDigest(of: weights + [0]))
            #expect(actual == SHA256.hexDigest(of: weights))
            #expect(error.description.contains("deleted"))
        }
        #expect(blobFiles().isEmpty)
        #expect(!FileManager.default.fileExists(atPath: cache.appendingPathComponent("models--kyutai--tiny/snapshots/\(Self.commit)/model.safetensors").path))
    }

    @Test func pinnedChecksumIsEnforcedToo() throws {
        let hub = try makeHub()
        defer { hub.stop() }
        let wrong = String(repeating: "0", count: 64)
        #expect(throws: ModelFilesError.self) {
            _ = try client(hub).file(HubURL(parsing: "hf://kyutai/tiny/dir/tok.model"), expectedSHA256: wrong)
        }
        #expect(blobFiles().isEmpty)
        let good = try client(hub).file(HubURL(parsing: "hf://kyutai/tiny/dir/tok.model"), expectedSHA256: SHA256.hexDigest(of: tokenizer))
        #expect(try contents(good) == tokenizer)
    }

    @Test func gatedRepositoryExplainsTermsAndToken() throws {
        let hub = try makeHub()
        defer { hub.stop() }
        let source = try HubURL(parsing: "hf://kyutai/gated/model.safetensors")
        do {
            _ = try client(hub).file(source)
            Issue.record("gated download without token succeeded")
        } catch {
            guard case .accessDenied(let repository, _, let status, let code, let sentToken, let page) = error else { throw error }
            #expect(repository == "kyutai/gated")
            #expect((status, code, sentToken) == (401, "GatedRepo", false))
            #expect(page == "\(hub.baseURL)/kyutai/gated")
            #expect(error.description.contains("accept its terms at \(hub.baseURL)/kyutai/gated"))
            #expect(error.description.contains("HF_TOKEN"))
        }
        do {
            _ = try client(hub, token: "hf_wrong").file(source)
            Issue.record("wrong token accepted")
        } catch {
            guard case .accessDenied(_, _, 403, _, true, _) = error else { throw error }
            #expect(error.description.contains("refused"))
        }
        #expect(hub.requests.last?.headers["authorization"] == "Bearer hf_wrong")
        let model = try client(hub, token: FakeHub.token).file(source)
        #expect(try contents(model) == weights)
    }

    @Test func missingFileIs404() throws {
        let hub = try makeHub()
        defer { hub.stop() }
        do {
            _ = try client(hub).file(HubURL(parsing: "hf://kyutai/tiny/nope.bin"))
            Issue.record("404 succeeded")
        } catch {
            #expect(error == .notFound(url: "\(hub.baseURL)/kyutai/tiny/resolve/main/nope.bin", errorCode: "EntryNotFound"))
        }
        #expect(!FileManager.default.fileExists(atPath: cache.appendingPathComponent("models--kyutai--tiny/snapshots").path))
    }

    @Test func connectionRefusedIsANetworkError() throws {
        let port = try DownloadTestServer.closedPort()
        let client = HubClient(environment: ["HF_ENDPOINT": "http://127.0.0.1:\(port)", "HF_HUB_CACHE": cache.path])
        do {
            _ = try client.file(HubURL(parsing: "hf://kyutai/tiny/model.safetensors"))
            Issue.record("download from a closed port succeeded")
        } catch {
            guard case .network(let url, _) = error else { throw error }
            #expect(url == "http://127.0.0.1:\(port)/kyutai/tiny/resolve/main/model.safetensors")
        }
    }

    @Test func progressReachesTheTotal() throws {
        let hub = try makeHub()
        defer { hub.stop() }
        let seen = DownloadLocked<[DownloadProgress]>([])
        _ = try client(hub).file(HubURL(parsing: "hf://kyutai/tiny/model.safetensors"), progress: { progress in seen.withLock { $0.append(progress) } })
        let reports = seen.withLock { $0 }
        #expect(reports.first?.bytes == 0)
        #expect(reports.last == DownloadProgress(fileName: "model.safetensors", bytes: Int64(weights.count), total: Int64(weights.count)))
        #expect(zip(reports, reports.dropFirst()).allSatisfy { $0.bytes <= $1.bytes })
    }
}

/// A value behind a lock, for collecting callbacks from URLSession's queue.
final class DownloadLocked<Value>: @unchecked Sendable {
    private let lock = NSLock()
    private var value: Value
    init(_ value: Value) { self.value = value }
    func withLock<R>(_ body: (inout Value) -> R) -> R { lock.withLock { body(&value) } }
}
