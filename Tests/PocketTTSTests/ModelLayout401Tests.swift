import Foundation
import Testing

@testable import PocketTTS

/// `ModelLayout.tensors(for:)` against `TTSModel.state_dict()` of pocket-tts 4.0.1 for each of
/// the 27 built-in configs (Fixtures/layout/layouts_401.json, Scripts/reference/dump_layouts_401.py).
@Suite struct ModelLayout401Tests {
    struct Layout: Decodable {
        var configs: [String]
        var totalElements: Int
        var buffers: [String]
        var tensors: [Entry]
        enum CodingKeys: String, CodingKey {
            case configs, buffers, tensors
            case totalElements = "total_elements"
        }
    }

    /// One `[name, shape]` pair.
    struct Entry: Decodable {
        var name: String
        var shape: [Int]
        init(from decoder: any Decoder) throws {
            var container = try decoder.unkeyedContainer()
            name = try container.decode(String.self)
            shape = try container.decode([Int].self)
        }
    }

    struct Document: Decodable { var layouts: [Layout] }

    static let layouts: [String: Layout] = {
        let url = Bundle.module.url(forResource: "layouts_401", withExtension: "json", subdirectory: "Fixtures/layout")!
        let document = try! JSONDecoder().decode(Document.self, from: Data(contentsOf: url))
        var byConfig: [String: Layout] = [:]
        for layout in document.layouts {
            for name in layout.configs { byConfig[name] = layout }
        }
        return byConfig
    }()

    @Test func everyBuiltinConfigHasAReferenceLayout() {
        #expect(Set(Self.layouts.keys) == Set(ModelCatalog.names))
        #expect(ModelCatalog.names.count == 27)
    }

    /// The `flow_lm.*` tensors: same names in the same (state_dict) order, same shapes, same buffers.
    @Test(arguments: ModelCatalog.names)
    func flowLMLayoutEqualsReference(name: String) throws {
        let reference = try #require(Self.layouts[name])
        try Self.compare(ModelLayout.tensors(for: try ModelCatalog.config(named: name)), reference, prefix: "flow_lm.")
    }

    /// The `mimi.*` tensors of the 4.0.1 configs (inner/outer dims, decoder SEANet and transformer
    /// of their own) are the Mimi branch's: expected to fail until it is merged.
    @Test(arguments: ModelCatalog.names)
    func mimiLayoutEqualsReference(name: String) throws {
        let reference = try #require(Self.layouts[name])
        let specs = ModelLayout.tensors(for: try ModelCatalog.config(named: name))
        try Self.compare(specs, reference, prefix: "mimi.")
        #expect(specs.reduce(0) { $0 + $1.elementCount } == reference.totalElements)
    }

    static func compare(_ specs: [TensorSpec], _ reference: Layout, prefix: String) throws {
        let ours = specs.filter { $0.name.hasPrefix(prefix) }
        let theirs = reference.tensors.filter { $0.name.hasPrefix(prefix) }
        // One issue at the first difference (name, shape or count) rather than one per tensor.
        if let index = (0..<min(ours.count, theirs.count)).first(where: { ours[$0].name != theirs[$0].name || ours[$0].shape != theirs[$0].shape }) {
            let (spec, entry) = (ours[index], theirs[index])
            Issue.record("\(prefix)* tensor \(index): \(spec.name) \(spec.shape), reference \(entry.name) \(entry.shape)")
        } else if ours.count != theirs.count {
            Issue.record("\(prefix)* has \(ours.count) tensors, reference \(theirs.count)")
        }
        #expect(ours.filter(\.isBuffer).map(\.name) == reference.buffers.filter { $0.hasPrefix(prefix) })
    }
}
