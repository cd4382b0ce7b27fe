import Foundation
import Testing

@testable import PocketTTS

/// The Swift layout against `TTSModel.state_dict()` dumped from the reference
/// (Scripts/reference/dump_state_dict.py), for the shipped config and for a variant config.
@Suite struct ModelLayoutTests {
    struct Fixture: Decodable {
        struct Initialization: Decodable {
            var kind: String
            var bound: Double?
            var value: Double?
            var mean: Double?
            var std: Double?
            var values: [Double]?
        }
        struct Entry: Decodable {
            var name: String
            var shape: [Int]
            var dtype: String
            var module: String
            var `init`: Initialization
        }
        var totalElements: Int
        var buffers: [String]
        var tensors: [Entry]

        enum CodingKeys: String, CodingKey {
            case totalElements = "total_elements"
            case buffers, tensors
        }
    }

    static func fixture(_ name: String) throws -> Fixture {
        let url = try #require(Bundle.module.url(forResource: name, withExtension: "json", subdirectory: "Fixtures/layout"))
        return try JSONDecoder().decode(Fixture.self, from: Data(contentsOf: url))
    }

    static func variantConfig() throws -> PocketTTSConfig {
        let url = try #require(Bundle.module.url(forResource: "variant", withExtension: "yaml", subdirectory: "Fixtures/layout"))
        return try PocketTTSConfig(contentsOf: url)
    }

    static func shippedConfig() throws -> PocketTTSConfig {
        try PocketTTSConfig(contentsOf: PocketTTSConfigTests.shippedURL)
    }

    @Test(arguments: ["b6369a24", "variant"])
    func layoutEqualsReferenceStateDict(name: String) throws {
        let config = try name == "variant" ? Self.variantConfig() : Self.shippedConfig()
        let fixture = try Self.fixture(name)
        let specs = ModelLayout.tensors(for: config)
        // Same names in the same (state_dict) order, same shapes; the mimi.* order is 4.0.1's
        // (MimiLayoutTests), which registers each attention's in_proj before its out_proj where
        // this 1.1.1 dump has out_proj first: that part is compared by name.
        let isMimi = { (name: String) in name.hasPrefix("mimi.") }
        #expect(specs.map(\.name).filter { !isMimi($0) } == fixture.tensors.map(\.name).filter { !isMimi($0) })
        #expect(specs.map(\.name).filter(isMimi).sorted() == fixture.tensors.map(\.name).filter(isMimi).sorted())
        let referenceShapes = Dictionary(uniqueKeysWithValues: fixture.tensors.map { ($0.name, $0.shape) })
        for spec in specs where referenceShapes[spec.name] != spec.shape {
            Issue.record("\(spec.name): shape \(spec.shape), reference \(referenceShapes[spec.name] ?? [])")
        }
        #expect(specs.filter(\.isBuffer).map(\.name) == fixture.buffers)
        #expect(ModelLayout.elementCount(for: config) == fixture.totalElements)
        // A fresh reference model is all float32.
        #expect(fixture.tensors.allSatisfy { $0.dtype == "F32" })
    }

    @Test func officialModelHas117856962Values() throws {
        let specs = ModelLayout.tensors(for: try Self.shippedConfig())
        #expect(specs.count == 213)
        #expect(specs.reduce(0) { $0 + $1.elementCount } == 117_856_962)
        #expect(Set(specs.map(\.name)).count == specs.count)
    }

    /// Each tensor is made up the way the reference initialises it, except the speaker projection
    /// (zeros in the reference, which would make voice conditioning vanish).
    @Test(arguments: ["b6369a24", "variant"])
    func initializationFollowsReference(name: String) throws {
        let config = try name == "variant" ? Self.variantConfig() : Self.shippedConfig()
        let fixture = try Self.fixture(name)
        let entries = Dictionary(uniqueKeysWithValues: fixture.tensors.map { ($0.name, $0) })
        for spec in ModelLayout.tensors(for: config) {
            let entry = try #require(entries[spec.name], "\(spec.name) in the reference")
            let reference = entry.`init`
            switch (spec.initialization, reference.kind) {
            case (.uniform(let bound), "uniform"):
                #expect(abs(Double(bound) - reference.bound!) <= 1e-7 * reference.bound!, "\(spec.name)")
            case (.normal(let mean, let deviation), "normal"):
                #expect(Double(mean) == reference.mean! && Double(deviation) == reference.std!, "\(spec.name)")
            case (.ones, "constant"):
                #expect(reference.value == 1, "\(spec.name)")
            case (.zeros, "constant"):
                #expect(reference.value == 0, "\(spec.name)")
            case (.constant(let value), "constant"):
                #expect(Double(value) == reference.value!, "\(spec.name)")
            case (.timestepFrequencies, "values"):
                let values = RandomWeights.values(for: spec, seed: 0)
                let expected = try #require(reference.values)
                #expect(values.count == expected.count)
                for (value, target) in zip(values, expected) {
                    // Within one float32 ulp of torch (exp implementations may differ by one).
                    #expect(abs(Double(value) - target) <= Double(Float(target).ulp), "\(spec.name)")
                }
            case (.uniform, "constant") where spec.name == "flow_lm.speaker_proj_weight":
                #expect(reference.value == 0)
            default:
                Issue.record("\(spec.name): \(spec.initialization) but reference \(entry.module) \(reference.kind)")
            }
        }
    }

    @Test func resamplingLayersFollowTheConfig() throws {
        var config = try Self.shippedConfig()
        #expect(config.mimi.hopLength == 120 && config.mimi.resampleStride == 16)
        // Encoder rate equal to the frame rate: no downsample/upsample layers at all.
        config.mimi.frameRate = 200
        let names = ModelLayout.tensors(for: config).map(\.name)
        #expect(!names.contains { $0.hasPrefix("mimi.downsample") || $0.hasPrefix("mimi.upsample") })
        config.mimi.frameRate = 30
        #expect(throws: ConfigError.self) { try config.validate() }
    }
}
