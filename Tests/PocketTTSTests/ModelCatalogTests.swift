import Foundation
import Testing

@testable import PocketTTS

@Suite struct ModelCatalogTests {
    static let modelsDirectory = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Configs/models")

    @Test func listsTheTwentySevenConfigsOf401() {
        #expect(ModelCatalog.names.count == 27)
        #expect(ModelCatalog.names.contains("english"))
        #expect(ModelCatalog.names.contains("english_2m_2026-10"))
        #expect(ModelCatalog.names.contains("dutch_24l"))
    }

    @Test func builtinTextsEqualConfigsModels() throws {
        let files = try FileManager.default.contentsOfDirectory(atPath: Self.modelsDirectory.path)
            .filter { $0.hasSuffix(".yaml") }.sorted()
        #expect(files.map { String($0.dropLast(5)) } == ModelCatalog.names)
        for file in files {
            let text = try String(contentsOf: Self.modelsDirectory.appendingPathComponent(file), encoding: .utf8)
            let name = String(file.dropLast(5))
            func trimmed(_ s: String) -> Substring { s.dropLast(s.count - (s.lastIndex { $0 != "\n" }.map { s.distance(from: s.startIndex, to: $0) + 1 } ?? 0)) }
            #expect(trimmed(try ModelCatalog.yaml(named: name)) == trimmed(text), "\(name)")
        }
    }

    @Test(arguments: ModelCatalog.names) func everyConfigParsesAndValidates(name: String) throws {
        let config = try ModelCatalog.config(named: name)
        #expect(config.flowLM.lookupTable.binCount == 4000)
        #expect(config.defaultTemperature == 0.3)
    }

    @Test func newArchitectureKeysAreRead() throws {
        let tiny = try ModelCatalog.config(named: "english_2m_2026-10")
        #expect(tiny.flowLM.flow.type == .pointwise)
        #expect(tiny.flowLM.transformer.attentionDimension == 192)
        #expect(tiny.flowLM.transformer.keyValueHeadCount == 1)
        #expect(tiny.flowLM.transformer.effectiveFeedForwardDimension == 96)
        #expect(tiny.flowLM.lookupTable.rank == 32)
        #expect(tiny.flowLM.zDimension == 64)
        #expect(tiny.flowLM.insertBOSBeforeVoice)
        #expect(tiny.flowLM.lookupTable.usesTokenizerJSON == false)
        #expect(tiny.mimi.innerDimension == 32 && tiny.mimi.outerDimension == 128)
        #expect(tiny.mimi.decoderSEANet?.filterCount == 24)
        #expect(tiny.mimi.decoderTransformer?.context == 50)
        #expect(tiny.defaultEOSThreshold == -1.0)
        let french = try ModelCatalog.config(named: "french")
        #expect(french.text.removeSemicolons)
        #expect(french.text.replaceCharacters["«"] == "")
        #expect(french.flowLM.lookupTable.usesTokenizerJSON)
        #expect(french.defaultEOSThreshold == -4.0)
        let january = try ModelCatalog.config(named: "b6369a24")
        #expect(january.text.padWithSpacesForShortInputs)
        #expect(january.flowLM.insertBOSBeforeVoice == false)
        #expect(try ModelCatalog.config(named: "english_drifting_26-09").flowLM.flow.type == .drifting)
        #expect(try ModelCatalog.config(named: "english_2026-09_24l").flowLM.transformer.layerCount == 24)
    }

    @Test func languagesAndDefaultVoices() {
        #expect(ModelCatalog.language(of: "french_24l") == "french")
        #expect(ModelCatalog.language(of: "english_7m_2026-10") == "english")
        #expect(ModelCatalog.defaultVoice(for: "german") == "juergen")
        #expect(ModelCatalog.defaultVoice(for: "english") == "alba")
        #expect(ModelCatalog.defaultVoice(for: "dutch_24l") == "daan")
    }

    @Test func unknownNameIsAnErrorListingTheModels() {
        #expect(throws: ModelCatalogError.self) { try ModelCatalog.yaml(named: "klingon") }
        do { _ = try ModelCatalog.yaml(named: "klingon") } catch {
            #expect(error.description.contains("english_7m_2026-10"))
        }
    }

    @Test func unknownKeyInNewSchemaIsAnError() throws {
        let yaml = try ModelCatalog.yaml(named: "english").replacingOccurrences(of: "default_temperature: 0.3", with: "default_temperatur: 0.3")
        #expect(throws: ConfigError.unknownKey(path: "default_temperatur")) { try PocketTTSConfig(yaml: yaml) }
    }
}
