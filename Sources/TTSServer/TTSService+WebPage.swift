// TTSService+WebPage.swift: the browser page at `/` (Clients/web, compiled in as `WebAssets`)
// and the voice list it reads, `GET /api/voices`:
//
//   {"voices":["alba","marius"],"default":"alba",
//    "models":[{"name":"english","default":true,"languages":["en"],"default_voice":"alba","voices":["alba","marius"]}]}
//
// The page's files need no key; the voice list does when keys are configured (headers or
// `?api_key=`, as for the WebSocket).

extension TTSService {
    /// The page's files and `/api/voices`; nil for any other path.
    func answerWebPage(_ request: HTTPRequest) -> HTTPResponse? {
        if request.path == "/api/voices" { return voiceList(request) }
        let name = request.path == "/" ? "index.html" : String(request.path.dropFirst())
        guard let asset = WebAssets.files[name] else { return nil }
        return HTTPResponse(status: 200, contentType: asset.contentType, body: Array(asset.text.utf8),
                            headers: ["Cache-Control": "no-cache"])
    }

    private func voiceList(_ request: HTTPRequest) -> HTTPResponse {
        let decision = authenticator.check(request)
        guard decision == .allowed else { return Authenticator.unauthorized(decision) }
        guard let engine else { return HTTPResponse(status: 503, text: "loading the model\n", headers: ["Retry-After": "5"]) }
        let voices = engine.voices.sorted().map(jsonQuoted).joined(separator: ",")
        return HTTPResponse(status: 200, contentType: "application/json",
                            text: "{\"voices\":[\(voices)],\"default\":\(jsonQuoted(defaultVoice)),\(modelsMember)}")
    }
}
