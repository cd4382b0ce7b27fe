// HTTPSpeechAdapter.swift: an HTTP speech request (`POST /tts`, `/v1/audio/speech`, Deepgram's
// and ElevenLabs' REST) as a session's adapter. The request is the whole client side: when the
// session opens, its typed config and text go to the machine, and its flush once the text is
// segmented (`resume`); the machine's audio becomes the body's chunks in the endpoint's framing,
// `final` its end, an error the endpoint's error response (or a cut body after audio).

struct HTTPSpeechAdapter: SessionAdapter {
    /// The turn's config, or why the request cannot have one (answered in the endpoint's shape).
    let turn: Result<TurnConfig, ProtocolError>
    let text: String
    let output: HTTPSpeechOutput

    func open(state: SessionMachine.State) -> [WireStep] {
        switch turn {
        case .failure(let error):
            return [.report(error), .fail(error)]
        case .success(let config):
            // The flush waits for the text to be segmented (a long one goes a slice per loop pass).
            return [.machine(.config(config))] + (text.isEmpty ? [] : [.machine(.text(text))]) + [.resume]
        }
    }

    func resume(state: SessionMachine.State) -> [WireStep] {
        state == .streaming ? [.machine(.flush)] : []
    }

    /// No client frames come after the request.
    func receive(_ message: WebSocketMessage, state: SessionMachine.State) -> [WireStep] { [] }

    func outgoing(_ message: ServerMessage, state: SessionMachine.State) -> [WireStep] {
        switch message {
        case .binaryAudio(let payload), .jsonAudio(let payload, _, _):
            [.send(.binary(output.body(payload)))]
        case .final:
            (output.trailer.isEmpty ? [] : [.send(.binary(output.trailer))]) + [.finish]
        case .error(let error):
            [.fail(error)]
        case .configAccepted, .pong:
            []
        }
    }
}
