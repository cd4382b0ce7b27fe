// OggOpusFileReader.swift: the test target's only file importing COpusFile (opusfile), used to
// decode Ogg Opus streams made by `OggOpusEncoder` back to PCM.
import COpusFile

enum OggOpusFileError: Error, Equatable {
    case open(code: Int32)
    case read(code: Int32)
}

enum OggOpusFileReader {
    /// Decodes a whole in-memory Ogg Opus stream to mono 48 kHz samples (pre-skip removed,
    /// end trimmed to the final granule position, as opusfile does).
    static func decode(_ stream: [UInt8]) throws(OggOpusFileError) -> (samples: [Float], channels: Int, inputSampleRate: Int) {
        var result: (samples: [Float], channels: Int, inputSampleRate: Int) = ([], 0, 0)
        var failure: OggOpusFileError?
        stream.withUnsafeBufferPointer { bytes in
            var status: Int32 = 0
            guard let file = op_open_memory(bytes.baseAddress, bytes.count, &status) else {
                failure = .open(code: status)
                return
            }
            defer { op_free(file) }
            if let head = op_head(file, -1) {
                result.channels = Int(head.pointee.channel_count)
                result.inputSampleRate = Int(head.pointee.input_sample_rate)
            }
            var buffer = [Float](repeating: 0, count: 5760 * 2)
            while true {
                let count = buffer.withUnsafeMutableBufferPointer { op_read_float(file, $0.baseAddress, Int32($0.count), nil) }
                if count < 0 {
                    failure = .read(code: count)
                    return
                }
                if count == 0 { break }
                result.samples += buffer[0..<Int(count) * max(result.channels, 1)]
            }
        }
        if let failure { throw failure }
        return result
    }
}
