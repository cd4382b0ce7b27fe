// The `mimi.*` part of ModelLayout against pocket-tts 4.0.1's `build_mimi(config.mimi).state_dict()`
// for each of its 27 configs and the layout test's variant (Fixtures/reference401/mimi_layout.json,
// made by Scripts/reference/dump_layout_401_mimi.py).
import Foundation
import Kernels
import Testing
@testable import PocketTTS

@Suite struct MimiLayoutTests {
    /// configs: config name -> layout id; layouts: id -> [(name, shape)] in state_dict order.
    struct Fixture {
        let configs: [String: String]
        let layouts: [String: [(name: String, shape: [Int])]]

        init() throws {
            let url = MimiTestSupport.reference401Directory.appendingPathComponent("mimi_layout.json")
            let json = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: url)) as? [String: Any])
            configs = try #require(json["configs"] as? [String: String])
            let raw = try #require(json["layouts"] as? [String: [[Any]]])
            layouts = try raw.mapValues { entries in
                try entries.map { entry in
                    (name: try #require(entry[0] as? String), shape: try #require(entry[1] as? [Int]))
                }
            }
        }
    }

    static func config(named name: String) throws -> PocketTTSConfig {
        name == "variant" ? try ModelLayoutTests.variantConfig() : try ModelCatalog.config(named: name)
    }

    @Test func fixtureCoversEveryBuiltinConfig() throws {
        let fixture = try Fixture()
        #expect(Set(fixture.configs.keys) == Set(ModelCatalog.names + ["variant"]))
        #expect(fixture.layouts.count == 5)
    }

    @Test func mimiLayoutEqualsReference() throws {
        let fixture = try Fixture()
        for (name, id) in fixture.configs.sorted(by: { $0.key < $1.key }) {
            let expected = try #require(fixture.layouts[id])
            let specs = ModelLayout.tensors(for: try Self.config(named: name)).filter { $0.name.hasPrefix("mimi.") }
            #expect(specs.map(\.name) == expected.map(\.name), "\(name): names or order")
            for (spec, entry) in zip(specs, expected) where spec.shape != entry.shape {
                Issue.record("\(name): \(spec.name) shape \(spec.shape), reference \(entry.shape)")
            }
        }
    }

    /// Every built-in config's codec loads from its own random weights (loader and layout agree).
    @Test func everyBuiltinMimiLoadsFromItsLayout() throws {
        let fixture = try Fixture()
        var seen = Set<String>()
        for (name, id) in fixture.configs.sorted(by: { $0.key < $1.key }) where name != "variant" && seen.insert(id).inserted {
            let config = try ModelCatalog.config(named: name)
            let specs = ModelLayout.tensors(for: config).filter { $0.name.hasPrefix("mimi.") }
            var tensors: [String: Tensor] = [:]
            for spec in specs { tensors[spec.name] = Tensor.zeros(spec.shape) }
            let reader = WeightReader(tensors: tensors)
            let mimi = try Mimi(config: config.mimi, weights: reader.scoped("mimi."), geluApproximation: .tanh)
            try reader.finish()
            #expect(mimi.encoder.dimension == config.mimi.encoderLatentDimension, "\(name)")
            #expect(mimi.decoder.upsample.inChannels == config.mimi.decoderInputDimension, "\(name)")
            #expect(mimi.decoder.transformer.dModel == config.mimi.effectiveDecoderTransformer.modelDimension, "\(name)")
            #expect(mimi.decoder.frameLength == 1920, "\(name)")
        }
        #expect(seen.count == 4)
    }
}
