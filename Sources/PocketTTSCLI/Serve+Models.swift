import ArgumentParser
import PocketTTS
import TTSServer

extension Serve {
    /// The models to serve, the first the default, each as its own model options: `--model`
    /// (repeatable), else server.yaml's `models`, else the one `--language` / `--config` names
    /// (default english).
    func servedModels(_ config: ServerConfig) throws -> [ModelOptions] {
        let names: [String]
        if !model.files.models.isEmpty {
            names = model.files.models
        } else if model.files.language != nil || model.files.config != nil || config.models.isEmpty {
            return [model]
        } else {
            names = config.models
        }
        guard names.count > 1 else {
            var one = model
            one.files.models = names
            return [one]
        }
        guard model.files.weights == nil, model.files.language == nil, model.files.config == nil,
              model.files.tokenizer == nil || model.demo else {
            throw ValidationError("--weights, --tokenizer, --language and --config name one model's files: with several models, "
                + "name each by --model (or server.yaml's models) and let each find its own files")
        }
        var seen = Set<String>()
        return try names.map { name in
            var options = model
            options.files.models = [name]
            let canonical = try options.files.modelName()
            guard seen.insert(canonical).inserted else { throw ValidationError("model \(canonical) given twice") }
            return options
        }
    }

    /// `--demo-fallback`: decided on the default (first) model's files; the decision (official
    /// files or demo weights) holds for every model served.
    func decidingDemoFallbackForModels() throws -> Serve {
        let settings = try loadSettings()
        var first = self
        first.model = try servedModels(settings)[0]
        let configured = settings.defaultVoice
        let defaultVoice = configured.isEmpty ? ModelCatalog.defaultVoice(for: try first.model.files.modelName()) : configured
        var decided = first.decidingDemoFallback(defaultVoice: defaultVoice)
        decided.model.files.models = model.files.models
        return decided
    }
}
