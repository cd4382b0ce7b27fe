import Foundation
import Testing

@testable import ModelHub

/// `ModelFiles.resolve` (explicit paths, cache, download, one aggregated error), the settings
/// taken from the environment, config sources and the progress bar.
@Suite struct DownloadModelFilesTests {
    static let commit = "fedcba9876543210fedcba9876543210fedcba98"
    let weights = FakeHub.randomBytes(40_000, seed: 11)
    let tokenizer = FakeHub.randomBytes(3_000, seed: 12)
    let directory = FileManager.default.temporaryDirectory.appendingPathComponent("modelfiles-\(UUID().uuidString)")
    let sources = ModelFileSources(
        weights: "hf://kyutai/tiny/tts.safetensors@\(commit)", tokenizer: "hf://kyutai/tiny/tokenizer.model@\(commit)")

    func makeHub() throws -> FakeHub {
        try FakeHub([
            "kyutai/tiny": FakeHub.Repo(
                commit: Self.commit, files: ["tts.safetensors": weights, "tokenizer.model": tokenizer],
                lfs: ["tts.safetensors", "tokenizer.model"])
        ])
    }

    func client(endpoint: String) -> HubClient {
        HubClient(environment: ["HF_ENDPOINT": endpoint, "HF_HUB_CACHE": directory.appendingPathComponent("hub").path, "HOME": directory.path])
    }

    @Test func downloadsThenServesFromCache() throws {
        let hub = try makeHub()
        let client = client(endpoint: hub.baseURL)
        let files = try ModelFiles.resolve(sources: sources, client: client)
        #expect(try Data(contentsOf: files.weights) == Data(weights))
        #expect(try Data(contentsOf: files.tokenizer) == Data(tokenizer))
        let count = hub.requests.count
        hub.stop()
        #expect(try ModelFiles.resolve(sources: sources, allowDownload: false, client: client) == files)
        #expect(hub.requests.count == count)
    }

    @Test func explicitPathsWinWithoutAnyRequest() throws {
        let hub = try makeHub()
        defer { hub.stop() }
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let localWeights = directory.appendingPathComponent("mine.safetensors")
        let localTokenizer = directory.appendingPathComponent("mine.model")
        try Data([1, 2, 3]).write(to: localWeights)
        try Data([4]).write(to: localTokenizer)
        let files = try ModelFiles.resolve(
            sources: sources, weights: localWeights.path, tokenizer: localTokenizer.path, client: client(endpoint: hub.baseURL))
        #expect(files == ResolvedModelFiles(weights: localWeights, tokenizer: localTokenizer))
        #expect(hub.requests.isEmpty)
        // One explicit path, the other from the hub.
        let mixed = try ModelFiles.resolve(sources: sources, tokenizer: localTokenizer.path, client: client(endpoint: hub.baseURL))
        #expect(mixed.tokenizer == localTokenizer)
        #expect(try Data(contentsOf: mixed.weights) == Data(weights))
    }

    @Test func offlineErrorNamesEveryMissingFileOnce() throws {
        let port = try DownloadTestServer.closedPort()
        let endpoint = "http://127.0.0.1:\(port)"
        do {
            _ = try ModelFiles.resolve(sources: sources, weights: "/nonexistent/w.safetensors", client: client(endpoint: endpoint))
            Issue.record("resolved without network or files")
        } catch {
            guard case .unavailable(let missing, let cacheDirectory) = error else { throw error }
            #expect(missing.map(\.role) == ["weights", "tokenizer"])
            #expect(missing[0].reason == .localFileMissing(role: "weights", path: "/nonexistent/w.safetensors"))
            let tokenizerURL = "\(endpoint)/kyutai/tiny/resolve/\(Self.commit)/tokenizer.model"
            #expect(missing[1].url == tokenizerURL)
            guard case .network = missing[1].reason else { throw error }
            #expect(cacheDirectory == directory.appendingPathComponent("hub").path)
            let text = error.description
            for needle in ["/nonexistent/w.safetensors", tokenizerURL, "--demo", "--weights", "--tokenizer", cacheDirectory] {
                #expect(text.contains(needle), "missing \(needle) in:\n\(text)")
            }
        }
    }

