// ConvTranspose1d+Col2Im: the col2im of a transposed conv whose kernel is twice its stride
// (SEANet's upsampling convs), in CKernels (elu.c).
import CKernels

extension ConvTranspose1d {
    /// full[c, t·S + s] = (bias[c] + columns[c·2S + s, t]) + columns[c·2S + S + s, t − 1] (terms
    /// past either end left out), from columns[channels · 2S, T] into full[channels, (T + 1)·S]:
    /// the kernel rows added in k order to the bias, as a plain col2im adds them (the same bits).
    public static func col2imDoubleStride(
        _ columns: UnsafePointer<Float>, channels: Int, stride: Int, length T: Int, bias: UnsafePointer<Float>?,
        into full: UnsafeMutablePointer<Float>
    ) {
        precondition(channels >= 0 && stride > 0 && T > 0, "ConvTranspose1d.col2imDoubleStride: shape")
        ck_col2im_double_stride(columns, channels, stride, T, bias, full)
    }
}
