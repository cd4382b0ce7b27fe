// Opus.swift: the only file importing COpus (libopus 1.3.1).
//
// `OpusEncoder` turns one frame of Float32 PCM into one Opus packet; `OpusDecoder` turns a
// packet back into PCM. Each class owns its C state (`deinit` destroys it) and is not Sendable:
// an encoder or decoder belongs to one thread at a time. libopus return codes become
// `OpusError`, which keeps the libopus code and its `opus_strerror` message.
import COpus

/// A libopus failure: what was being done, the libopus code and `opus_strerror(code)`.
public enum OpusError: Error, Equatable, CustomStringConvertible {
    case createEncoder(code: Code, message: String)
    case createDecoder(code: Code, message: String)
    /// `samplesPerChannel` is the frame size the caller passed.
    case encode(samplesPerChannel: Int, code: Code, message: String)
    case decode(packetBytes: Int, code: Code, message: String)
    /// A control request (`OPUS_SET_BITRATE`, ...) was refused.
    case control(request: String, code: Code, message: String)

    /// A libopus error code (`OPUS_BAD_ARG`, ...); unknown codes keep their raw value.
    public struct Code: RawRepresentable, Equatable, Hashable, Sendable, CustomStringConvertible {
        public let rawValue: Int32
        public init(rawValue: Int32) { self.rawValue = rawValue }

        public static let badArgument = Code(rawValue: OPUS_BAD_ARG)
        public static let bufferTooSmall = Code(rawValue: OPUS_BUFFER_TOO_SMALL)
        public static let internalError = Code(rawValue: OPUS_INTERNAL_ERROR)
        public static let invalidPacket = Code(rawValue: OPUS_INVALID_PACKET)
        public static let unimplemented = Code(rawValue: OPUS_UNIMPLEMENTED)
        public static let invalidState = Code(rawValue: OPUS_INVALID_STATE)
        public static let allocationFailed = Code(rawValue: OPUS_ALLOC_FAIL)

        public var description: String { "\(rawValue)" }
    }

    public var code: Code {
        switch self {
        case .createEncoder(let code, _), .createDecoder(let code, _), .encode(_, let code, _),
             .decode(_, let code, _), .control(_, let code, _):
            return code
        }
    }

    public var message: String {
        switch self {
        case .createEncoder(_, let message), .createDecoder(_, let message), .encode(_, _, let message),
             .decode(_, _, let message), .control(_, _, let message):
            return message
        }
    }

    public var description: String {
        switch self {
        case .createEncoder: return "opus_encoder_create failed: \(message) (\(code))"
        case .createDecoder: return "opus_decoder_create failed: \(message) (\(code))"
        case .encode(let samples, _, _): return "opus_encode_float(\(samples) samples) failed: \(message) (\(code))"
        case .decode(let bytes, _, _): return "opus_decode_float(\(bytes) bytes) failed: \(message) (\(code))"
        case .control(let request, _, _): return "\(request) failed: \(message) (\(code))"
        }
    }
}

/// libopus's text for a return code.
private func opusMessage(_ code: Int32) -> String {
    String(cString: opus_strerror(code))
}

/// Throws `makeError(code, message)` when `status` is negative; returns it otherwise.
@discardableResult
private func check(_ status: Int32, _ makeError: (OpusError.Code, String) -> OpusError) throws(OpusError) -> Int32 {
    if status < 0 { throw makeError(OpusError.Code(rawValue: status), opusMessage(status)) }
    return status
}

/// An Opus encoder for one stream: interleaved Float32 PCM in, one packet per frame out.
///
/// Valid frame sizes are 2.5, 5, 10, 20, 40, 60, 80, 100 and 120 ms of samples; at 24 kHz an
/// 80 ms frame is 1920 samples per channel.
public final class OpusEncoder {
    public enum Application: Sendable {
        case voip, audio, restrictedLowDelay

        var rawValue: Int32 {
            switch self {
            case .voip: return OPUS_APPLICATION_VOIP
            case .audio: return OPUS_APPLICATION_AUDIO
            case .restrictedLowDelay: return OPUS_APPLICATION_RESTRICTED_LOWDELAY
            }
        }
    }

    public enum Bitrate: Equatable, Sendable {
        /// libopus picks a rate from the sample rate and channel count.
        case auto
        /// As many bits as the packet can hold.
        case maximum
        /// libopus clamps positive values to 500...300_000 per channel; zero or negative is an error.
        case bitsPerSecond(Int)

        var rawValue: Int32 {
            switch self {
            case .auto: return OPUS_AUTO
            case .maximum: return OPUS_BITRATE_MAX
            case .bitsPerSecond(let bps): return Int32(clamping: bps)
            }
        }
    }

    /// Sample rates libopus accepts.
    public static let validSampleRates = [8000, 12000, 16000, 24000, 48000]
    /// Upper bound on one packet's size, as the libopus documentation recommends.
    public static let maxPacketBytes = 4000

    public let sampleRate: Int
    public let channels: Int
    public let application: Application
    /// Samples per channel by which decoded audio lags the input (`OPUS_GET_LOOKAHEAD`):
    /// the Ogg pre-skip.
    public let lookahead: Int
    private let state: OpaquePointer  // OpusEncoder *

