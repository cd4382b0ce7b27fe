// OggOpus.swift: the only file importing COpusEnc (libopusenc 0.2). `OggOpusWriter` turns mono
// Float32 PCM into an Ogg Opus stream whose bytes come out as they are made: libopusenc hands
// finished pages to a write callback, which appends them to a buffer that `write` and `finish`
// return. Muxing delay is kept to one 80 ms frame, so every 80 ms of input yields a page.
import COpusEnc

/// A libopusenc failure: what was being done, its code and `ope_strerror(code)`.
public struct OggOpusError: Error, Equatable, CustomStringConvertible {
    public var operation: String
    public var code: Int32
    public var message: String

    init(_ operation: String, code: Int32) {
        self.operation = operation
        self.code = code
        self.message = String(cString: ope_strerror(code))
    }

    public var description: String { "\(operation) failed: \(message) (\(code))" }
}

/// Collects the pages libopusenc writes; reached from C through an unretained pointer.
private final class PageBuffer {
    var bytes: [UInt8] = []
}

/// The write callback: appends one page (or part of one) to the `PageBuffer`.
private func writePages(_ userData: UnsafeMutableRawPointer?, _ data: UnsafePointer<UInt8>?, _ length: opus_int32) -> Int32 {
    guard let userData, let data, length >= 0 else { return 1 }
    let buffer = Unmanaged<PageBuffer>.fromOpaque(userData).takeUnretainedValue()
    buffer.bytes.append(contentsOf: UnsafeBufferPointer(start: data, count: Int(length)))
    return 0
}

private func closeStream(_ userData: UnsafeMutableRawPointer?) -> Int32 { 0 }

/// An Ogg Opus stream encoder (mono). Not Sendable: one thread at a time.
public final class OggOpusWriter {
    public let sampleRate: Int
    private let encoder: OpaquePointer  // OggOpusEnc *
    private let pages = PageBuffer()
    private var finished = false
    private var samplesWritten = 0

    /// `sampleRate`: the input rate, 8000...48000 Hz (libopusenc resamples to 48 kHz as needed).
    /// `bitsPerSecond`: nil lets libopusenc choose. `serialNumber`: the Ogg stream serial.
    public init(sampleRate: Int, bitsPerSecond: Int? = nil, serialNumber: Int32 = 1) throws(OggOpusError) {
        guard let comments = ope_comments_create() else { throw OggOpusError("ope_comments_create", code: OPE_ALLOC_FAIL) }
        defer { ope_comments_destroy(comments) }
        _ = ope_comments_add(comments, "ENCODER", "PocketTTS-Swift")
        var callbacks = OpusEncCallbacks(write: writePages, close: closeStream)
        var status: Int32 = OPE_OK
        let user = Unmanaged.passUnretained(pages).toOpaque()
        guard let created = ope_encoder_create_callbacks(&callbacks, user, comments, Int32(sampleRate), 1, 0, &status),
              status == OPE_OK
        else { throw OggOpusError("ope_encoder_create_callbacks(rate \(sampleRate))", code: status == OPE_OK ? OPE_INTERNAL_ERROR : status) }
        encoder = created
        self.sampleRate = sampleRate
        // From here `deinit` destroys the encoder if a setting fails.
        try check(copusenc_set_serialno(encoder, serialNumber), "OPE_SET_SERIALNO")
        try check(copusenc_set_decision_delay(encoder, 0), "OPE_SET_DECISION_DELAY")
        try check(copusenc_set_muxing_delay(encoder, 3840), "OPE_SET_MUXING_DELAY")
        if let bitsPerSecond { try check(copusenc_set_bitrate(encoder, Int32(clamping: bitsPerSecond)), "OPUS_SET_BITRATE") }
        try check(ope_encoder_flush_header(encoder), "ope_encoder_flush_header")
    }

    deinit {
        ope_encoder_destroy(encoder)
    }

    /// Encodes mono samples at `sampleRate`; returns the stream bytes completed so far (the
    /// header pages come with the first call).
    public func write(_ samples: [Float]) throws(OggOpusError) -> [UInt8] {
        precondition(!finished, "OggOpusWriter.write after finish")
        if !samples.isEmpty {
            let status = samples.withUnsafeBufferPointer { ope_encoder_write_float(encoder, $0.baseAddress, Int32($0.count)) }
            try check(status, "ope_encoder_write_float(\(samples.count) samples)")
            samplesWritten += samples.count
        }
        return takePages()
    }

    /// Ends the stream (pads the last packet, writes the end-of-stream page); returns the rest.
    /// A stream that got no samples ends with one sample of silence.
    public func finish() throws(OggOpusError) -> [UInt8] {
        guard !finished else { return [] }
        finished = true
        if samplesWritten == 0 {
            // libopusenc 0.2.1 reads uninitialized memory when draining a stream that got no
            // samples and may fail `assert(enc->streams == NULL)`, aborting the process: one
            // sample of silence avoids it.
            var silence: Float = 0
            try check(ope_encoder_write_float(encoder, &silence, 1), "ope_encoder_write_float(1 sample)")
        }
        try check(ope_encoder_drain(encoder), "ope_encoder_drain")
        return takePages()
    }

    private func takePages() -> [UInt8] {
        defer { pages.bytes.removeAll(keepingCapacity: true) }
        return pages.bytes
    }

    private func check(_ status: Int32, _ operation: String) throws(OggOpusError) {
        if status != OPE_OK { throw OggOpusError(operation, code: status) }
    }
}
