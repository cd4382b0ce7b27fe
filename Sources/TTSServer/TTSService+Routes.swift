// TTSService+Routes.swift: the service's own HTTP answers (loop thread): /health, /ready (with
// the engine's headroom), /metrics, and the check of a WebSocket upgrade against the protocols'
// registry (WireProtocols.swift) and the API keys. The HTTP API is TTSService+HTTPAPI.swift.

extension TTSService {
    /// Ready: the engine is attached and the service is not shutting down.
    var isReady: Bool { engine != nil && !shuttingDown }

    /// `/ready`'s answer: 200 while a turn could start; 503 while loading, shutting down, or with
    /// no headroom (every turn the engine carries is taken: `Retry-After` says when to look
    /// again), so that a load balancer's health checks route around a full instance.
    func readiness() -> HTTPResponse {
        guard isReady, let engine else {
            return HTTPResponse(status: 503, text: shuttingDown ? "shutting down\n" : "loading the model\n")
        }
        if let capacity = engine.capacity, capacity.headroom == 0 {
            return HTTPResponse(status: 503, text: "at capacity: \(capacity.active) of \(capacity.streams) streams\n",
                                headers: ["Retry-After": "\(capacity.retryAfterSeconds)"])
        }
        return HTTPResponse(status: 200, text: "ready\n")
    }

    func answer(_ request: HTTPRequest) -> HTTPResponse {
        if let response = answerAPI(request) { return response }  // TTSService+HTTPAPI.swift
        guard request.method == "GET" || request.method == "HEAD" else {
            return .json(405, "method not allowed", headers: ["Allow": "GET, HEAD"])
        }
        switch request.path {
        case "/health":
            return HTTPResponse(status: 200, text: "ok\n")
        case "/ready":
            return readiness()
        case "/metrics":
            switch config.metricsAccess {
            case .off: return .notFound
            case .apiKey:
                let decision = authenticator.check(request)
                guard decision == .allowed else { return Authenticator.unauthorized(decision) }
            case .open: break
            }
            if let capacity = engine?.capacity { metrics.record(capacity) }
            return HTTPResponse(status: 200, contentType: "text/plain; version=0.0.4; charset=utf-8", text: metrics.render())
        default:
            return answerWebPage(request) ?? .notFound  // TTSService+WebPage.swift
        }
    }

    /// nil lets the upgrade through; otherwise the HTTP refusal (404, 401, 503).
    func checkUpgrade(_ request: HTTPRequest) -> HTTPResponse? {
        guard let wire = WireProtocols.serving(request.path, nativePath: options.path) else { return .notFound }
        let decision = authenticator.check(request)
        let keyMayFollow: Bool = if case .upgradeOrFirstMessage = wire.authentication { true } else { false }
        // A key may come in the first message instead (ElevenLabs: the adapter checks it).
        guard decision == .allowed || (decision == .missingKey && keyMayFollow) || wire.authentication == .trustedNetwork else {
            logger.notice("upgrade refused: \(decision)", metadata: ["peer": "\(request.peer)"])
            return Authenticator.unauthorized(decision)
        }
        guard isReady else {
            return HTTPResponse(status: 503, text: shuttingDown ? "shutting down\n" : "loading the model\n",
                                headers: ["Retry-After": "5"])
        }
        return wire.adapter.refusal(request)
    }
}
