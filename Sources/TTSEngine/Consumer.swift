import PocketTTS

/// One consumer thread's work: the Mimi decoder for the open streams pinned to it (see
/// `FrameHandOff`). Each pass takes the queued items of each of those streams up to its next
/// frame or two (freeing room, so the producer refills them while this pass decodes), then,
/// stream by stream, decodes the frames of one chunk in fixed runs (`runEnds`: frame 0 alone,
/// then pairs 1–2, 3–4, …) one `MimiDecoder.forward` call each, and hands them to the sink.
///
/// Runs are fixed by frame index, not by what happens to be queued: Mimi's result for a frame
/// depends (to float rounding) on the frames decoded with it, so runs made of whatever had
/// arrived would make the audio depend on timing. A frame that starts a pair waits for the
/// next (one producer step), or for its chunk's end.
///
/// On the exact path streams are decoded one after another, not batched across streams: there
/// a frame's audio would depend (to float rounding) on which streams share the pass. When the
/// decoder computes every stream's rows exactly as alone (`MimiDecoder.isBatchInvariant`: the
/// packed weights of `bf16` / `int8`), the consumer instead decodes one frame of every ready
/// stream per pass in one `MimiDecoder.forwardBatch` (Consumer+Batch.swift), every stream one
/// frame per call: the same audio, bit for bit, alone or batched.
/// The engine runs one `Consumer` per consumer thread; they share the (read-only) weights and
/// nothing else. Used only on its own thread once started. Every sink call is made inside the
/// hand-off's delivery guard (`beginDelivery` … `endDelivery`), which is what lets
/// `Engine.cancel` promise that no call starts after it returns.
final class Consumer: @unchecked Sendable {
    let normalization: LatentNormalization  // FlowLM's emb_std, emb_mean
    let decoder: MimiDecoder
    private let inbox: CommandInbox
    let handOff: FrameHandOff
    private let index: Int  // which of the hand-off's consumers this is
    /// Told of the frames decoded, for the live cost estimate.
    let capacity: CapacityMonitor?
    /// Whether a run ends with the frame of this index within its chunk: frame 0 alone (first
    /// audio without waiting), then pairs (1, 2), (3, 4), … (`MimiDecoder.framesPerCall`: more
    /// frames per call are decoded two at a time anyway).
    static func runEnds(at index: Int) -> Bool { index % 2 == 0 }
    var states: [StreamID: MimiDecoder.State] = [:]  // the current chunk's decoder state, per stream
    /// A frame waiting for the rest of its run, per stream (taken in an earlier pass).
    private var waiting: [StreamID: [GeneratedFrame]] = [:]

    // Decode scratch, reused every pass.
    var latents: [Float] = []  // [T, latentDim] de-normalised
    var audio: [Float] = []  // [T · frameLength]
    var batchScratch = MimiDecoder.BatchScratch()  // decodeBatch's; its SEANet buffers decode's too

    init(model: TTSModel, inbox: CommandInbox, handOff: FrameHandOff, index: Int, capacity: CapacityMonitor? = nil) {
        precondition((0..<handOff.consumers).contains(index), "Consumer: no consumer \(index)")
        self.index = index
        self.capacity = capacity
        self.normalization = model.flowLM.normalization
        self.decoder = model.mimi.decoder
        self.inbox = inbox
        self.handOff = handOff
    }

    /// The thread body: returns once the hand-off is shut down, with every state freed.
    func run() {
        // Short passes (one frame per stream batched, one run of two alone): a new stream's first
        // frame waits for one pass, not for every frame the other streams had queued.
        let maxFrames = decoder.isBatchInvariant ? 1 : 2
        while let batch = handOff.take(consumer: index, maxFrames: maxFrames) {
            if batch.freedRoom { inbox.wake() }
            for id in batch.cancelled {
                states[id] = nil
                waiting[id] = nil
            }
            if decoder.isBatchInvariant {
                deliverBatched(batch.streams)
            } else {
                for stream in batch.streams { deliver(stream.items, of: stream.id, to: stream.sink) }
            }
        }
        states.removeAll()
        waiting.removeAll()
    }

