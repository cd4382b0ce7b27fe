// ScratchBuffers: growable float buffers kept in streaming states, and pointer helpers.

extension Array where Element == Float {
    /// Makes sure the buffer holds at least `count` floats; reallocates (zeroed) only when it
    /// must grow, so a state reaches a steady size after its first calls and then stops allocating.
    @inline(__always)
    mutating func reserveScratch(_ count: Int) {
        if self.count < count { self = [Float](repeating: 0, count: count) }
    }
}

extension Array where Element == UInt32 {
    /// As for Float buffers: grows (zeroed) only when it must.
    @inline(__always)
    mutating func reserveScratch(_ count: Int) {
        if self.count < count { self = [UInt32](repeating: 0, count: count) }
    }
}

/// Calls `body` with the base pointer of `array`, or nil when there is none.
@inline(__always)
func withOptionalPointer<R>(_ array: [Float]?, _ body: (UnsafePointer<Float>?) -> R) -> R {
    guard let array else { return body(nil) }
    return array.withUnsafeBufferPointer { body($0.baseAddress!) }
}

/// Calls `body` with mutable base pointers of two distinct buffers.
@inline(__always)
func withPointers<R>(
    _ a: inout [Float], _ b: inout [Float],
    _ body: (UnsafeMutablePointer<Float>, UnsafeMutablePointer<Float>) -> R
) -> R {
    a.withUnsafeMutableBufferPointer { pa in
        b.withUnsafeMutableBufferPointer { pb in body(pa.baseAddress!, pb.baseAddress!) }
    }
}

/// Calls `body` with mutable base pointers of three distinct buffers.
@inline(__always)
func withPointers<R>(
    _ a: inout [Float], _ b: inout [Float], _ c: inout [Float],
    _ body: (UnsafeMutablePointer<Float>, UnsafeMutablePointer<Float>, UnsafeMutablePointer<Float>) -> R
) -> R {
    a.withUnsafeMutableBufferPointer { pa in
        b.withUnsafeMutableBufferPointer { pb in
            c.withUnsafeMutableBufferPointer { pc in body(pa.baseAddress!, pb.baseAddress!, pc.baseAddress!) }
        }
    }
}

/// dst[C, T] = src[T, C]ᵀ (both contiguous).
func transpose(_ src: UnsafePointer<Float>, rows: Int, columns: Int, into dst: UnsafeMutablePointer<Float>) {
    // Blocked so both sides stay in cache for wide matrices.
    let block = 32
    var r0 = 0
    while r0 < rows {
        let r1 = min(r0 + block, rows)
        var c0 = 0
        while c0 < columns {
            let c1 = min(c0 + block, columns)
            for r in r0..<r1 {
                for c in c0..<c1 { dst[c * rows + r] = src[r * columns + c] }
            }
            c0 = c1
        }
        r0 = r1
    }
}
