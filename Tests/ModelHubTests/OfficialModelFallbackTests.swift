import Foundation
import Testing

@testable import ModelHub

/// `make run`'s choice (`serve --demo-fallback`): the official files when cached or downloadable,
/// else demo weights with a one-line reason; the hub is asked only when needed.
@Suite struct OfficialModelFallbackTests {
    let paths = [URL(fileURLWithPath: "/cache/weights.safetensors"), URL(fileURLWithPath: "/cache/tokenizer.model")]
    let weightsURL = "https://huggingface.co/kyutai/pocket-tts-without-voice-cloning/resolve/d4f/tts_b6369a24.safetensors"

    func missing(_ reason: ModelFilesError, roles: [String] = ["weights"]) -> ModelFilesError {
        .unavailable(roles.map { MissingModelFile(role: $0, url: weightsURL, reason: reason) }, cacheDirectory: "/cache")
    }

    /// Counts the calls of each step.
    final class Steps {
        var probes = 0
        var downloads = 0
    }

    @Test func cachedFilesAreUsedWithoutAnyRequest() {
        let steps = Steps()
        let choice = OfficialModelFallback.decide(
            cached: .success(paths), downloadsAllowed: true,
            probe: { steps.probes += 1; return nil }, download: { steps.downloads += 1; return .success([]) })
        #expect(choice == .official(paths))
        #expect(steps.probes == 0 && steps.downloads == 0)
    }

    @Test func downloadsWhenTheHubAnswers() {
        let steps = Steps()
        let choice = OfficialModelFallback.decide(
            cached: .failure(missing(.notCached(url: weightsURL))), downloadsAllowed: true,
            probe: { steps.probes += 1; return nil }, download: { steps.downloads += 1; return .success(paths) })
        #expect(choice == .official(paths))
        #expect(steps.probes == 1 && steps.downloads == 1)
    }

    @Test func offlineFallsBackWithoutDownloading() {
        let steps = Steps()
        let choice = OfficialModelFallback.decide(
            cached: .failure(missing(.notCached(url: weightsURL))), downloadsAllowed: true,
            probe: { steps.probes += 1; return .network(url: weightsURL, reason: "Could not resolve host: huggingface.co") },
            download: { steps.downloads += 1; return .success(paths) })
        #expect(choice == .demo(reason: "reaching the hub failed: huggingface.co unreachable: Could not resolve host: huggingface.co"))
        #expect(steps.probes == 1 && steps.downloads == 0)
    }

    @Test func downloadsOffFallBackWithoutAnyRequest() {
        let steps = Steps()
        let choice = OfficialModelFallback.decide(
            cached: .failure(missing(.notCached(url: weightsURL))), downloadsAllowed: false,
            probe: { steps.probes += 1; return nil }, download: { steps.downloads += 1; return .success(paths) })
        #expect(choice == .demo(reason: "the official model is not cached and downloads are off (--no-download or HF_HUB_OFFLINE=1)"))
        #expect(steps.probes == 0 && steps.downloads == 0)
    }

    @Test func aFailedDownloadFallsBackWithItsReasonOnOneLine() {
        let choice = OfficialModelFallback.decide(
            cached: .failure(missing(.notCached(url: weightsURL))), downloadsAllowed: true, probe: { nil },
            download: { .failure(self.missing(.incomplete(url: self.weightsURL, received: 10, expected: 20), roles: ["weights", "tokenizer"])) })
        #expect(choice == .demo(reason: "downloading the official model failed: weights: download stopped at 10 of 20 bytes; run again to resume (and 1 more)"))
    }

    @Test func reasonsAreOneLine() {
        let denied = ModelFilesError.accessDenied(
            repository: "kyutai/pocket-tts", url: weightsURL, status: 401, errorCode: nil, sentToken: false,
            termsPage: "https://huggingface.co/kyutai/pocket-tts")
        for error in [denied, missing(denied), .httpStatus(url: weightsURL, status: 500, message: "line one\nline two")] {
            let line = OfficialModelFallback.reason(error, doing: "downloading")
            #expect(!line.contains("\n"))
            #expect(line.hasPrefix("downloading failed: "))
        }
    }

    @Test func probeOfAClosedPortFailsAtOnce() throws {
        let port = try DownloadTestServer.closedPort()
        let client = HubClient(environment: ["HF_ENDPOINT": "http://127.0.0.1:\(port)", "HF_HUB_CACHE": "/nonexistent"])
        let error = client.probe(try HubURL(parsing: "hf://kyutai/tiny/model.safetensors"), timeout: 2)
        guard case .network(let url, _) = error else {
            Issue.record("expected a network error, got \(String(describing: error))")
            return
        }
        #expect(url == "http://127.0.0.1:\(port)/kyutai/tiny/resolve/main/model.safetensors")
    }

    @Test func probeOfAServingHub() throws {
        let hub = try FakeHub(["kyutai/tiny": FakeHub.Repo(commit: DownloadTests.commit, files: ["model.safetensors": [1, 2, 3]])])
        defer { hub.stop() }
        let client = HubClient(environment: ["HF_ENDPOINT": hub.baseURL, "HF_HUB_CACHE": "/nonexistent"])
        #expect(client.probe(try HubURL(parsing: "hf://kyutai/tiny/model.safetensors"), timeout: 5) == nil)
        #expect(client.probe(try HubURL(parsing: "hf://kyutai/tiny/nope.bin"), timeout: 5)
            == .notFound(url: "\(hub.baseURL)/kyutai/tiny/resolve/main/nope.bin", errorCode: "EntryNotFound"))
    }
}
