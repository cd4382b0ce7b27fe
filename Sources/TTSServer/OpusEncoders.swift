// OpusEncoders.swift: raw Opus packets (one 80 ms packet per message) and Ogg Opus pages.

/// One raw Opus packet of 80 ms per message, at an Opus rate (8, 12, 16, 24 or 48 kHz). The
/// last packet is padded with silence, and followed by enough silence to cover the encoder's
/// lookahead, so a decoder that drops `lookahead` samples at the start gets all the audio.
public final class OpusPacketEncoder: AudioEncoder {
    public var format: AudioFormat { .opus }
    public let sampleRate: Int
    /// Samples per channel in one 80 ms packet.
    public let frameSize: Int
    /// Samples by which decoded audio lags the input (the Ogg pre-skip equivalent).
    public var lookahead: Int { encoder.lookahead }
    private let rate: RateConverter
    private let encoder: OpusEncoder
    private var pending: [Float] = []

    public init(sampleRate: Int = engineSampleRate, bitsPerSecond: Int? = defaultOpusBitrate) throws(AudioEncoderError) {
        guard OpusEncoder.validSampleRates.contains(sampleRate) else {
            throw .unsupportedSampleRate(format: .opus, sampleRate: sampleRate)
        }
        self.sampleRate = sampleRate
        frameSize = sampleRate * 80 / 1000
        rate = try RateConverter(outputRate: sampleRate)
        do {
            encoder = try OpusEncoder(sampleRate: sampleRate, channels: 1, application: .audio,
                                      bitrate: bitsPerSecond.map { .bitsPerSecond($0) } ?? .auto)
        } catch {
            throw .opus(error)
        }
    }

    public func encode(_ frame: [Float]) throws(AudioEncoderError) -> [[UInt8]] {
        pending += try rate.process(frame)
        return try packets()
    }

    public func finish() throws(AudioEncoderError) -> [[UInt8]] {
        pending += try rate.flush()
        pending += [Float](repeating: 0, count: lookahead)
        let padding = (frameSize - pending.count % frameSize) % frameSize
        pending += [Float](repeating: 0, count: padding)
        return try packets()
    }

    private func packets() throws(AudioEncoderError) -> [[UInt8]] {
        var out: [[UInt8]] = []
        var start = 0
        while pending.count - start >= frameSize {
            do { out.append(try encoder.encode(pending[start..<start + frameSize])) } catch { throw .opus(error) }
            start += frameSize
        }
        pending.removeFirst(start)
        return out
    }
}

/// An Ogg Opus stream: each message holds the pages completed by that frame (the first also the
/// header pages). Opus in Ogg always decodes at 48 kHz; `sampleRate` is the input rate recorded
/// in the header, any rate in 8000...48000.
public final class OggOpusEncoder: AudioEncoder {
    public var format: AudioFormat { .ogg }
    public let sampleRate: Int
    private let rate: RateConverter
    private let writer: OggOpusWriter

    public init(sampleRate: Int = engineSampleRate, bitsPerSecond: Int? = defaultOpusBitrate, serialNumber: Int32 = 1) throws(AudioEncoderError) {
        self.sampleRate = sampleRate
        rate = try RateConverter(outputRate: sampleRate)
        do { writer = try OggOpusWriter(sampleRate: sampleRate, bitsPerSecond: bitsPerSecond, serialNumber: serialNumber) }
        catch { throw .oggOpus(error) }
    }

    public func encode(_ frame: [Float]) throws(AudioEncoderError) -> [[UInt8]] {
        let samples = try rate.process(frame)
        do { return message(try writer.write(samples)) } catch { throw .oggOpus(error) }
    }

    public func finish() throws(AudioEncoderError) -> [[UInt8]] {
        let samples = try rate.flush()
        do { return message(try writer.write(samples) + writer.finish()) } catch { throw .oggOpus(error) }
    }
}
