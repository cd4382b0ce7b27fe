import CSndFile
import Foundation

/// Errors from reading or writing audio files; each names the file.
public enum AudioFileError: Error, Equatable, CustomStringConvertible {
    case notFound(path: String)
    case unreadable(path: String, message: String)
    case empty(path: String)
    case writeFailed(path: String, message: String)

    public var description: String {
        switch self {
        case .notFound(let path): "audio: no such file '\(path)'"
        case .unreadable(let path, let message): "audio: cannot read '\(path)': \(message)"
        case .empty(let path): "audio: '\(path)' holds no samples"
        case .writeFailed(let path, let message): "audio: cannot write '\(path)': \(message)"
        }
    }
}

/// What `AudioFile.info` reads from a file's header.
public struct AudioFileInfo: Sendable, Equatable {
    public var frames: Int  // samples per channel
    public var sampleRate: Int
    public var channels: Int

    public var duration: Double { Double(frames) / Double(sampleRate) }
}

/// Audio file I/O over libsndfile: the only file that imports it (the streamed FLAC writer is
/// below). Reads any format libsndfile knows (WAV, FLAC, Ogg/Vorbis, Opus, MP3, AIFF, ...), any
/// rate, any channel count.
public enum AudioFile {
    /// The header of an audio file: frames per channel, rate and channels, without decoding
    /// the samples (to reject overlong files before reading them).
    public static func info(_ path: String) throws(AudioFileError) -> AudioFileInfo {
        guard FileManager.default.fileExists(atPath: path) else { throw .notFound(path: path) }
        var info = SF_INFO()
        guard let file = sf_open(path, Int32(SFM_READ), &info) else {
            throw .unreadable(path: path, message: String(cString: sf_strerror(nil)))
        }
        sf_close(file)
        guard info.channels > 0, info.samplerate > 0 else {
            throw .unreadable(path: path, message: "invalid channel count or sample rate")
        }
        return AudioFileInfo(frames: Int(info.frames), sampleRate: Int(info.samplerate), channels: Int(info.channels))
    }

    /// Reads a file and mixes it down to mono by averaging channels (as the reference does).
    /// Integer formats are scaled to floats by 1/32768 for 16-bit, the reference's convention.
    public static func read(_ path: String) throws(AudioFileError) -> Audio {
        guard FileManager.default.fileExists(atPath: path) else { throw .notFound(path: path) }
        var info = SF_INFO()
        guard let file = sf_open(path, Int32(SFM_READ), &info) else {
            throw .unreadable(path: path, message: String(cString: sf_strerror(nil)))
        }
        defer { sf_close(file) }
        let channels = Int(info.channels)
        let frames = Int(info.frames)
        guard channels > 0, info.samplerate > 0 else {
            throw .unreadable(path: path, message: "invalid channel count or sample rate")
        }
        guard frames > 0 else { throw .empty(path: path) }
        // In blocks until the end: a streamed file (FLAC, WAV) may declare an unknown length,
        // which libsndfile reports as SF_COUNT_MAX frames.
        let blockFrames = max(1, (1 << 20) / channels)
        var interleaved: [Float] = []
        interleaved.reserveCapacity(min(frames, 1 << 24) * channels)
        var block = [Float](repeating: 0, count: blockFrames * channels)
        while true {
            let count = block.withUnsafeMutableBufferPointer { Int(sf_readf_float(file, $0.baseAddress, sf_count_t(blockFrames))) }
            guard count > 0 else { break }
            interleaved += block[0..<count * channels]
        }
        let read = interleaved.count / channels
        guard read > 0 else { throw .unreadable(path: path, message: String(cString: sf_strerror(file))) }
        var mono = [Float](repeating: 0, count: read)
        if channels == 1 {
            mono.withUnsafeMutableBufferPointer { $0.baseAddress!.update(from: interleaved, count: read) }
        } else {
            for i in 0..<read {
                var sum: Float = 0
                for c in 0..<channels { sum += interleaved[i * channels + c] }
                mono[i] = sum / Float(channels)
            }
        }
        return Audio(samples: mono, sampleRate: Int(info.samplerate))
    }

    /// Writes mono audio as a WAV file.
    public static func writeWAV(_ audio: Audio, to path: String, format: SampleFormat = .s16) throws(AudioFileError) {
        let writer = try WAVWriter(path: path, sampleRate: audio.sampleRate, format: format)
        try writer.append(audio.samples)
        writer.close()
    }
}

/// Streams mono samples into a WAV file, frame by frame.
public final class WAVWriter {
    private var file: OpaquePointer?
    private let path: String
    private let format: SampleFormat
    private var shorts: [Int16] = []

    public init(path: String, sampleRate: Int, format: SampleFormat) throws(AudioFileError) {
        var info = SF_INFO()
        info.samplerate = Int32(sampleRate)
        info.channels = 1
        let subtype = format == .s16 ? SF_FORMAT_PCM_16 : SF_FORMAT_FLOAT
        info.format = Int32(SF_FORMAT_WAV | subtype)
        guard let file = sf_open(path, Int32(SFM_WRITE), &info) else {
            throw .writeFailed(path: path, message: String(cString: sf_strerror(nil)))
        }
        self.file = file
        self.path = path
        self.format = format
    }

