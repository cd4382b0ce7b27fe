import ArgumentParser
import Foundation
import TTSServer

/// `pocket-tts say`: speaks text through a running service (the native protocol, libwebsockets'
/// client) and prints the time to first audio to stderr.
struct Say: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Speak text through a running pocket-tts service and report the time to first audio.",
        discussion: """
            Audio goes to --output (a .wav file is written whole at the end; any other file gets the
            stream as it arrives), to a player with --play, or, with neither, to stdout as raw
            frames as they arrive (e.g. `pocket-tts say --text Hi | aplay -f S16_LE -r 24000`).
            Time to first audio (from the flush) and the real-time factor go to stderr.
            """)

    @Option(help: "The service's WebSocket URL.")
    var url = "ws://127.0.0.1:8000/tts/ws"

    @Option(help: "Text to speak; without it, stdin is read to its end.")
    var text: String?

    @Option(help: "Voice name; default: the server's default voice.")
    var voice: String?

    @Option(help: "Served model (a service with several models); default: the server's default model.")
    var model: String?

    @Option(help: "Language (fr, de-DE, french, ...): the first served model of it; default: the server's default model.")
    var language: String?

    @Option(name: .customLong("api-key"), help: "API key (sent as X-API-Key); default: $POCKET_TTS_API_KEY.")
    var apiKey: String?

    /// The formats the native protocol (`/tts/ws`) serves (mp3 and flac are HTTP-only).
    static let formats: [AudioFormat] = [.pcm, .pcmF32, .opus, .ogg, .mulaw, .alaw, .wav]

    @Option(help: "Audio format: \(Say.formats.map(\.rawValue).joined(separator: ", ")). With --output NAME.opus or .ogg, opus is sent as Ogg Opus (a file players open).")
    var format = "pcm"

    @Option(help: "Sample rate in Hz.")
    var sampleRate = 24000

    @Option(help: "Sampling temperature; default: the served model's (default_temperature, 0.3). 0 is deterministic.")
    var temperature: Double?

    @Option(help: "Playback speed, 0.25-4.0 (time-stretched at the same pitch); default 1.")
    var speed: Double?

    @Option(help: "Write the audio here (.wav: a WAV file, pcm or pcm_f32 only; otherwise the stream's bytes).")
    var output: String?

    @Flag(help: "Play the audio as it arrives with aplay or paplay (pcm only).")
    var play = false

    @Option(help: "Seconds any one wait (connecting, the next message) may take.")
    var timeout = 60.0

    func validate() throws {
        guard let audioFormat = AudioFormat(rawValue: format), Say.formats.contains(audioFormat) else {
            throw ValidationError("--format '\(format)': expected one of \(Say.formats.map(\.rawValue).joined(separator: ", "))")
        }
        if play, audioFormat != .pcm { throw ValidationError("--play needs --format pcm") }
        if play, AudioSinks.findPlayer(sampleRate: sampleRate) == nil {
            throw ValidationError("--play: neither aplay nor paplay is on PATH (apt-get install alsa-utils or pulseaudio-utils)")
        }
        if let output, output.lowercased().hasSuffix(".wav"), ![.pcm, .pcmF32, .wav].contains(audioFormat) {
            throw ValidationError("--output \(output): a .wav file needs --format pcm, pcm_f32 or wav")
        }
    }

    func run() throws {
        // A reader that goes away (`| head`, a missing player) is an error to report, not a signal to die of.
        signal(SIGPIPE, SIG_IGN)
        var audioFormat = AudioFormat(rawValue: format)!
        if audioFormat == .opus, let output, [".opus", ".ogg"].contains(where: { output.lowercased().hasSuffix($0) }) {
            audioFormat = .ogg  // raw Opus packets are no file; Ogg Opus pages are
        }
        let spoken = try text ?? readStandardInput()
        guard !spoken.allSatisfy(\.isWhitespace) else { throw ValidationError("nothing to say: give --text or text on stdin") }
        var sinks = try AudioSinks(output: output, play: play, format: audioFormat, sampleRate: sampleRate)

        let key = apiKey ?? ProcessInfo.processInfo.environment["POCKET_TTS_API_KEY"]
        let client = try SpeechClient(url: url, apiKey: key, timeout: timeout)
        defer { client.close() }
        var settings = SpeechSettings(voice: voice, format: audioFormat, sampleRate: sampleRate, temperature: temperature,
                                      speed: speed)
        settings.model = model
        settings.language = language
        let report = try client.speak(spoken, settings: settings) { try sinks.write($0) }
        try sinks.finish()
        printReport(report, format: audioFormat)
    }

    private func readStandardInput() throws -> String {
        let data = FileHandle.standardInput.readDataToEndOfFile()
        guard let text = String(data: data, encoding: .utf8) else { throw ValidationError("stdin is not UTF-8 text") }
        return text
    }

    private func printReport(_ report: SpeechTurnReport, format: AudioFormat) {
        var line = "first audio: "
        line += report.firstAudioSeconds.map { String(format: "%.1f ms", $0 * 1000) } ?? "none"
        if let seconds = audioSeconds(report, format), seconds > 0 {
            line += String(format: "; %.2f s of audio in %.2f s (real-time factor %.3f)", seconds, report.totalSeconds,
                           report.totalSeconds / seconds)
        }
        FileHandle.standardError.write(Data((line + "; request \(report.requestID)\n").utf8))
    }

    /// The turn's duration where the format tells it.
    private func audioSeconds(_ report: SpeechTurnReport, _ format: AudioFormat) -> Double? {
        let rate = Double(sampleRate)
        return switch format {
        case .pcm: Double(report.audioBytes) / 2 / rate
        case .pcmF32: Double(report.audioBytes) / 4 / rate
        case .mulaw, .alaw: Double(report.audioBytes) / rate
        case .opus: Double(report.audioMessages) * 0.08
        case .ogg, .wav, .mp3, .flac: nil
        }
    }
}

