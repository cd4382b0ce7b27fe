// ElevenLabsAlignment.swift: the audio messages of ElevenLabs' WebSocket, and the character
// timings it sends beside the audio.
//
// Pocket TTS gives no per-character timing, but it speaks a turn as chunks (the live-text
// segmenter's, one engine chunk each), and the engine marks where each chunk's audio starts
// (`TurnConfig.marksPieces`: an empty payload before the first audio of every chunk after the
// first). The adapter learns each chunk's text when the machine hands it to the engine
// (`WireAdapter.chunkSpoken`) and the duration of its audio (for pcm_*, ulaw_8000 and alaw_8000,
// from the byte count; mp3 and opus get no timings), so after a turn's last audio it sends one
// message `{"audio":"","isFinal":false,"alignment":…,"normalizedAlignment":…}` in which each
// chunk's characters are spread over that chunk's own audio in proportion to their count: every
// chunk's first character starts where its audio starts and its last ends where its audio ends
// (to the millisecond; a space between two chunks is the earlier one's last character), the
// times inside a chunk are estimated. When the chunks and their audio do not pair up (the
// engine split a chunk further, an SSML break), the turn's text is spread over the whole turn
// instead, exact at the turn's edges only. Clients that add up the last character's end (as
// Pipecat does) stay in step with the audio either way. Whitespace runs count as one character;
// `normalizedAlignment` is the same characters.
import Foundation

struct ElevenLabsAlignment: Sendable {
    /// Seconds per byte of the turn's encoding; nil: not known (compressed audio).
    var secondsPerByte: Double?
    /// The turn's text as received (timed over the whole turn when its chunks cannot be).
    var text: [Character] = []
    /// The text of each chunk handed to the engine, in order.
    var chunkTexts: [[Character]] = []
    /// Seconds of audio of each chunk so far: a new one starts at each chunk mark.
    var chunkSeconds: [Double] = [0]
    /// Text is kept up to this many characters a turn (the rest is not timed).
    let maxCharacters = 100_000

    init(format: AudioFormat? = nil, sampleRate: Int = engineSampleRate) {
        switch format {
        case .pcm?: secondsPerByte = 1 / Double(2 * sampleRate)
        case .mulaw?, .alaw?: secondsPerByte = 1 / Double(sampleRate)
        default: secondsPerByte = nil
        }
    }

    /// Whether timings are sent (the turn's duration is known from its bytes): the engine is
    /// then asked to mark its chunks.
    var isTimed: Bool { secondsPerByte != nil }

    /// The turn's audio so far, in seconds.
    var seconds: Double { chunkSeconds.reduce(0, +) }

    mutating func startTurn() {
        text.removeAll()
        chunkTexts.removeAll()
        chunkSeconds = [0]
    }

    mutating func received(_ piece: String) {
        var last = text.last
        for character in piece where text.count < maxCharacters {
            if character.isWhitespace, last?.isWhitespace ?? true { continue }
            text.append(character.isWhitespace ? " " : character)
            last = character
        }
    }

    /// The machine handed `chunk` to the engine: the next chunk's text.
    mutating func chunkSpoken(_ chunk: String) {
        guard chunkTexts.count < maxCharacters else { return }
        chunkTexts.append(Array(chunk.split(whereSeparator: \.isWhitespace).joined(separator: " ")))
    }

    /// The engine's mark: the next chunk's audio starts.
    mutating func chunkStarted() { chunkSeconds.append(0) }

    /// One audio message; its duration counts towards its chunk's.
    mutating func audioMessage(_ payload: [UInt8], context: String?) -> String {
        if let secondsPerByte { chunkSeconds[chunkSeconds.count - 1] += Double(payload.count) * secondsPerByte }
        return "{\"audio\":\"\(Data(payload).base64EncodedString())\",\"isFinal\":false,"
            + "\"normalizedAlignment\":null,\"alignment\":null" + ElevenLabs.contextField(context) + "}"
    }

    /// The turn's timings message, if it has characters and a known duration; resets.
    mutating func endTurn(context: String?) -> String? {
        defer { startTurn() }
        guard isTimed, seconds > 0, let (characters, starts, durations) = chunkTimings() ?? turnTimings() else { return nil }
        let chars = characters.map { jsonQuoted(String($0)) }.joined(separator: ",")
        let alignment = "{\"chars\":[\(chars)],\"charStartTimesMs\":[\(starts.map(String.init).joined(separator: ","))],"
            + "\"charDurationsMs\":[\(durations.map(String.init).joined(separator: ","))]}"
        return "{\"audio\":\"\",\"isFinal\":false,\"normalizedAlignment\":\(alignment),\"alignment\":\(alignment)"
            + ElevenLabs.contextField(context) + "}"
    }

    /// Each chunk's characters over its own audio, or nil when chunks and audio do not pair up.
    func chunkTimings() -> (characters: [Character], starts: [Int], durations: [Int])? {
        guard !chunkTexts.isEmpty, chunkTexts.count == chunkSeconds.count, chunkTexts.allSatisfy({ !$0.isEmpty }) else { return nil }
        var characters: [Character] = [], starts: [Int] = [], durations: [Int] = []
        var elapsed = 0.0
        for (index, chunk) in chunkTexts.enumerated() {
            let begin = Int((elapsed * 1000).rounded())
            elapsed += chunkSeconds[index]
            let end = Int((elapsed * 1000).rounded())
            let timed = index < chunkTexts.count - 1 ? chunk + [" "] : chunk
            let timings = Self.timings(characters: timed.count, milliseconds: end - begin)
            characters += timed
            starts += timings.starts.map { $0 + begin }
            durations += timings.durations
        }
        return (characters, starts, durations)
    }

    /// The turn's text over the turn's whole audio, or nil without text.
    func turnTimings() -> (characters: [Character], starts: [Int], durations: [Int])? {
        var characters = text
        while characters.last == " " { characters.removeLast() }
        guard !characters.isEmpty else { return nil }
        let timings = Self.timings(characters: characters.count, milliseconds: Int((seconds * 1000).rounded()))
        return (characters, timings.starts, timings.durations)
    }

    /// `characters` start times and durations (ms) filling `milliseconds` exactly: the first starts
    /// at 0, each starts where the one before ends, the last ends at `milliseconds`.
    static func timings(characters: Int, milliseconds: Int) -> (starts: [Int], durations: [Int]) {
        guard characters > 0 else { return ([], []) }
        let edges = (0...characters).map { $0 * milliseconds / characters }
        return (Array(edges.dropLast()), (0..<characters).map { edges[$0 + 1] - edges[$0] })
    }
}
