// kernel-bench mimi: the Mimi decoder per frame on full-size random weights, and a per-layer
// profile (each module stepped on its own state, in the decoder's order).
import Foundation
import Kernels
import PocketTTS

/// The full-size Mimi (random bf16 weights, seed 0) in each precision and 40 de-normalised random latents.
func loadBenchMimi(_ precisions: [Precision]) throws -> ([Mimi], [[Float]]) {
    let config = try PocketTTSConfig.b6369a24()
    let url = FileManager.default.temporaryDirectory.appendingPathComponent("kernel-bench-mimi-\(getpid()).safetensors")
    defer { try? FileManager.default.removeItem(at: url) }
    try RandomWeights.write(config: config, seed: 0, dtype: .bfloat16, to: url)
    let file = try SafetensorsFile(contentsOf: url)
    let mimis = try precisions.map {
        try Mimi(config: config.mimi, weights: WeightReader(file: file).scoped("mimi."),
                 geluApproximation: config.geluApproximation, precision: $0)
    }
    var rng = SplitMix64(seed: 11)
    let latents = (0..<40).map { _ in (0..<mimis[0].decoder.latentDimension).map { _ in Float.random(in: -2...2, using: &rng) } }
    return (mimis, latents)
}

func benchmarkMimi(reps: Int) throws {
    // MIMI_PRECISIONS=bf16 (comma-separated) for one path alone (e.g. under perf); exact first for the SNR.
    let precisions = ProcessInfo.processInfo.environment["MIMI_PRECISIONS"].map {
        $0.split(separator: ",").compactMap { Precision(rawValue: String($0)) }
    } ?? [Precision.exact, .bf16]
    let (mimis, latents) = try loadBenchMimi(precisions)
    print("\nMimi decoder, full size (random bf16 weights), 40 random latents decoded twice, one frame per call "
          + "(16 transformer steps, 1920 samples); load average \(loadAverageText())")
    var audios: [[Float]] = []
    for (precision, mimi) in zip(precisions, mimis) {
        let decoder = mimi.decoder
        var state = decoder.makeState()
        var audio = [Float](repeating: 0, count: 2 * latents.count * decoder.frameLength)
        var samples: [Sample] = []
        for (i, latent) in (latents + latents).enumerated() {
            let s = measure {
                latent.withUnsafeBufferPointer { l in
                    audio.withUnsafeMutableBufferPointer { a in
                        decoder.forward(latents: l.baseAddress!, frames: 1, into: a.baseAddress! + i * decoder.frameLength,
                                        state: &state)
                    }
                }
            }
            if i >= 4 { samples.append(s) }
        }
        audios.append(audio)
        print("\(precision.rawValue.padding(toLength: 5, withPad: " ", startingAt: 0)) Mimi frame, ms: \(summary(samples))"
              + (precision == .exact || precisions[0] != .exact ? "" : String(format: "   audio SNR against exact %.1f dB", signalToNoise(audio, reference: audios[0]))))
    }
    if precisions.count > 1 && precisions[0] == .exact {
        let snrs = transformerUpdateSNRs(mimis, latents: latents)
        for (precision, snr) in zip(precisions, snrs).dropFirst() {
            print(String(format: "%@ transformer alone: SNR of its update y − x against exact %.1f dB", precision.rawValue, snr))
        }
    }
    for (precision, mimi) in zip(precisions, mimis) {
        let (ring, resident) = perStreamBytes(mimi.decoder, latent: latents[0])
        print(String(format: "%@ per-stream decoder state: transformer KV ring %.2f MB; resident memory per stream after "
                     + "one frame (16 fresh streams) %.2f MB", precision.rawValue, Double(ring) / 1e6, Double(resident) / 1e6))
    }
    for (precision, mimi) in zip(precisions, mimis) {
        print("\n\(precision.rawValue):")
        profileMimi(mimi.decoder, latents: latents)
    }
}

