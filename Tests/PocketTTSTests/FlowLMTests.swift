import Kernels
import Testing
@testable import PocketTTS

/// FlowLM without fixtures: streaming equals one pass, batching equals single streams,
/// loading is strict, voice states round-trip.
@Suite struct FlowLMTests {
    typealias S = FlowLMTestSupport
    let model: FlowLM
    let dims = S.tiny

    init() throws { model = try S.randomModel() }

    /// Random inputs: voice conditioning [5, d], 7 tokens, 6 latents (row 0 NaN = BOS).
    func inputs(seed: UInt64) -> (voice: Tensor, tokens: [Int], latents: Tensor) {
        var rng = SplitMix64(seed: seed)
        let voice = Tensor.random([5, dims.modelDim], using: &rng)
        let tokens = (0..<7).map { _ in Int.random(in: 0...dims.vocabularySize, using: &rng) }
        var latents = Tensor.random([6, dims.latentDim], using: &rng)
        for j in 0..<dims.latentDim { latents[0, j] = .nan }
        return (voice, tokens, latents)
    }

    @Test func promptsThenStepsInChunksEqualOnePass() throws {
        let (voice, tokens, latents) = inputs(seed: 7)
        // One pass over [voice | text | input_linear(latents)], then out_norm, EOS and the flow
        // head (temperature 0, 2 LSD steps) on every latent position.
        var full = model.makeState(capacity: 64)
        let x = S.concat([voice, try model.textEmbeddings(tokens), model.latentEmbeddings(latents)])
        let hidden = model.transformerOutput(forEmbeddings: x, state: &full)
        let prefix = voice.shape[0] + tokens.count
        let h = model.outNorm(S.rows(hidden, prefix..<x.shape[0]))
        let eos = model.outEOS(h)
        let expected = model.flowHead.decode(condition: h, x0: .zeros([6, dims.latentDim]), steps: 2)

        // Streaming: a tiny capacity (forces growth), random chunks, then single steps.
        var rng = SplitMix64(seed: 99)
        var state = model.makeState(capacity: 2)
        var offset = 0
        for c in S.chunks(voice.shape[0], maxChunk: 3, using: &rng) {
            try model.prompt(conditioning: S.rows(voice, offset..<offset + c), state: &state)
            offset += c
        }
        offset = 0
        for c in S.chunks(tokens.count, maxChunk: 4, using: &rng) {
            try model.prompt(textTokens: Array(tokens[offset..<offset + c]), state: &state)
            offset += c
        }
        #expect(state.length == prefix)
        let sampling = FlowLMSampling(temperature: 0, lsdSteps: 2)
        for k in 0..<6 {
            let latent = Array(latents.data[k * dims.latentDim..<(k + 1) * dims.latentDim])
            let out = model.step(latent: latent, state: &state, sampling: sampling, using: &rng)
            let want = Array(expected.data[k * dims.latentDim..<(k + 1) * dims.latentDim])
            #expect(S.relativeError(out.latent, want) <= 1e-5, "latent \(k)")
            #expect(abs(out.eosLogit - eos.data[k]) <= 1e-5, "eos \(k)")
            #expect(out.isEndOfSpeech == (out.eosLogit > sampling.eosThreshold))
        }
        #expect(state.length == x.shape[0])
        #expect(expected.maxAbs > 0.1)  // the comparison is not between zeros
    }

    @Test func transformerInRandomChunksEqualsOneCall() {
        var rng = SplitMix64(seed: 5)
        let x = Tensor.random([23, dims.modelDim], using: &rng)
        var one = model.makeState(capacity: 23)
        let whole = model.transformerOutput(forEmbeddings: x, state: &one)
        for trial in 0..<3 {
            var state = model.makeState(capacity: trial)
            var parts: [Tensor] = []
            var offset = 0
            for c in S.chunks(23, maxChunk: 6, using: &rng) {
                parts.append(model.transformerOutput(forEmbeddings: S.rows(x, offset..<offset + c), state: &state))
                offset += c
            }
            #expect(S.relativeError(S.concat(parts).data, whole.data) <= 1e-5)
        }
    }

