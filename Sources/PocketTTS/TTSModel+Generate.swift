import Kernels

/// Text to audio, one stream on the calling thread (`TTSModel.generate_audio_stream` without
/// its threads): `GenerationStream` drives it, as it drives the engine's producer, which runs
/// the same steps batched on its own thread and decodes on consumer threads.
extension TTSModel {
    /// The chunks the generator speaks for `text`, with their tokens (`split_into_best_sentences`,
    /// then each chunk prepared again), per the config's text options.
    public func chunks(for text: String, maxTokens: Int = TextChunk.defaultMaxTokens, tokenCap: Int? = nil) throws -> [TextChunk] {
        try TextChunk.chunks(for: text, tokenizer: tokenizer, config: config, maxTokens: maxTokens, tokenCap: tokenCap)
    }

    /// Generates speech for `text` in the voice `voice`, calling `onFrame` as each frame is
    /// decoded. Per chunk (see `GenerationStream`): a copy of the voice state, the chunk's
    /// tokens as a prompt (in slices of `GenerationStream.promptSliceRows`), steps from BOS until EOS + frames-after-EOS or the length limit,
    /// each frame decoded at once from a Mimi decoder state fresh for the chunk. Prompts share
    /// the pieces of their layers with `pool` (the caller's helper threads; nil: none).
    public func generate(
        text: String, voice: FlowLM.State, options: GenerationOptions = GenerationOptions(), pool: WorkerPool? = nil,
        onFrame: (GeneratedFrame) throws -> Void
    ) throws {
        try options.validate()
        var stream = GenerationStream(flowLM: flowLM, voice: voice, options: options)
        stream.enqueue(try chunks(for: text, maxTokens: options.maxTokens, tokenCap: options.tokenCap))
        stream.finish()
        let latentDim = flowLM.dimensions.latentDim
        var decoderInput: [Float] = []  // [1, ldim] de-normalised
        while stream.beginNextChunk() {
            var more = true
            while more && stream.isPrompting {
                let slice = stream.takePromptSlice(limit: GenerationStream.promptSliceRows)
                try flowLM.prompt(textTokens: Array(slice), state: &stream.state, pool: pool)
                more = stream.promptSliceDone()
            }
            guard more else { continue }  // a chunk of no frames
            var decoder = mimi.decoder.makeState()
            while stream.isStepping {
                let step = flowLM.step(latent: stream.latent, state: &stream.state, sampling: options.sampling,
                                       using: &stream.rng)
                guard var frame = stream.record(latent: step.latent, eosLogit: step.eosLogit).frame else { break }
                decoderInput.removeAll(keepingCapacity: true)
                flowLM.normalization.denormalize(frame.latent, appendingTo: &decoderInput)
                frame.audio = mimi.decoder.step(Tensor(shape: [1, latentDim], data: decoderInput), state: &decoder).data
                try onFrame(frame)
            }
        }
    }

    /// All the audio of `generate`, concatenated.
    public func generateAudio(
        text: String, voice: FlowLM.State, options: GenerationOptions = GenerationOptions(), pool: WorkerPool? = nil
    ) throws -> [Float] {
        var audio: [Float] = []
        try generate(text: text, voice: voice, options: options, pool: pool) { audio += $0.audio }
        return audio
    }
}