/// Per-module thread CPU time over the 40 frames (min per frame and total share).
func profileMimi(_ decoder: MimiDecoder, latents: [[Float]]) {
    let steps = decoder.stepsPerFrame
    let C = decoder.upsample.inChannels
    var upsampleState = decoder.upsample.makeState()
    var transformerState = decoder.transformer.makeState(capacity: decoder.transformer.context)
    let seanet = decoder.seanet
    var inputState = seanet.inputConv.makeState()
    var stageStates = seanet.stages.map { ($0.upsample.makeState(), $0.residuals.map { $0.makeState() }) }
    var outputState = seanet.outputConv.makeState()
    var times: [String: [Double]] = [:]
    var order: [String] = []
    func timed(_ name: String, _ body: () -> Void) {
        let s = measure(body)
        if times[name] == nil { order.append(name) }
        times[name, default: []].append(s.cpu)
    }
    var projected = [Float](repeating: 0, count: C)
    var upsampled = [Float](repeating: 0, count: C * steps)
    var timeMajor = upsampled, transformed = upsampled
    var ping = [Float](repeating: 0, count: 512 * 2000), pong = ping
    var audio = [Float](repeating: 0, count: decoder.frameLength)
    for latent in latents + latents {
        timed("quantizer projection + upsample (depthwise convtr)") {
            decoder.outputProjection.weight.withUnsafeBufferPointer { w in
                for c in 0..<C { projected[c] = (0..<latent.count).reduce(0) { $0 + w[c * latent.count + $1] * latent[$1] } }
            }
            decoder.upsample.forward(projected, length: 1, into: &upsampled, state: &upsampleState)
        }
        timed("transformer (2 layers, 16 rows) + transposes") {
            transposeForBench(upsampled, rows: C, columns: steps, into: &timeMajor)
            transformed.withUnsafeMutableBufferPointer { y in
                timeMajor.withUnsafeBufferPointer { x in
                    decoder.transformer.forward(x.baseAddress!, rows: steps, into: y.baseAddress!, state: &transformerState,
                                                chunkLength: steps)
                }
            }
            transposeForBench(transformed, rows: steps, columns: C, into: &upsampled)
        }
        ping.withUnsafeMutableBufferPointer { p in
            pong.withUnsafeMutableBufferPointer { q in
                var (current, next) = (p.baseAddress!, q.baseAddress!)
                timed("seanet input conv 512→512 k7 (T 16)") {
                    upsampled.withUnsafeBufferPointer { x in
                        seanet.inputConv.forward(x.baseAddress!, length: steps, into: current, state: &inputState)
                    }
                }
                var length = steps
                for (s, stage) in seanet.stages.enumerated() {
                    let u = stage.upsample
                    timed("stage \(s) ELU + convtr \(u.inChannels)→\(u.outChannels) k\(u.stride * 2) s\(u.stride) (T \(length))") {
                        VectorELU.apply(current, count: u.inChannels * length)
                        u.forward(current, length: length, into: next, state: &stageStates[s].0)
                    }
                    length *= u.stride
                    for (j, block) in stage.residuals.enumerated() {
                        timed("stage \(s) residual \(block.conv1.inChannels)→\(block.conv1.outChannels) k3, →\(block.conv2.outChannels) k1 (T \(length))") {
                            block.forward(next, length: length, state: &stageStates[s].1[j])
                        }
                    }
                    swap(&current, &next)
                }
                timed("seanet output conv \(seanet.outputConv.inChannels)→1 k3 (T \(length))") {
                    audio.withUnsafeMutableBufferPointer { a in
                        seanet.outputConv.forward(current, length: length, into: a.baseAddress!, state: &outputState, applyingELU: true)
                    }
                }
            }
        }
    }
    let medians = order.map { name -> Double in let v = times[name]!.dropFirst(4).sorted(); return v[v.count / 2] }
    let total = medians.reduce(0, +)
    print("Mimi profile (thread CPU ms per frame, median of 76 frames):")
    for (name, m) in zip(order, medians) {
        print(String(format: "  %-72@ %6.2f  %4.1f%%", name as NSString, m, 100 * m / total))
    }
    print(String(format: "  %-72@ %6.2f", "sum" as NSString, total))
}

private func transposeForBench(_ src: [Float], rows: Int, columns: Int, into dst: inout [Float]) {
    for r in 0..<rows { for c in 0..<columns { dst[c * rows + r] = src[r * columns + c] } }
}

/// The bytes of one stream's transformer ring, and the growth of this process's resident memory
/// per stream when 16 fresh streams decode one frame each (the whole `MimiDecoder.State` with
/// its scratch, as the pages are touched).
func perStreamBytes(_ decoder: MimiDecoder, latent: [Float]) -> (ring: Int, resident: Int) {
    let streams = 16
    let before = residentBytes()
    var states = (0..<streams).map { _ in decoder.makeState() }
    var audio = [Float](repeating: 0, count: decoder.frameLength)
    for s in 0..<streams {
        latent.withUnsafeBufferPointer { l in
            audio.withUnsafeMutableBufferPointer { a in
                decoder.forward(latents: l.baseAddress!, frames: 1, into: a.baseAddress!, state: &states[s])
            }
        }
    }
    let grown = residentBytes() - before
    withExtendedLifetime(states) {}
    return (decoder.transformer.ringBytes(capacity: decoder.transformer.context), grown / streams)
}

/// Resident set size from /proc/self/statm (0 where there is none).
func residentBytes() -> Int {
    guard let text = try? String(contentsOfFile: "/proc/self/statm", encoding: .utf8) else { return 0 }
    let fields = text.split(separator: " ")
    return fields.count > 1 ? (Int(fields[1]) ?? 0) * Int(sysconf(Int32(_SC_PAGESIZE))) : 0
}