    /// Linear switches from per-row products to one sgemm at 4 rows: cover both.
    @Test(arguments: [3, 5])
    func batchedStepsEqualSingleStreams(batch: Int) throws {
        let sampling = FlowLMSampling(temperature: 0.5, lsdSteps: 2, noiseClamp: 1.5)
        var states: [FlowLM.State] = []
        for b in 0..<batch {  // different prefix lengths
            var s = model.makeState(capacity: 4)
            try model.prompt(textTokens: Array(repeating: 3 + b, count: 2 + 3 * b), state: &s)
            states.append(s)
        }
        var singles = states
        var generators = (0..<batch).map { SplitMix64(seed: 1000 + UInt64($0)) }
        var singleGenerators = generators
        var latents = [[Float]](repeating: [Float](repeating: .nan, count: dims.latentDim), count: batch)
        var singleLatents = latents
        var workspace = FlowLM.Workspace()
        for k in 0..<5 {
            let outs = model.stepBatch(latents: latents, states: &states, generators: &generators,
                                        sampling: sampling, workspace: &workspace)
            for b in 0..<batch {
                let one = model.step(latent: singleLatents[b], state: &singles[b], sampling: sampling,
                                     using: &singleGenerators[b])
                #expect(S.relativeError(outs[b].latent, one.latent) <= 1e-5, "step \(k) stream \(b)")
                #expect(abs(outs[b].eosLogit - one.eosLogit) <= 1e-5)
                singleLatents[b] = one.latent
            }
            latents = outs.map(\.latent)
        }
        #expect(states.map(\.length) == singles.map(\.length))
        #expect(latents[0] != latents[1])  // per-stream noise and history differ
    }

    @Test func temperatureDrawsNoiseAndZeroTemperatureDoesNot() {
        let bos = [Float](repeating: .nan, count: dims.latentDim)
        func run(_ temperature: Float, seed: UInt64) -> [Float] {
            var state = model.makeState(capacity: 4)
            var rng = SplitMix64(seed: seed)
            return model.step(latent: bos, state: &state, sampling: FlowLMSampling(temperature: temperature), using: &rng).latent
        }
        #expect(run(0, seed: 1) == run(0, seed: 2))
        #expect(run(0.7, seed: 1) == run(0.7, seed: 1))
        #expect(Tensor.maxAbsDifference(run(0.7, seed: 1), run(0.7, seed: 2)) > 1e-3)
    }

    @Test func voiceStateRoundTrips() throws {
        var rng = SplitMix64(seed: 3)
        var state = model.makeState(capacity: 8)
        try model.prompt(conditioning: Tensor.random([6, dims.modelDim], using: &rng), state: &state)
        var exported = model.voiceTensors(of: state)
        #expect(exported.count == 3 * dims.layerCount)
        #expect(exported["transformer.layers.1.self_attn/cache"]?.shape == [2, 1, 6, 2, 32])
        #expect(exported["transformer.layers.0.self_attn/offset"] == Tensor(shape: [1], data: [6]))
        #expect(exported["transformer.layers.0.self_attn/pad"] == Tensor(shape: [1], data: [0]))
        // A longer, NaN-padded cache (as `init_states` allocates) must load the same.
        for i in 0..<dims.layerCount {
            let key = FlowLM.voiceKey(layer: i, "cache")
            let c = exported[key]!
            var padded = Tensor.filled([2, 1, 9, 2, 32], value: .nan)
            for kv in 0..<2 {
                for j in 0..<6 * 64 { padded.data[kv * 9 * 64 + j] = c.data[kv * 6 * 64 + j] }
            }
            exported[key] = padded
        }
        var restored = try model.makeState(voiceTensors: exported, capacity: 16)
        #expect(restored.length == 6 && restored.capacity == 16)
        let bos = [Float](repeating: .nan, count: dims.latentDim)
        let sampling = FlowLMSampling(temperature: 0)
        let a = model.step(latent: bos, state: &state, sampling: sampling, using: &rng)
        let b = model.step(latent: bos, state: &restored, sampling: sampling, using: &rng)
        #expect(a == b)
        #expect(!a.latent.contains { $0.isNaN })
        // 1.1.1's form: current_end, whose length is the number of positions, instead of offset/pad.
        var legacy = exported.filter { $0.key.hasSuffix("/cache") }
        for i in 0..<dims.layerCount { legacy[FlowLM.voiceKey(layer: i, "current_end")] = .zeros([6]) }
        var fromLegacy = try model.makeState(voiceTensors: legacy, capacity: 16)
        #expect(model.step(latent: bos, state: &fromLegacy, sampling: sampling, using: &rng) == a)
    }

