import Foundation

/// A file in a Hugging Face repository, written `hf://owner/name/path/in/repo@revision` as in the
/// reference (`pocket_tts/utils/utils.py`, `download_if_necessary`). The revision is optional
/// (`main` when omitted), like `hf_hub_download(revision=None)`.
public struct HubURL: Sendable, Hashable, CustomStringConvertible {
    public static let scheme = "hf://"
    public static let defaultRevision = "main"

    public var owner: String
    public var name: String
    /// Path inside the repository, `/`-separated, e.g. `embeddings_v2/alba.safetensors`.
    public var path: String
    /// A commit hash, branch or tag.
    public var revision: String

    /// `owner/name`.
    public var repository: String { "\(owner)/\(name)" }
    /// The last path component, for messages and progress.
    public var fileName: String { path.split(separator: "/").last.map(String.init) ?? path }
    /// True when the revision is a full commit hash: such files never change, so a cached copy
    /// is used without asking the server.
    public var isPinnedToCommit: Bool { HubURL.isCommitHash(revision) }

    public init(owner: String, name: String, path: String, revision: String = HubURL.defaultRevision) {
        self.owner = owner
        self.name = name
        self.path = path
        self.revision = revision
    }

    /// Parses `hf://owner/name/path/in/repo[@revision]`. Rejects what could not name a file in a
    /// repository or would escape the cache directory (`..`, `.`, empty components, backslashes).
    public init(parsing text: String) throws(ModelFilesError) {
        func fail(_ reason: String) -> ModelFilesError { .malformedHubURL(text, reason: reason) }
        guard text.hasPrefix(HubURL.scheme) else { throw fail("must start with \(HubURL.scheme)") }
        var rest = Substring(text.dropFirst(HubURL.scheme.count))
        var revision = HubURL.defaultRevision
        let atParts = rest.split(separator: "@", omittingEmptySubsequences: false)
        if atParts.count > 2 { throw fail("more than one '@'") }
        if atParts.count == 2 {
            rest = atParts[0]
            revision = String(atParts[1])
            if revision.isEmpty { throw fail("empty revision after '@'") }
            if revision.hasPrefix("/") || revision.hasSuffix("/") { throw fail("revision must not start or end with '/'") }
            for component in revision.split(separator: "/", omittingEmptySubsequences: false) {
                try HubURL.check(component, in: "revision", text: text)
            }
        }
        let components = rest.split(separator: "/", omittingEmptySubsequences: false)
        guard components.count >= 3 else {
            throw fail("expected hf://owner/name/path, got \(components.count) component(s)")
        }
        for component in components {
            try HubURL.check(component, in: "path", text: text)
        }
        let allowed = CharacterSet(charactersIn: "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_.")
        for part in components.prefix(2) where part.unicodeScalars.contains(where: { !allowed.contains($0) }) {
            throw fail("repository name '\(part)' may only hold letters, digits, '-', '_' and '.'")
        }
        self.init(
            owner: String(components[0]), name: String(components[1]),
            path: components.dropFirst(2).joined(separator: "/"), revision: revision)
    }

    /// Whether `text` looks like `hf://...` (then it must parse) rather than a local path.
    public static func isHubURL(_ text: String) -> Bool { text.hasPrefix(scheme) }

    public var description: String {
        "\(HubURL.scheme)\(repository)/\(path)@\(revision)"
    }

    /// `{endpoint}/{owner}/{name}/resolve/{revision}/{path}`, each part percent-encoded as
    /// `huggingface_hub.hf_hub_url` does (the revision as one segment, so `refs/pr/1` is `refs%2Fpr%2F1`).
    public func resolveURL(endpoint: URL) -> URL {
        var base = endpoint.absoluteString
        while base.hasSuffix("/") { base.removeLast() }
        let encodedPath = path.split(separator: "/").map { HubURL.encode(String($0)) }.joined(separator: "/")
        let text = "\(base)/\(HubURL.encode(owner))/\(HubURL.encode(name))/resolve/\(HubURL.encode(revision))/\(encodedPath)"
        // Every part is percent-encoded and the endpoint was already a URL: this cannot fail.
        guard let url = URL(string: text) else { preconditionFailure("unencodable hub URL \(text)") }
        return url
    }

    static func isCommitHash(_ text: String) -> Bool {
        text.utf8.count == 40 && text.utf8.allSatisfy { (0x30...0x39).contains($0) || (0x61...0x66).contains($0) }
    }

    private static func check(_ component: Substring, in field: String, text: String) throws(ModelFilesError) {
        if component.isEmpty { throw .malformedHubURL(text, reason: "empty \(field) component") }
        if component == "." || component == ".." {
            throw .malformedHubURL(text, reason: "'\(component)' is not allowed in the \(field)")
        }
        if component.contains("\\") { throw .malformedHubURL(text, reason: "backslash in the \(field)") }
    }

    private static func encode(_ segment: String) -> String {
        let unreserved = CharacterSet(charactersIn: "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_.~")
        return segment.addingPercentEncoding(withAllowedCharacters: unreserved) ?? segment
    }
}
