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

/// Audio file I/O over libsndfile: the only file that imports it. Reads any format libsndfile
/// knows (WAV, FLAC, Ogg/Vorbis, Opus, MP3, AIFF, ...), any rate, any channel count.
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
        var interleaved = [Float](repeating: 0, count: frames * channels)
        let read = interleaved.withUnsafeMutableBufferPointer {
            Int(sf_readf_float(file, $0.baseAddress, sf_count_t(frames)))
        }
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