/// Where `say` puts the audio: a file, a player, stdout.
private struct AudioSinks {
    private var wavBytes: [UInt8]?
    private var wavPath: String?
    private var file: FileHandle?
    private var player: Process?
    private var playerInput: FileHandle?
    private var toStandardOutput = false
    private let format: AudioFormat
    private let sampleRate: Int

    init(output: String?, play: Bool, format: AudioFormat, sampleRate: Int) throws {
        self.format = format
        self.sampleRate = sampleRate
        if let output {
            if output.lowercased().hasSuffix(".wav"), format == .pcm || format == .pcmF32 {
                wavBytes = []
                wavPath = output
            } else {
                guard FileManager.default.createFile(atPath: output, contents: nil),
                      let handle = FileHandle(forWritingAtPath: output) else { throw ValidationError("cannot write \(output)") }
                file = handle
            }
        }
        if play { try startPlayer() }
        if output == nil, !play {
            guard isatty(STDOUT_FILENO) == 0 else {
                throw ValidationError("raw audio goes to stdout: redirect it, or give --output FILE or --play")
            }
            toStandardOutput = true
        }
    }

    mutating func write(_ audio: [UInt8]) throws {
        wavBytes?.append(contentsOf: audio)
        if let file { try Self.writeAll(audio, to: file.fileDescriptor, what: "the output file") }
        if let playerInput { try Self.writeAll(audio, to: playerInput.fileDescriptor, what: "the player") }
        if toStandardOutput { try Self.writeAll(audio, to: STDOUT_FILENO, what: "stdout") }
    }

    /// write(2) until done; a closed reader (EPIPE: SIGPIPE is ignored) or another failure throws.
    static func writeAll(_ bytes: [UInt8], to descriptor: Int32, what: String) throws {
        var offset = 0
        while offset < bytes.count {
            let written = bytes[offset...].withUnsafeBytes { Foundation.write(descriptor, $0.baseAddress, $0.count) }
            if written < 0 {
                if errno == EINTR { continue }
                let reason = errno == EPIPE ? "the reader closed the pipe" : String(cString: strerror(errno))
                throw ValidationError("writing audio to \(what) failed: \(reason)")
            }
            offset += written
        }
    }

    mutating func finish() throws {
        if let wavPath, let wavBytes {
            let header = wavHeader(dataBytes: wavBytes.count, floating: format == .pcmF32)
            guard FileManager.default.createFile(atPath: wavPath, contents: Data(header + wavBytes)) else {
                throw ValidationError("cannot write \(wavPath)")
            }
        }
        try file?.close()
        try playerInput?.close()
        player?.waitUntilExit()
    }

    /// aplay or paplay from PATH, with its arguments for raw s16le mono; nil when neither is there.
    static func findPlayer(sampleRate: Int) -> (executable: String, arguments: [String])? {
        let candidates: [(String, [String])] = [
            ("aplay", ["-q", "-t", "raw", "-f", "S16_LE", "-c", "1", "-r", "\(sampleRate)"]),
            ("paplay", ["--raw", "--format=s16le", "--channels=1", "--rate=\(sampleRate)"]),
        ]
        let path = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin"
        for (name, arguments) in candidates {
            if let directory = path.split(separator: ":").first(where: { FileManager.default.isExecutableFile(atPath: "\($0)/\(name)") }) {
                return ("\(directory)/\(name)", arguments)
            }
        }
        return nil
    }

    private mutating func startPlayer() throws {
        guard let (executable, arguments) = Self.findPlayer(sampleRate: sampleRate) else {
            throw ValidationError("--play: neither aplay nor paplay is on PATH (apt-get install alsa-utils or pulseaudio-utils)")
        }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        let pipe = Pipe()
        process.standardInput = pipe
        try process.run()
        player = process
        playerInput = pipe.fileHandleForWriting
    }

    /// A 44-byte RIFF header for mono 16-bit PCM or 32-bit float samples.
    private func wavHeader(dataBytes: Int, floating: Bool) -> [UInt8] {
        func le32(_ value: Int) -> [UInt8] { (0..<4).map { UInt8(truncatingIfNeeded: value >> (8 * $0)) } }
        func le16(_ value: Int) -> [UInt8] { (0..<2).map { UInt8(truncatingIfNeeded: value >> (8 * $0)) } }
        let bytesPerSample = floating ? 4 : 2
        return Array("RIFF".utf8) + le32(36 + dataBytes) + Array("WAVEfmt ".utf8) + le32(16)
            + le16(floating ? 3 : 1) + le16(1) + le32(sampleRate) + le32(sampleRate * bytesPerSample)
            + le16(bytesPerSample) + le16(8 * bytesPerSample) + Array("data".utf8) + le32(dataBytes)
    }
}
