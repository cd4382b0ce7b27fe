import ArgumentParser
import Foundation
import ModelHub
import TTSServer

/// `serve --demo-fallback` (what `make run` uses): the official model when it is cached or can be
/// downloaded, else demo weights with a warning saying why in one line. Offline, the fallback
/// comes within `--connect-timeout` seconds: one HEAD asks the hub before any download.
struct DemoFallbackOptions: ParsableArguments {
    @Flag(help: "Use the official model when cached or downloadable; else fall back to --demo, saying why (what `make run` does).")
    var demoFallback = false

    @Option(help: "Tokenizer of the demo weights when falling back (default: the official one, if cached).")
    var demoTokenizer: String?

    @Option(help: "Default voice when falling back to demo weights: an audio file to clone or a voice state.")
    var demoVoice: String?

    @Option(help: "Seconds the hub gets to answer before --demo-fallback falls back.")
    var connectTimeout: Double = 5

    func validate() throws {
        guard connectTimeout > 0, connectTimeout.isFinite else { throw ValidationError("--connect-timeout must be positive") }
    }
}

extension Serve {
    /// This command with the fallback decided: unchanged (the official files are now cached) or
    /// switched to `--demo` with the demo tokenizer and voice. Nothing to decide with `--demo`,
    /// or with both files given.
    func decidingDemoFallback(defaultVoice: String) -> Serve {
        var chosen = self
        chosen.fallback.demoFallback = false
        if model.demo || (model.files.weights != nil && model.files.tokenizer != nil) { return chosen }
        let client = model.files.client()
        let choice: ModelChoice
        do {
            var wanted = try officialFiles()
            let spec = voice ?? defaultVoice
            if !FileManager.default.fileExists(atPath: spec),
               let source = PredefinedVoices.source(spec, in: try model.files.voiceSet()) {
                wanted.append(("voice \(spec)", source))
            }
            let probeFile = try HubURL.isHubURL(wanted[0].location) ? HubURL(parsing: wanted[0].location) : nil
            choice = OfficialModelFallback.decide(
                cached: Result { () throws(ModelFilesError) in try ModelFiles.resolveAll(wanted, allowDownload: false, client: client) },
                downloadsAllowed: !model.files.noDownload && !client.isOffline,
                probe: { probeFile.flatMap { client.probe($0, timeout: fallback.connectTimeout) } },
                download: {
                    Log.info("downloading the official model (once, into \(client.cache.directory.path))...")
                    let bar = model.progress.makeBar()
                    defer { bar?.finish() }
                    return Result { () throws(ModelFilesError) in
                        try ModelFiles.resolveAll(wanted, allowDownload: true, client: client, progress: bar?.handler)
                    }
                })
        } catch let error as ModelFilesError {
            choice = .demo(reason: OfficialModelFallback.reason(error, doing: "finding the official model"))
        } catch {
            choice = .demo(reason: "finding the official model failed: \(error)")
        }
        switch choice {
        case .official(let paths):
            Log.info("official model: \(paths[0].path)")
        case .demo(let reason):
            Log.warning("NO OFFICIAL MODEL, FALLING BACK TO DEMO WEIGHTS: \(reason)")
            chosen.model.demo = true
            chosen.model.files.noDownload = true
            if let demoTokenizer = fallback.demoTokenizer, model.files.tokenizer == nil { chosen.model.files.tokenizer = demoTokenizer }
            if let demoVoice = fallback.demoVoice, voice == nil { chosen.voice = demoVoice }
        }
        return chosen
    }

    /// `(role, location)` of the weights and tokenizer the model options name.
    private func officialFiles() throws -> [(role: String, location: String)] {
        let sources = try model.files.sources()
        return [("weights", model.files.weights ?? model.files.configRelative(sources.weights)),
                ("tokenizer", model.files.tokenizer ?? model.files.configRelative(sources.tokenizer))]
    }
}

/// Demo mode: the predefined names the server lacks stand for the default (demo) voice.
func demoVoiceAliases(offered: Set<String>, defaultVoice: String) -> [String: String] {
    let aliases = DemoVoiceAliases.aliases(
        for: Array(Set(PredefinedVoices.names + PredefinedVoices.modelNames)).sorted(), offered: offered, demoVoice: defaultVoice)
    if !aliases.isEmpty {
        Log.info("demo mode: voices \(aliases.keys.sorted().joined(separator: ", ")) are aliases of the demo voice '\(defaultVoice)'")
    }
    return aliases
}
