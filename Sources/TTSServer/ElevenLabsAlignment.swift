// ElevenLabsAlignment.swift: the audio messages of ElevenLabs' WebSocket, and the character
// timings it sends beside the audio.
//
// Pocket TTS gives no per-character timing. The adapter knows each turn's text (what was sent
// between two flushes) and the duration of its audio (for pcm_*, ulaw_8000 and alaw_8000, from the
// byte count; mp3 and opus get no timings), so after a turn's last audio it sends one message
// `{"audio":"","isFinal":false,"alignment":…,"normalizedAlignment":…}` whose characters are
// spread over the turn's audio in proportion to their count, from 0 to the turn's duration: the
// turn's edges are exact (clients that add up the last character's end, as Pipecat does, stay
// in step with the audio), the times inside it are estimated. Whitespace runs count as one
// character; `normalizedAlignment` is the same characters.
import Foundation

struct ElevenLabsAlignment: Sendable {
    /// Seconds per byte of the turn's encoding; nil: not known (compressed audio).
    var secondsPerByte: Double?
    var text: [Character] = []
    var seconds = 0.0
    /// Text is kept up to this many characters a turn (the rest is not timed).
    let maxCharacters = 100_000

    init(format: AudioFormat? = nil, sampleRate: Int = engineSampleRate) {
        switch format {
        case .pcm?: secondsPerByte = 1 / Double(2 * sampleRate)
        case .mulaw?, .alaw?: secondsPerByte = 1 / Double(sampleRate)
        default: secondsPerByte = nil
        }
    }

    mutating func startTurn() {
        text.removeAll()
        seconds = 0
    }

    mutating func received(_ piece: String) {
        var last = text.last
        for character in piece where text.count < maxCharacters {
            if character.isWhitespace, last?.isWhitespace ?? true { continue }
            text.append(character.isWhitespace ? " " : character)
            last = character
        }
    }

    /// One audio message; its duration counts towards the turn's.
    mutating func audioMessage(_ payload: [UInt8], context: String?) -> String {
        if let secondsPerByte { seconds += Double(payload.count) * secondsPerByte }
        return "{\"audio\":\"\(Data(payload).base64EncodedString())\",\"isFinal\":false,"
            + "\"normalizedAlignment\":null,\"alignment\":null" + ElevenLabs.contextField(context) + "}"
    }

    /// The turn's timings message, if it has characters and a known duration; resets.
    mutating func endTurn(context: String?) -> String? {
        defer { startTurn() }
        while text.last == " " { text.removeLast() }
        guard secondsPerByte != nil, !text.isEmpty, seconds > 0 else { return nil }
        let timings = Self.timings(characters: text.count, milliseconds: Int((seconds * 1000).rounded()))
        let chars = text.map { jsonQuoted(String($0)) }.joined(separator: ",")
        let alignment = "{\"chars\":[\(chars)],\"charStartTimesMs\":[\(timings.starts.map(String.init).joined(separator: ","))],"
            + "\"charDurationsMs\":[\(timings.durations.map(String.init).joined(separator: ","))]}"
        return "{\"audio\":\"\",\"isFinal\":false,\"normalizedAlignment\":\(alignment),\"alignment\":\(alignment)"
            + ElevenLabs.contextField(context) + "}"
    }

    /// `characters` start times and durations (ms) filling `milliseconds` exactly: the first starts
    /// at 0, each starts where the one before ends, the last ends at `milliseconds`.
    static func timings(characters: Int, milliseconds: Int) -> (starts: [Int], durations: [Int]) {
        guard characters > 0 else { return ([], []) }
        let edges = (0...characters).map { $0 * milliseconds / characters }
        return (Array(edges.dropLast()), (0..<characters).map { edges[$0 + 1] - edges[$0] })
    }
}
