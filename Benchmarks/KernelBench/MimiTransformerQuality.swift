// kernel-bench mimi: the decoder transformer's own accuracy in each precision against exact.
// With LayerScale 0.01 (the shipped config, and the random weights) the layers add about a
// hundredth to the residual stream, so the audio SNR hardly sees their errors: this compares
// what the layers add, y − x.
import Foundation
import Kernels
import PocketTTS

/// SNR (dB) of each decoder's transformer update y − x against `mimis[0]`'s (exact), streaming
/// the 40 latents frame by frame: the input of every transformer is the exact decoder's
/// quantizer projection and upsampling of the latent (time-major [16, C]).
func transformerUpdateSNRs(_ mimis: [Mimi], latents: [[Float]]) -> [Double] {
    let reference = mimis[0].decoder
    let (steps, C) = (reference.stepsPerFrame, reference.upsample.inChannels)
    var upsampleState = reference.upsample.makeState()
    var states = mimis.map { $0.decoder.transformer.makeState(capacity: $0.decoder.transformer.context) }
    var updates = [[Float]](repeating: [], count: mimis.count)
    var projected = [Float](repeating: 0, count: C)
    var upsampled = [Float](repeating: 0, count: C * steps)
    var timeMajor = upsampled, transformed = upsampled
    for latent in latents {
        reference.outputProjection.weight.withUnsafeBufferPointer { w in
            for c in 0..<C { projected[c] = (0..<latent.count).reduce(0) { $0 + w[c * latent.count + $1] * latent[$1] } }
        }
        reference.upsample.forward(projected, length: 1, into: &upsampled, state: &upsampleState)
        for r in 0..<C { for t in 0..<steps { timeMajor[t * C + r] = upsampled[r * steps + t] } }
        for (i, mimi) in mimis.enumerated() {
            transformed.withUnsafeMutableBufferPointer { y in
                timeMajor.withUnsafeBufferPointer { x in
                    mimi.decoder.transformer.forward(x.baseAddress!, rows: steps, into: y.baseAddress!, state: &states[i],
                                                     chunkLength: steps)
                }
            }
            updates[i] += zip(transformed, timeMajor).map { $0 - $1 }
        }
    }
    return updates.map { signalToNoise($0, reference: updates[0]) }
}