    @Test func voiceStateErrorsNameTheTensor() throws {
        var state = model.makeState(capacity: 4)
        try model.prompt(textTokens: [1, 2, 3], state: &state)
        var tensors = model.voiceTensors(of: state)
        tensors["transformer.layers.1.self_attn/offset"] = nil
        #expect(throws: FlowLMError.voiceState(tensor: "transformer.layers.1.self_attn/offset", problem: "missing")) {
            try model.makeState(voiceTensors: tensors)
        }
        tensors = model.voiceTensors(of: state)
        tensors["transformer.layers.1.self_attn/pad"] = Tensor(shape: [1], data: [2])
        #expect(throws: FlowLMError.voiceState(tensor: "transformer.layers.1.self_attn/pad",
                                               problem: "padded states (batched generation) are not supported")) {
            try model.makeState(voiceTensors: tensors)
        }
        tensors = model.voiceTensors(of: state)
        tensors["transformer.layers.1.self_attn/offset"] = Tensor(shape: [1], data: [2])
        #expect(throws: FlowLMError.voiceState(tensor: "transformer.layers.1.self_attn/offset",
                                               problem: "length 2 differs from the previous layers' 3")) {
            try model.makeState(voiceTensors: tensors)
        }
        tensors = model.voiceTensors(of: state)
        tensors["transformer.layers.0.self_attn/offset"] = Tensor(shape: [1], data: [4])
        #expect(throws: FlowLMError.shape(name: "transformer.layers.0.self_attn/cache", expected: [2, 1, 4, 2, 32],
                                          got: [2, 1, 3, 2, 32])) {
            try model.makeState(voiceTensors: tensors)
        }
        tensors = model.voiceTensors(of: state)
        tensors["extra/cache"] = .zeros([1])
        #expect(throws: FlowLMError.voiceState(tensor: "extra/cache", problem: "unexpected")) {
            try model.makeState(voiceTensors: tensors)
        }
        tensors = model.voiceTensors(of: state)
        tensors["transformer.layers.0.self_attn/cache"] = .zeros([2, 1, 3, 4, 16])
        #expect(throws: FlowLMError.shape(name: "transformer.layers.0.self_attn/cache", expected: [2, 1, 3, 2, 32],
                                          got: [2, 1, 3, 4, 16])) {
            try model.makeState(voiceTensors: tensors)
        }
    }

    @Test func inputsAreChecked() throws {
        var state = model.makeState(capacity: 4)
        #expect(throws: FlowLMError.tokenOutOfRange(token: 513, vocabularySize: 512)) {
            try model.prompt(textTokens: [1, 513], state: &state)
        }
        #expect(throws: FlowLMError.shape(name: "conditioning", expected: [-1, 64], got: [3, 32])) {
            try model.prompt(conditioning: .zeros([3, 32]), state: &state)
        }
        #expect(state.length == 0)
        try model.prompt(textTokens: [0, 512], state: &state)  // both ends of the table
        #expect(state.length == 2)
        let projected = try model.projectVoice(latents: .zeros([4, dims.speakerDim]))
        #expect(projected.shape == [4, dims.modelDim])
        #expect(throws: FlowLMError.self) { try model.projectVoice(latents: .zeros([4, dims.modelDim])) }
    }
}
