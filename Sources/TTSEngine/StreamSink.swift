import PocketTTS

/// One stream of an `Engine`: a voice, generation options and a queue of text. Ids are never reused.
public struct StreamID: Hashable, Sendable, CustomStringConvertible {
    public let rawValue: UInt64

    public init(rawValue: UInt64) { self.rawValue = rawValue }

    public var description: String { "stream \(rawValue)" }
}

/// Where a stream's output goes. Every method is called on one of the engine's consumer
/// threads, always the same one for a stream, one call at a time, in stream order: frames, then
/// `streamDidFinishChunk` after a chunk's last frame, and at most one of `streamDidFinish` /
/// `didFail`, the last call for the stream. Calls for different streams may run at the same
/// time (on different consumer threads), so a sink shared by streams must guard its state.
/// A sink must return quickly (hand the frame on and return): while it runs, no other stream
/// pinned to the same consumer thread is decoded, and an `Engine.cancel` of the stream from
/// another thread waits for it. It may call the engine (e.g. `cancel`, `openStream`) but never
/// `Engine.stop()`.
public protocol StreamSink: AnyObject, Sendable {
    /// One decoded 80 ms frame (`frame.audio` filled in; chunk numbers count over every `enqueue`).
    func stream(_ id: StreamID, didProduce frame: GeneratedFrame)
    /// The chunk's last frame was delivered.
    func streamDidFinishChunk(_ id: StreamID, chunk: Int)
    /// After `finish(id)` and the last frame of the last chunk.
    func streamDidFinish(_ id: StreamID)
    /// Generation failed for this stream (e.g. a token out of the model's range); the stream
    /// is closed, the others go on.
    func stream(_ id: StreamID, didFail error: Error)
}

extension StreamSink {
    public func streamDidFinishChunk(_ id: StreamID, chunk: Int) {}
}
