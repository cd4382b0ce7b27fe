// TTSService+HTTPSpeech.swift: an HTTP speech request becomes a session like any other: its
// plan becomes an `HTTPSpeechAdapter` (typed config, text, flush), its response stream the
// session's transport (`HTTPSpeechTransport`), and the host runs it (TTSService+SessionHost.swift):
// the same admission, engine path, limits and metrics as a WebSocket session.
import Logging

extension TTSService {
    /// Starts speaking `plan` into `stream` (loop thread). Refusals (not ready, capacity, a bad
    /// voice or format) are answered at once in the endpoint's error shape.
    func startSpeech(_ plan: HTTPSpeechPlan, output: HTTPSpeechOutput, stream: HTTPResponseStream) {
        let request = stream.request
        guard !stream.isClosed else { return }  // the client left while its body was parsed
        guard !shuttingDown, let engine else {
            stream.respond(output.error(503, shuttingDown ? "the server is shutting down" : "the model is loading", "unavailable", nil))
            return
        }
        var configuration = sessionConfiguration(engine: engine, defaultVoice: plan.voiceGiven ? defaultVoice : plan.voice)
        configuration.protocolSettings.extraFormats = [.mp3, .flac]
        let turn = Result { () throws(ProtocolError) in try plan.turnConfig(settings: configuration.protocolSettings) }
        var logger = self.logger
        logger[metadataKey: "http"] = "\(stream.id)"
        logger[metadataKey: "peer"] = "\(request.peer)"
        logger.info("speech request", metadata: ["path": "\(request.path)", "voice": "\(plan.voice)", "model": "\(plan.model ?? plan.language ?? "default")",
                                                 "format": "\(plan.format.rawValue)", "speed": "\(plan.speed)",
                                                 "characters": "\(plan.text.unicodeScalars.count)"])
        openSession(on: HTTPSpeechTransport(stream: stream, output: output),
                    adapter: HTTPSpeechAdapter(turn: turn, text: plan.text, output: output),
                    label: ProtocolLabel(httpPath: request.path), configuration: configuration, logger: logger)
    }
}