    public init(
        sampleRate: Int = 24000, channels: Int = 1, application: Application = .audio,
        bitrate: Bitrate = .auto
    ) throws(OpusError) {
        var status: Int32 = OPUS_OK
        let created = opus_encoder_create(
            Int32(clamping: sampleRate), Int32(clamping: channels), application.rawValue, &status)
        guard status == OPUS_OK, let created else {
            let code = status == OPUS_OK ? OPUS_ALLOC_FAIL : status
            throw .createEncoder(code: OpusError.Code(rawValue: code), message: opusMessage(code))
        }
        state = created
        self.sampleRate = sampleRate
        self.channels = channels
        self.application = application

        var samples: Int32 = 0
        let lookaheadStatus = copus_encoder_get_lookahead(created, &samples)
        if lookaheadStatus < 0 {
            opus_encoder_destroy(created)
            throw .control(request: "OPUS_GET_LOOKAHEAD", code: OpusError.Code(rawValue: lookaheadStatus),
                           message: opusMessage(lookaheadStatus))
        }
        lookahead = Int(samples)
        if bitrate != .auto { try setBitrate(bitrate) }  // deinit frees `state` if this throws
    }

    deinit {
        opus_encoder_destroy(state)
    }

    public func setBitrate(_ bitrate: Bitrate) throws(OpusError) {
        try check(copus_encoder_set_bitrate(state, bitrate.rawValue)) {
            .control(request: "OPUS_SET_BITRATE(\(bitrate.rawValue))", code: $0, message: $1)
        }
    }

    /// The bitrate in bits per second libopus is using (resolved if `.auto` or `.maximum`).
    public func bitrate() throws(OpusError) -> Int {
        var bps: Int32 = 0
        try check(copus_encoder_get_bitrate(state, &bps)) {
            .control(request: "OPUS_GET_BITRATE", code: $0, message: $1)
        }
        return Int(bps)
    }

    /// 0 (fastest) ... 10 (best, the default).
    public func setComplexity(_ complexity: Int) throws(OpusError) {
        try check(copus_encoder_set_complexity(state, Int32(clamping: complexity))) {
            .control(request: "OPUS_SET_COMPLEXITY(\(complexity))", code: $0, message: $1)
        }
    }

    /// Forgets all history, as if newly created (settings are kept).
    public func reset() throws(OpusError) {
        try check(copus_encoder_reset(state)) { .control(request: "OPUS_RESET_STATE", code: $0, message: $1) }
    }

    /// Encodes one frame. `pcm`: [samplesPerChannel * channels] interleaved, nominally in -1...1.
    public func encode(_ pcm: UnsafeBufferPointer<Float>) throws(OpusError) -> [UInt8] {
        let samplesPerChannel = pcm.count / channels
        guard pcm.count % channels == 0, let base = pcm.baseAddress else {
            throw .encode(samplesPerChannel: samplesPerChannel, code: .badArgument, message: opusMessage(OPUS_BAD_ARG))
        }
        var status: Int32 = 0
        let packet = [UInt8](unsafeUninitializedCapacity: Self.maxPacketBytes) { bytes, count in
            status = opus_encode_float(state, base, Int32(clamping: samplesPerChannel),
                                       bytes.baseAddress!, Int32(bytes.count))
            count = max(Int(status), 0)
        }
        try check(status) { .encode(samplesPerChannel: samplesPerChannel, code: $0, message: $1) }
        return packet
    }

    /// Encodes one frame. `pcm`: [samplesPerChannel * channels] interleaved.
    public func encode(_ pcm: [Float]) throws(OpusError) -> [UInt8] {
        try pcm.withUnsafeBufferPointer { (buffer) throws(OpusError) in try encode(buffer) }
    }

    /// Encodes one frame. `pcm`: [samplesPerChannel * channels] interleaved.
    public func encode(_ pcm: ArraySlice<Float>) throws(OpusError) -> [UInt8] {
        try pcm.withUnsafeBufferPointer { (buffer) throws(OpusError) in try encode(buffer) }
    }
}

/// An Opus decoder for one stream: one packet in, interleaved Float32 PCM out.
public final class OpusDecoder {
    public let sampleRate: Int
    public let channels: Int
    private let state: OpaquePointer  // OpusDecoder *

    public init(sampleRate: Int = 24000, channels: Int = 1) throws(OpusError) {
        var status: Int32 = OPUS_OK
        let created = opus_decoder_create(Int32(clamping: sampleRate), Int32(clamping: channels), &status)
        guard status == OPUS_OK, let created else {
            let code = status == OPUS_OK ? OPUS_ALLOC_FAIL : status
            throw .createDecoder(code: OpusError.Code(rawValue: code), message: opusMessage(code))
        }
        state = created
        self.sampleRate = sampleRate
        self.channels = channels
    }

    deinit {
        opus_decoder_destroy(state)
    }

    /// Decodes one packet into [samplesPerChannel * channels] interleaved samples.
    /// An empty packet is refused (`.invalidPacket`) rather than concealed.
    public func decode(_ packet: [UInt8]) throws(OpusError) -> [Float] {
        guard !packet.isEmpty else {
            throw .decode(packetBytes: 0, code: .invalidPacket, message: opusMessage(OPUS_INVALID_PACKET))
        }
        let maxSamplesPerChannel = sampleRate * 120 / 1000  // the longest Opus packet is 120 ms
        var status: Int32 = 0
        let pcm = [Float](unsafeUninitializedCapacity: maxSamplesPerChannel * channels) { samples, count in
            status = packet.withUnsafeBufferPointer { bytes in
                opus_decode_float(state, bytes.baseAddress, Int32(bytes.count), samples.baseAddress!,
                                  Int32(maxSamplesPerChannel), 0)
            }
            count = max(Int(status), 0) * channels
        }
        try check(status) { .decode(packetBytes: packet.count, code: $0, message: $1) }
        return pcm
    }

    /// Forgets all history, as if newly created.
    public func reset() throws(OpusError) {
        try check(copus_decoder_reset(state)) { .control(request: "OPUS_RESET_STATE", code: $0, message: $1) }
    }
}
