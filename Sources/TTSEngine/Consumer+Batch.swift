import PocketTTS

extension Consumer {
    /// Delivers the items of several streams, decoding in passes: each pass applies every
    /// stream's items up to its next frame, then decodes those frames, one per stream, in one
    /// `MimiDecoder.forwardBatch` call and hands them to the sinks. A stream out of frames (or
    /// closed) drops out of the passes; the others go on.
    func deliverBatched(_ streams: [(id: StreamID, sink: any StreamSink, items: [HandOffItem])]) {
        var cursors = [Int](repeating: 0, count: streams.count)  // next item of each stream
        var live = [Bool](repeating: true, count: streams.count)  // still open, items left
        while true {
            var ready: [(stream: Int, frame: GeneratedFrame)] = []
            for i in streams.indices where live[i] {
                let (id, sink, items) = streams[i]
                while live[i], cursors[i] < items.count {
                    if case .frame(let frame) = items[cursors[i]] {
                        ready.append((i, frame))
                        break
                    }
                    live[i] = control(items[cursors[i]], of: id, to: sink)
                    cursors[i] += 1
                }
                if cursors[i] >= items.count { live[i] = false }
            }
            if ready.isEmpty { return }
            // The first frames of chunks (a turn's first audio) go in a call of their own, ahead
            // of the other streams' next frames: the same bits either way (batch invariance).
            let (first, next) = (ready.filter { $0.frame.index == 0 }, ready.filter { $0.frame.index != 0 })
            for group in [first, next] where !group.isEmpty {
                let delivered = decodeBatch(group.map { (streams[$0.stream].id, streams[$0.stream].sink, $0.frame) })
                for (k, entry) in group.enumerated() {
                    cursors[entry.stream] += 1
                    if !delivered[k] { live[entry.stream] = false }
                }
            }
        }
    }

    /// Decodes one frame of each stream (each at its own position, with its own state) in one
    /// pass and delivers them; per stream, false when it is closed (state dropped, no call).
    private func decodeBatch(_ frames: [(id: StreamID, sink: any StreamSink, frame: GeneratedFrame)]) -> [Bool] {
        var open = frames.map { handOff.isOpen($0.id) }  // do not decode for nothing
        for (k, entry) in frames.enumerated() where !open[k] { states[entry.id] = nil }
        let batch = frames.indices.filter { open[$0] }
        if batch.isEmpty { return open }
        let n = decoder.frameLength
        latents.removeAll(keepingCapacity: true)
        for k in batch { normalization.denormalize(frames[k].frame.latent, appendingTo: &latents) }
        if audio.count < batch.count * n { audio = [Float](repeating: 0, count: batch.count * n) }
        // Moved out of the dictionary: each stays uniquely owned during the call.
        var batchStates = batch.map { states.removeValue(forKey: frames[$0].id) ?? decoder.makeState() }
        latents.withUnsafeBufferPointer { x in
            audio.withUnsafeMutableBufferPointer { y in
                batchStates.withUnsafeMutableBufferPointer { states in
                    decoder.forwardBatch(latents: x.baseAddress!, into: y.baseAddress!, states: states,
                                         scratch: &batchScratch)
                }
            }
        }
        capacity?.recordDecode(frames: batch.count)
        firstFramesDecoded(batch.filter { frames[$0].frame.chunk == 0 && frames[$0].frame.index == 0 }.map { frames[$0].id })
        for (j, k) in batch.enumerated() {
            let (id, sink, frame) = frames[k]
            states[id] = batchStates[j]
            var delivered = frame
            delivered.audio = Array(audio[j * n..<(j + 1) * n])
            if !call(id, { sink.stream(id, didProduce: delivered) }) {
                states[id] = nil
                open[k] = false
            }
        }
        return open
    }
}
