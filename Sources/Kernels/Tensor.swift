/// A dense row-major float32 tensor: the value type the model code passes around.
///
/// Minimal on this branch (shape + data); the kernels branch defines the same stored
/// properties and the operations on them.
public struct Tensor: Sendable, Equatable {
    /// Extent of each axis, outermost first, e.g. `[T, C]`.
    public var shape: [Int]
    /// `shape.reduce(1, *)` values, row-major.
    public var data: [Float]

    public init(shape: [Int], data: [Float]) {
        precondition(shape.allSatisfy { $0 >= 0 }, "negative extent in shape \(shape)")
        precondition(shape.reduce(1, *) == data.count, "shape \(shape) does not hold \(data.count) values")
        self.shape = shape
        self.data = data
    }
}
