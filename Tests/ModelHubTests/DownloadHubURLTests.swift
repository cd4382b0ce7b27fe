import Foundation
import Testing

@testable import ModelHub

@Suite struct DownloadHubURLTests {
    @Test func parsesOwnerNamePathAndRevision() throws {
        let url = try HubURL(parsing: "hf://kyutai/pocket-tts-without-voice-cloning/embeddings_v2/alba.safetensors@2578fed2380333b621689eaed6fe144cf69dfeb3")
        #expect(url.owner == "kyutai")
        #expect(url.name == "pocket-tts-without-voice-cloning")
        #expect(url.repository == "kyutai/pocket-tts-without-voice-cloning")
        #expect(url.path == "embeddings_v2/alba.safetensors")
        #expect(url.fileName == "alba.safetensors")
        #expect(url.revision == "2578fed2380333b621689eaed6fe144cf69dfeb3")
        #expect(url.isPinnedToCommit)
        #expect(url.description == "hf://kyutai/pocket-tts-without-voice-cloning/embeddings_v2/alba.safetensors@2578fed2380333b621689eaed6fe144cf69dfeb3")
    }

    @Test func revisionDefaultsToMain() throws {
        let url = try HubURL(parsing: "hf://a/b/c.bin")
        #expect(url.revision == "main")
        #expect(!url.isPinnedToCommit)
        #expect(url.path == "c.bin")
    }

    @Test func officialSourcesParse() throws {
        for text in [ModelFileSources.voiceCloningWeights, ModelFileSources.weightsWithoutVoiceCloning, ModelFileSources.officialTokenizer]
            + PredefinedVoices.names.compactMap(PredefinedVoices.source)
        {
            let url = try HubURL(parsing: text)
            #expect(url.isPinnedToCommit, "\(text)")
            #expect(url.description == text)
        }
        #expect(try HubURL(parsing: ModelFileSources.voiceCloningWeights).repository == "kyutai/pocket-tts")
        #expect(PredefinedVoices.source("nobody") == nil)
    }

    @Test(arguments: [
        ("https://huggingface.co/a/b/c", "must start with"),
        ("hf://a/b", "expected hf://owner/name/path"),
        ("hf://a", "expected hf://owner/name/path"),
        ("hf://a//c.bin", "empty path component"),
        ("hf://a/b/c.bin@", "empty revision"),
        ("hf://a/b/c.bin@x@y", "more than one '@'"),
        ("hf://a/b/../c.bin", "'..' is not allowed"),
        ("hf://a/b/./c.bin", "'.' is not allowed"),
        ("hf://a/b/c.bin@../main", "'..' is not allowed in the revision"),
        ("hf://a/b/dir/", "empty path component"),
        ("hf://a b/c/d.bin", "may only hold"),
        ("hf://a/b/c\\d.bin", "backslash"),
    ])
    func malformedURLsAreTypedErrors(text: String, reason: String) {
        do {
            _ = try HubURL(parsing: text)
            Issue.record("\(text) parsed")
        } catch {
            guard case .malformedHubURL(let got, let message) = error else {
                Issue.record("wrong error \(error)")
                return
            }
            #expect(got == text)
            #expect(message.contains(reason), "\(message)")
            #expect(error.description.contains(text))
        }
    }

    @Test func resolveURLEncodesEachSegment() throws {
        let endpoint = URL(string: "http://127.0.0.1:9/mirror/")!
        let plain = try HubURL(parsing: "hf://kyutai/pocket-tts/tts_b6369a24.safetensors@427e3d61b276ed69fdd03de0d185fa8a8d97fc5b")
        #expect(plain.resolveURL(endpoint: endpoint).absoluteString
            == "http://127.0.0.1:9/mirror/kyutai/pocket-tts/resolve/427e3d61b276ed69fdd03de0d185fa8a8d97fc5b/tts_b6369a24.safetensors")
        let odd = try HubURL(parsing: "hf://o/n/dir/a b#.bin@refs/pr/1")
        #expect(odd.resolveURL(endpoint: endpoint).absoluteString == "http://127.0.0.1:9/mirror/o/n/resolve/refs%2Fpr%2F1/dir/a%20b%23.bin")
    }
}
