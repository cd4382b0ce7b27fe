// SEANet+Scratch: SEANet's working buffers lent to a stream for one call instead of kept in
// every stream's state. A decoder's convolutions need ~15 MB of scratch per stream at 16–32
// steps (im2col columns, packed inputs, the transposed convs' full outputs); only their
// histories (a few hundred KB) must live between calls. A decoding thread keeps one `Scratch`
// and lends it to each stream it decodes, so the memory grows with threads, not sessions.

extension StreamingConv1d.State {
    /// Swaps the scratch buffers (not the history) with `other`'s.
    mutating func exchangeScratch(with other: inout Self) {
        swap(&input, &other.input)
        swap(&columns, &other.columns)
        swap(&packed, &other.packed)
    }

    /// Floats and words held as scratch.
    var scratchCount: Int { input.count + columns.count + packed.count }
}

extension StreamingConvTranspose1d.State {
    /// Swaps the scratch buffers (not the overlap tail) with `other`'s.
    mutating func exchangeScratch(with other: inout Self) {
        swap(&full, &other.full)
        swap(&columns, &other.columns)
        swap(&packed, &other.packed)
    }

    var scratchCount: Int { full.count + columns.count + packed.count }
}

extension SEANetResidualBlock.State {
    mutating func exchangeScratch(with other: inout Self) {
        conv1.exchangeScratch(with: &other.conv1)
        conv2.exchangeScratch(with: &other.conv2)
        swap(&hidden, &other.hidden)
        swap(&update, &other.update)
    }

    var scratchCount: Int { conv1.scratchCount + conv2.scratchCount + hidden.count + update.count }
}

extension SEANetDecoder.State {
    /// Swaps every scratch buffer with `other`'s, a state of the same decoder; the streaming
    /// histories stay where they are.
    mutating func exchangeScratch(with other: inout Self) {
        precondition(upsample.count == other.upsample.count && residuals.map(\.count) == other.residuals.map(\.count),
                     "SEANetDecoder: scratch of another decoder")
        inputConv.exchangeScratch(with: &other.inputConv)
        for s in upsample.indices {
            upsample[s].exchangeScratch(with: &other.upsample[s])
            for j in residuals[s].indices { residuals[s][j].exchangeScratch(with: &other.residuals[s][j]) }
        }
        outputConv.exchangeScratch(with: &other.outputConv)
        swap(&ping, &other.ping)
        swap(&pong, &other.pong)
    }

    /// Floats and words of scratch the state holds (0 for a stream only ever decoded with a
    /// lent `SEANetDecoder.Scratch`).
    public var scratchCount: Int {
        inputConv.scratchCount + outputConv.scratchCount + ping.count + pong.count
            + upsample.reduce(0) { $0 + $1.scratchCount }
            + residuals.reduce(0) { $0 + $1.reduce(0) { $0 + $1.scratchCount } }
    }
}

extension SEANetDecoder {
    /// Working buffers lent to the streams a thread decodes, one stream at a time.
    public struct Scratch: Sendable {
        /// A state of the decoder used only for its scratch buffers (nil until the first call).
        var buffers: State?
        public init() {}
    }

    /// `forward` with `scratch`'s buffers instead of the state's own: the same output, bit for
    /// bit; the stream's state keeps only its histories.
    public func forward(
        _ x: UnsafePointer<Float>, length T: Int, into out: UnsafeMutablePointer<Float>, state: inout State,
        scratch: inout Scratch
    ) {
        scratch.exchange(with: &state, of: self)
        forward(x, length: T, into: out, state: &state)
        scratch.exchange(with: &state, of: self)
    }
}

extension SEANetDecoder.Scratch {
    /// Swaps the held buffers with `state`'s: once to lend them, once more to take them back.
    mutating func exchange(with state: inout SEANetDecoder.State, of decoder: SEANetDecoder) {
        var held = buffers ?? decoder.makeState()
        buffers = nil  // uniquely owned during the swap
        state.exchangeScratch(with: &held)
        buffers = held
    }
}

extension MimiDecoder {
    /// One decoding thread's working buffers for `forward(…, scratch:)`.
    public struct Scratch: Sendable {
        var seanet = SEANetDecoder.Scratch()
        public init() {}
    }

    /// `forward(latents:frames:into:state:)` with SEANet's buffers lent from `scratch`: the
    /// same audio, bit for bit, and the stream's state stays small (its histories and the
    /// transformer's ring).
    public func forward(
        latents: UnsafePointer<Float>, frames T: Int, into audio: UnsafeMutablePointer<Float>, state: inout State,
        scratch: inout Scratch
    ) {
        scratch.seanet.exchange(with: &state.seanet, of: seanet)
        forward(latents: latents, frames: T, into: audio, state: &state)
        scratch.seanet.exchange(with: &state.seanet, of: seanet)
    }
}

extension MimiDecoder.State {
    /// Floats and words of SEANet scratch the state holds (see `MimiDecoder.Scratch`).
    public var seanetScratchCount: Int { seanet.scratchCount }
}
