import Kernels

/// A module with immutable weights that processes a stream step by step.
///
/// The module value holds only weights (`let`s, shared by every stream); everything that
/// changes while streaming lives in a `State` value, one per stream. Resetting a stream is
/// `state = module.makeState(...)`; copying a prefilled state (a voice prompt) is plain value
/// semantics.
public protocol StreamingModule: Sendable {
    associatedtype State: Sendable
    /// A fresh state able to hold `capacity` steps of history where the module keeps any
    /// (a KV cache); modules with a fixed-size state ignore it.
    func makeState(capacity: Int) -> State
    /// Consumes the next piece of the stream and returns the matching output.
    func step(_ x: Tensor, state: inout State) -> Tensor
}