    /// Tells the producer these streams' first frames are decoded (it holds back other streams'
    /// steps meanwhile: `ProducerSchedule`), before they are delivered.
    func firstFramesDecoded(_ ids: [StreamID]) {
        if ids.isEmpty { return }
        for id in ids { handOff.markFirstFrameDecoded(id) }
        inbox.wake()
    }

    /// Makes one sink call for the stream inside the delivery guard; false (no call) if the
    /// stream is no longer open. `closing`: the stream's last call, which closes it.
    func call(_ id: StreamID, closing: Bool = false, _ body: () -> Void) -> Bool {
        guard handOff.beginDelivery(id, consumer: index, closing: closing) else { return false }
        body()
        handOff.endDelivery(consumer: index)
        return true
    }

    private func deliver(_ items: [HandOffItem], of id: StreamID, to sink: any StreamSink) {
        var run = waiting.removeValue(forKey: id) ?? []  // consecutive frames of one chunk
        for item in items {
            if case .frame(let frame) = item {
                run.append(frame)
                if Self.runEnds(at: frame.index) {
                    guard decode(run, of: id, to: sink) else { return }
                    run.removeAll()
                }
                continue
            }
            if !run.isEmpty {  // the chunk ended within a run
                guard decode(run, of: id, to: sink) else { return }
                run.removeAll()
            }
            guard control(item, of: id, to: sink) else { return }
        }
        if !run.isEmpty { waiting[id] = run }  // the rest of its run comes in a later pass
    }

    /// Applies an item other than a frame; false once the stream is closed (its last call made,
    /// or no call possible).
    func control(_ item: HandOffItem, of id: StreamID, to sink: any StreamSink) -> Bool {
        switch item {
        case .frame:
            preconditionFailure("Consumer: a frame is not a control item")
        case .endOfChunk(let chunk):
            states[id] = nil  // the next chunk starts from a fresh decoder state
            return call(id, { sink.streamDidFinishChunk(id, chunk: chunk) })
        case .finished:
            states[id] = nil
            // The slot is released before the call, so the sink may open a new stream.
            _ = call(id, closing: true) {
                inbox.release(id)
                sink.streamDidFinish(id)
            }
            return false
        case .failed(let error):
            states[id] = nil
            _ = call(id, closing: true) {
                inbox.release(id)
                sink.stream(id, didFail: error)
            }
            return false
        }
    }

    /// Decodes frames of one chunk (T ≥ 1) in one call and delivers them in order; false (and
    /// the stream's state dropped) once the stream is closed: cancelled, or the engine stopping.
    private func decode(_ frames: [GeneratedFrame], of id: StreamID, to sink: any StreamSink) -> Bool {
        guard handOff.isOpen(id) else {  // do not decode for nothing
            states[id] = nil
            return false
        }
        let (T, n) = (frames.count, decoder.frameLength)
        latents.removeAll(keepingCapacity: true)
        for frame in frames { normalization.denormalize(frame.latent, appendingTo: &latents) }
        if audio.count < T * n { audio = [Float](repeating: 0, count: T * n) }
        var state = states.removeValue(forKey: id) ?? decoder.makeState()  // moved out: stays uniquely owned
        latents.withUnsafeBufferPointer { x in
            audio.withUnsafeMutableBufferPointer { y in
                decoder.forward(latents: x.baseAddress!, frames: T, into: y.baseAddress!, state: &state,
                               scratch: &batchScratch.lent)
            }
        }
        states[id] = state
        capacity?.recordDecode(frames: T)
        if let first = frames.first, first.chunk == 0, first.index == 0 { firstFramesDecoded([id]) }
        for (t, var frame) in frames.enumerated() {
            frame.audio = Array(audio[t * n..<(t + 1) * n])
            guard call(id, { sink.stream(id, didProduce: frame) }) else {
                states[id] = nil
                return false
            }
        }
        return true
    }
}
