import PocketTTS

/// One consumer thread's work: the Mimi decoder for the open streams pinned to it (see
/// `FrameHandOff`). Each pass takes every queued item of each of those streams at once (freeing their queues, so the producer refills them
/// while this pass decodes), then, stream by stream, decodes each run of (up to `maxRun`)
/// frames of one chunk in one `MimiDecoder.forward` call and hands the frames to the sink.
///
/// Streams are decoded one after another, not batched across streams: `MimiDecoder.forward`
/// takes one state, and its convolutions and ring-buffer attention are per-stream anyway.
/// The engine runs one `Consumer` per consumer thread; they share the (read-only) weights and
/// nothing else. Used only on its own thread once started.
final class Consumer: @unchecked Sendable {
    private let flowLM: FlowLM  // emb_std, emb_mean: de-normalisation
    private let decoder: MimiDecoder
    private let inbox: CommandInbox
    private let handOff: FrameHandOff
    private let index: Int  // which of the hand-off's consumers this is
    /// Frames decoded in one call at most: more rows per matrix product, but the first frame
    /// of a run waits for the last, so a backlog is decoded in short runs.
    static let maxRun = 4
    private var states: [StreamID: MimiDecoder.State] = [:]  // the current chunk's decoder state, per stream

    // Decode scratch, reused every pass.
    private var latents: [Float] = []  // [T, latentDim] de-normalised
    private var audio: [Float] = []  // [T · frameLength]

    init(model: TTSModel, inbox: CommandInbox, handOff: FrameHandOff, index: Int) {
        precondition((0..<handOff.consumers).contains(index), "Consumer: no consumer \(index)")
        self.index = index
        self.flowLM = model.flowLM
        self.decoder = model.mimi.decoder
        self.inbox = inbox
        self.handOff = handOff
    }

    /// The thread body: returns once the hand-off is shut down, with every state freed.
    func run() {
        while let batch = handOff.take(consumer: index) {
            if batch.freedRoom { inbox.wake() }
            for id in batch.cancelled { states[id] = nil }
            for stream in batch.streams { deliver(stream.items, of: stream.id, to: stream.sink) }
        }
        states.removeAll()
    }

    private func deliver(_ items: [HandOffItem], of id: StreamID, to sink: any StreamSink) {
        var run: [LatentFrame] = []  // consecutive frames of one chunk
        for item in items {
            if case .frame(let frame) = item, run.isEmpty || (run[0].chunk == frame.chunk && run.count < Self.maxRun) {
                run.append(frame)
                continue
            }
            if !run.isEmpty {
                decode(run, of: id, to: sink)
                run.removeAll()
            }
            guard handOff.isOpen(id) else {  // cancelled meanwhile: not another call
                states[id] = nil
                return
            }
            switch item {
            case .frame(let frame):
                run.append(frame)  // the previous run was full: the next one starts
            case .endOfChunk(let chunk):
                states[id] = nil  // the next chunk starts from a fresh decoder state
                sink.streamDidFinishChunk(id, chunk: chunk)
            case .finished:
                states[id] = nil
                if handOff.close(id) {
                    inbox.release(id)  // before the call, so the sink may open a new stream
                    sink.streamDidFinish(id)
                }
                return
            case .failed(let error):
                states[id] = nil
                if handOff.close(id) {
                    inbox.release(id)
                    sink.stream(id, didFail: error)
                }
                return
            }
        }
        if !run.isEmpty { decode(run, of: id, to: sink) }
    }

    /// Decodes frames of one chunk (T ≥ 1) in one call and delivers them in order.
    private func decode(_ frames: [LatentFrame], of id: StreamID, to sink: any StreamSink) {
        guard handOff.isOpen(id) else {  // cancelled (or stopping): do not decode for nothing
            states[id] = nil
            return
        }
        let (T, l, n) = (frames.count, decoder.latentDimension, decoder.frameLength)
        latents.removeAll(keepingCapacity: true)
        for frame in frames {
            for j in 0..<l { latents.append(frame.latent[j] * flowLM.embeddingStd[j] + flowLM.embeddingMean[j]) }
        }
        if audio.count < T * n { audio = [Float](repeating: 0, count: T * n) }
        var state = states.removeValue(forKey: id) ?? decoder.makeState()  // moved out: stays uniquely owned
        latents.withUnsafeBufferPointer { x in
            audio.withUnsafeMutableBufferPointer { y in
                decoder.forward(latents: x.baseAddress!, frames: T, into: y.baseAddress!, state: &state)
            }
        }
        states[id] = state
        for (t, frame) in frames.enumerated() {
            guard handOff.isOpen(id) else {
                states[id] = nil
                return
            }
            sink.stream(id, didProduce: EngineFrame(
                chunk: frame.chunk, index: frame.index, audio: Array(audio[t * n..<(t + 1) * n]),
                latent: frame.latent, eosLogit: frame.eosLogit))
        }
    }
}
