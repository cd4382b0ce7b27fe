import Foundation
import ModelHub

/// Voices a `VoiceLibrary` finds outside its directory, by name: typically the reference's
/// predefined voices, fetched from the Hugging Face cache or downloaded. Consulted only for
/// names the directory does not have.
public struct VoiceFallback: Sendable {
    /// The names `resolve` knows (listed by `VoiceLibrary.names`).
    public var names: [String]
    /// The local file (voice state or audio) of one of `names`; may download.
    public var resolve: @Sendable (String) throws -> URL

    public init(names: [String], resolve: @escaping @Sendable (String) throws -> URL) {
        self.names = names
        self.resolve = resolve
    }

    /// `PredefinedVoices` of `set` (alba, marius, ...): voice states from the cache, else
    /// downloaded unless `allowDownload` is false.
    public static func predefined(
        client: HubClient = HubClient(), allowDownload: Bool = true, set: PredefinedVoices.Set = .legacy
    ) -> VoiceFallback {
        let names = PredefinedVoices.names(in: set)
        return VoiceFallback(names: names) { name in
            guard let source = PredefinedVoices.source(name, in: set) else {
                throw VoiceLibraryError.unknownVoice(name: name, available: names)
            }
            return try ModelFiles.resolveAll([("voice \(name)", source)], allowDownload: allowDownload, client: client)[0]
        }
    }
}
