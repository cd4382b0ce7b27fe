// ConvTranspose1d+Col2Im: the col2im and overlap-add of a streaming transposed conv whose
// kernel is twice its stride (SEANet's upsampling convs), in CKernels (elu.c).
import CKernels

extension ConvTranspose1d {
    /// y[c, t·S + s] = (bias[c] + columns[c·2S + s, t]) + columns[c·2S + S + s, t − 1] for t ≥ 1 and
    /// (bias[c] + columns[c·2S + s, 0]) + partial[c, s] for t = 0, from columns[channels · 2S, T]
    /// into y[channels, T·S]; then partial[c, s] = (bias[c] + columns[c·2S + S + s, T − 1]) −
    /// bias[c], the overlap kept for the next call. The kernel rows added in k order to the bias,
    /// then the overlap, as a plain col2im and overlap-add do it (the same bits).
    public static func col2imOverlapDoubleStride(
        _ columns: UnsafePointer<Float>, channels: Int, stride: Int, length T: Int, bias: UnsafePointer<Float>?,
        partial: UnsafeMutablePointer<Float>, into y: UnsafeMutablePointer<Float>
    ) {
        precondition(channels >= 0 && stride > 0 && T > 0, "ConvTranspose1d.col2imOverlapDoubleStride: shape")
        ck_col2im_overlap_double_stride(columns, channels, stride, T, bias, partial, y)
    }
}
