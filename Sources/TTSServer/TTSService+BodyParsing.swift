// TTSService+BodyParsing.swift: a large JSON request body is parsed on a worker, not on the
// event loop (decoding 100 KB holds the loop for milliseconds: every client would wait). The
// result comes back to the loop as posted work, as every slow step's does.
import Dispatch

extension TTSService {
    /// Bodies up to this many bytes are parsed on the loop (a fraction of a millisecond).
    static let inlineJSONBodyBytes = 8192

    /// Parses `request.body` as JSON within `limits`, then calls `then` on the loop thread.
    func parseJSONBody(_ request: HTTPRequest, limits: JSONLimits,
                       then: @escaping @Sendable (Result<JSONValue, ProtocolError>) -> Void) {
        let parse: @Sendable () -> Result<JSONValue, ProtocolError> = {
            Result { () throws(ProtocolError) in try JSONValue.parse(String(decoding: request.body, as: UTF8.self), limits: limits) }
        }
        guard request.body.count > Self.inlineJSONBodyBytes else {
            then(parse())
            return
        }
        DispatchQueue.global(qos: .userInitiated).async { [weak self] in
            let result = parse()
            self?.post { then(result) }
        }
    }
}
