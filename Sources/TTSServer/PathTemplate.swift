// PathTemplate.swift: a request path matched against a template with `{name}` segments, e.g.
// "/v1/text-to-speech/{voice_id}/stream-input". A variable matches one non-empty segment.

public struct PathTemplate: Sendable, Equatable {
    let segments: [Substring]

    public init(_ template: String) {
        segments = template.split(separator: "/", omittingEmptySubsequences: false)
    }

    /// The variables of `path` if it matches, else nil.
    public func match(_ path: String) -> [String: String]? {
        let parts = path.split(separator: "/", omittingEmptySubsequences: false)
        guard parts.count == segments.count else { return nil }
        var variables: [String: String] = [:]
        for (segment, part) in zip(segments, parts) {
            if segment.first == "{", segment.last == "}" {
                guard !part.isEmpty else { return nil }
                variables[String(segment.dropFirst().dropLast())] = String(part)
            } else if segment != part {
                return nil
            }
        }
        return variables
    }
}