    /// Appends samples (any count).
    public func append(_ samples: [Float]) throws(AudioFileError) {
        guard let file, !samples.isEmpty else { return }
        let written: Int
        switch format {
        case .f32:
            written = samples.withUnsafeBufferPointer { Int(sf_writef_float(file, $0.baseAddress, sf_count_t($0.count))) }
        case .s16:
            shorts.removeAll(keepingCapacity: true)
            for x in samples { shorts.append(pcm16(x)) }
            written = shorts.withUnsafeBufferPointer { Int(sf_writef_short(file, $0.baseAddress, sf_count_t($0.count))) }
        }
        if written != samples.count {
            throw .writeFailed(path: path, message: String(cString: sf_strerror(file)))
        }
    }

    /// Finishes the header and closes the file. Safe to call twice.
    public func close() {
        if let file { sf_close(file) }
        file = nil
    }

    deinit { close() }
}

// MARK: Streamed FLAC

/// The bytes libsndfile writes through virtual I/O, as a file whose first `sent` bytes have
/// left: writes after them are kept until taken; rewrites of bytes already sent (libFLAC
/// rewriting STREAMINFO at the end) are dropped.
private final class StreamedFile {
    var sent = 0
    var pending: [UInt8] = []
    var position = 0

    var length: Int { sent + pending.count }

    func write(_ bytes: UnsafeRawBufferPointer) {
        defer { position += bytes.count }
        let skip = max(0, sent - position)  // already sent: cannot change
        guard skip < bytes.count else { return }
        let offset = position + skip - sent
        let source = bytes[skip...]
        if offset > pending.count { pending += [UInt8](repeating: 0, count: offset - pending.count) }
        let overlap = min(source.count, pending.count - offset)
        pending.replaceSubrange(offset..<offset + overlap, with: source.prefix(overlap))
        pending += source.dropFirst(overlap)
    }

    func take() -> [UInt8] {
        defer {
            sent += pending.count
            pending.removeAll(keepingCapacity: true)
        }
        return pending
    }
}

private func streamedFile(_ user: UnsafeMutableRawPointer?) -> StreamedFile {
    Unmanaged<StreamedFile>.fromOpaque(user!).takeUnretainedValue()
}

/// libsndfile's virtual I/O over a `StreamedFile`; one trampoline per callback (libsndfile
/// copies the table at open).
private let streamedIO = SF_VIRTUAL_IO(
    get_filelen: { sf_count_t(streamedFile($0).length) },
    seek: { offset, whence, user in
        let file = streamedFile(user)
        let base = switch whence {
        case SEEK_CUR: file.position
        case SEEK_END: file.length
        default: 0
        }
        guard base + Int(offset) >= 0 else { return -1 }
        file.position = base + Int(offset)
        return sf_count_t(file.position)
    },
    read: { _, _, _ in 0 },  // write-only: libsndfile never needs to read back a FLAC it writes
    write: { bytes, count, user in
        guard let bytes, count > 0 else { return 0 }
        streamedFile(user).write(UnsafeRawBufferPointer(start: bytes, count: Int(count)))
        return count
    },
    tell: { sf_count_t(streamedFile($0).position) }
)

/// Mono 16-bit FLAC made as a stream: the bytes of each `append` come back at once (libFLAC
/// completes a frame every 4096 samples, so some calls return none), and `finish` returns the
/// rest. The header goes out with the first bytes, before the length is known, so STREAMINFO's
/// total samples, MD5 and frame sizes stay 0, FLAC's "unknown" (a streamed FLAC's usual
/// header; decoders read to the end of the stream). Samples are converted by `pcm16`, as
/// every 16-bit output of this project is. Not thread-safe: one stream, one thread at a time.
public final class FLACStreamWriter {
    public let sampleRate: Int
    private var file: OpaquePointer?
    private let bytes = StreamedFile()
    private var shorts: [Int16] = []

    public init(sampleRate: Int) throws(AudioFileError) {
        var info = SF_INFO()
        info.samplerate = Int32(sampleRate)
        info.channels = 1
        info.format = Int32(SF_FORMAT_FLAC | SF_FORMAT_PCM_16)
        var io = streamedIO
        guard let file = sf_open_virtual(&io, Int32(SFM_WRITE), &info, Unmanaged.passUnretained(bytes).toOpaque()) else {
            throw .writeFailed(path: "<flac stream>", message: String(cString: sf_strerror(nil)))
        }
        self.file = file
        self.sampleRate = sampleRate
    }

    deinit {
        if let file { sf_close(file) }
    }

    /// Encodes `samples`; returns the stream's bytes completed so far.
    public func append(_ samples: [Float]) throws(AudioFileError) -> [UInt8] {
        guard let file else { return [] }
        if !samples.isEmpty {
            shorts.removeAll(keepingCapacity: true)
            for x in samples { shorts.append(pcm16(x)) }
            let written = shorts.withUnsafeBufferPointer { Int(sf_writef_short(file, $0.baseAddress, sf_count_t($0.count))) }
            guard written == samples.count else {
                throw .writeFailed(path: "<flac stream>", message: String(cString: sf_strerror(file)))
            }
        }
        return bytes.take()
    }

    /// Ends the stream: the last frame. A stream that got no samples is a header alone.
    public func finish() -> [UInt8] {
        guard let file else { return [] }
        // libsndfile writes the header with the first samples: without any, ask for it.
        if bytes.length == 0 { sf_command(file, Int32(SFC_UPDATE_HEADER_NOW), nil, 0) }
        sf_close(file)
        self.file = nil
        return bytes.take()
    }
}