    @Test func bothHubFilesListedWhenOffline() throws {
        let port = try DownloadTestServer.closedPort()
        do {
            _ = try ModelFiles.resolve(sources: sources, client: client(endpoint: "http://127.0.0.1:\(port)"))
            Issue.record("resolved offline")
        } catch {
            guard case .unavailable(let missing, _) = error else { throw error }
            #expect(missing.map(\.url) == [
                "http://127.0.0.1:\(port)/kyutai/tiny/resolve/\(Self.commit)/tts.safetensors",
                "http://127.0.0.1:\(port)/kyutai/tiny/resolve/\(Self.commit)/tokenizer.model",
            ])
        }
    }

    @Test func downloadDisabledOrHubOfflineUsesCacheOnly() throws {
        let hub = try makeHub()
        defer { hub.stop() }
        #expect(throws: ModelFilesError.self) { try ModelFiles.resolve(sources: sources, allowDownload: false, client: client(endpoint: hub.baseURL)) }
        var offline = HubClient(environment: ["HF_ENDPOINT": hub.baseURL, "HF_HUB_OFFLINE": "1", "HF_HUB_CACHE": directory.path])
        #expect(offline.isOffline)
        #expect(throws: ModelFilesError.self) { try ModelFiles.resolve(sources: sources, client: offline) }
        #expect(hub.requests.isEmpty)
        offline.isOffline = false
        _ = try ModelFiles.resolve(sources: sources, client: offline)
        #expect(!hub.requests.isEmpty)
    }

    @Test func malformedSourceThrowsAtOnce() {
        let bad = ModelFileSources(weights: "hf://only-owner", tokenizer: "/x")
        #expect(throws: ModelFilesError.malformedHubURL("hf://only-owner", reason: "expected hf://owner/name/path, got 1 component(s)")) {
            try ModelFiles.resolve(sources: bad, client: client(endpoint: "http://127.0.0.1:1"))
        }
    }

    // MARK: Environment

    @Test func endpointAndTokenFromEnvironment() throws {
        #expect(HubClient(environment: [:]).endpoint.absoluteString == "https://huggingface.co")
        let mirror = HubClient(environment: ["HF_ENDPOINT": "http://mirror.local:8080/hf/"])
        #expect(mirror.resolveURL(try HubURL(parsing: "hf://a/b/c.bin@v1")).absoluteString == "http://mirror.local:8080/hf/a/b/resolve/v1/c.bin")
        #expect(HubClient(environment: ["HF_TOKEN": " hf_x\n", "HOME": directory.path]).token == "hf_x")
        #expect(HubClient(environment: ["HOME": directory.path]).token == nil)
        // The token file of `huggingface-cli login`.
        let home = directory.appendingPathComponent("hfhome")
        try FileManager.default.createDirectory(at: home, withIntermediateDirectories: true)
        try Data("hf_saved\n".utf8).write(to: home.appendingPathComponent("token"))
        #expect(HubClient(environment: ["HF_HOME": home.path]).token == "hf_saved")
    }

    @Test func cacheDirectoryPrecedence() {
        func resolved(_ override: String?, _ environment: [String: String]) -> String {
            HubCache.resolveDirectory(override: override, environment: environment).path
        }
        let all = ["POCKET_TTS_CACHE_DIR": "/p", "HF_HUB_CACHE": "/hc", "HF_HOME": "/hh", "XDG_CACHE_HOME": "/x", "HOME": "/home/u"]
        #expect(resolved("/cli", all) == "/cli")
        #expect(resolved(nil, all) == "/p")
        #expect(resolved("", all.merging(["POCKET_TTS_CACHE_DIR": ""]) { $1 }) == "/hc")
        #expect(resolved(nil, all.filter { $0.key != "POCKET_TTS_CACHE_DIR" && $0.key != "HF_HUB_CACHE" }) == "/hh/hub")
        #expect(resolved(nil, ["XDG_CACHE_HOME": "/x", "HOME": "/home/u"]) == "/x/huggingface/hub")
        #expect(resolved(nil, ["HOME": "/home/u"]) == "/home/u/.cache/huggingface/hub")
        #expect(resolved("~/models", ["HOME": "/home/u"]) == "/home/u/models")
    }

    // MARK: Config sources

    @Test func sourcesFromConfigYAML() throws {
        let yaml = """
            weights_path: hf://o/cloning/w.safetensors@1111111111111111111111111111111111111111
            weights_path_without_voice_cloning: hf://o/plain/w.safetensors@2222222222222222222222222222222222222222
            flow_lm:
              lookup_table:
                tokenizer_path: hf://o/plain/t.model@2222222222222222222222222222222222222222
            """
        #expect(try ModelFileSources(configYAML: yaml, voiceCloning: true).weights.contains("/cloning/"))
        let plain = try ModelFileSources(configYAML: yaml, voiceCloning: false)
        #expect(plain == ModelFileSources(
            weights: "hf://o/plain/w.safetensors@2222222222222222222222222222222222222222",
            tokenizer: "hf://o/plain/t.model@2222222222222222222222222222222222222222"))
        #expect(throws: ModelFilesError.invalidConfig(reason: "missing flow_lm.lookup_table.tokenizer_path")) {
            try ModelFileSources(configYAML: "weights_path_without_voice_cloning: x\n", voiceCloning: false)
        }
        #expect(throws: ModelFilesError.invalidConfig(reason: "missing weights_path")) {
            try ModelFileSources(configYAML: "flow_lm: {}\n", voiceCloning: true)
        }
    }

    /// The pinned constants equal the repository's config (present once the `io` branch is merged).
    static let configFile = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("Configs/b6369a24.yaml")

    @Test(.enabled(if: FileManager.default.fileExists(atPath: configFile.path)))
    func officialConstantsMatchTheConfigFile() throws {
        for cloning in [false, true] {
            #expect(try ModelFileSources(configFile: Self.configFile, voiceCloning: cloning) == .official(voiceCloning: cloning))
        }
    }

    // MARK: Progress bar

    @Test func progressBarRendering() {
        let half = DownloadProgress(fileName: "w.bin", bytes: 118_000_000, total: 236_000_000)
        #expect(DownloadProgressBar.render(half, width: 10) == "w.bin [#####.....]  50.0% 118.0/236.0 MB")
        let done = DownloadProgress(fileName: "w.bin", bytes: 236_000_000, total: 236_000_000)
        #expect(DownloadProgressBar.render(done, width: 4) == "w.bin [####] 100.0% 236.0/236.0 MB")
        #expect(DownloadProgressBar.render(DownloadProgress(fileName: "t", bytes: 1_250_000, total: nil), width: 4) == "t 1.3 MB")

        #expect(DownloadProgressBar.render(DownloadProgress(fileName: "t", bytes: 2_500, total: 5_000), width: 2) == "t [#.]  50.0% 2.5/5.0 kB")

        // Redraws at most every 0.5 %, always at 100 %, and starts a new line per file.
        let written = DownloadLocked<String>("")
        let bar = DownloadProgressBar(width: 4) { text in written.withLock { $0 += text } }
        for bytes in [0, 1, 2, 4, 5, 500, 1000] { bar.update(DownloadProgress(fileName: "a", bytes: Int64(bytes), total: 1000)) }
        bar.update(DownloadProgress(fileName: "b", bytes: 5, total: 10))
        bar.finish()
        #expect(written.withLock { $0 } == "\ra [....]   0.0% 0.0/1.0 kB\ra [....]   0.5% 0.0/1.0 kB"
            + "\ra [##..]  50.0% 0.5/1.0 kB\ra [####] 100.0% 1.0/1.0 kB\n\rb [##..]  50.0% 0.0/0.0 kB\n")
    }
}

extension DownloadModelFilesTests {
    @Test func gatedWeightsAreExplainedInTheListing() throws {
        let hub = try FakeHub([
            "kyutai/tiny": FakeHub.Repo(commit: Self.commit, files: ["tokenizer.model": tokenizer]),
            "kyutai/gated": FakeHub.Repo(commit: Self.commit, files: ["tts.safetensors": weights], lfs: ["tts.safetensors"], gated: true),
        ])
        defer { hub.stop() }
        let gated = ModelFileSources(weights: "hf://kyutai/gated/tts.safetensors@\(Self.commit)", tokenizer: sources.tokenizer)
        do {
            _ = try ModelFiles.resolve(sources: gated, client: client(endpoint: hub.baseURL))
            Issue.record("gated weights resolved without a token")
        } catch {
            guard case .unavailable(let missing, _) = error else { throw error }
            #expect(missing.map(\.role) == ["weights"])  // the public tokenizer downloaded fine
            let text = error.description
            #expect(text.contains("access to kyutai/gated denied (HTTP 401, GatedRepo): this repository is gated: accept its terms at \(hub.baseURL)/kyutai/gated"))
            #expect(text.contains("set HF_TOKEN"))
        }
    }
}
