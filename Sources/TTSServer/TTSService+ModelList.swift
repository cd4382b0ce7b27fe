// TTSService+ModelList.swift: the served models as the listing endpoints describe them
// (`/v1/models`, `/v1/audio/models`, `/v1/audio/voices`, `/voices`, `/api/voices`): each model
// with its languages, default voice and voices. With one model, the listings are as before
// plus that one model.

extension TTSService {
    /// The models served, each with its voices and default voice filled in.
    var listedModels: [ServedModel] {
        let allVoices = engine.map { $0.voices.sorted() } ?? []
        return models.enumerated().map { index, model in
            var model = model
            if model.voices.isEmpty { model.voices = allVoices }
            if model.defaultVoice.isEmpty || index == 0 && !(engine is ModelRouter) { model.defaultVoice = defaultVoice }
            return model
        }
    }

    /// The OpenAI names every request may give for the default model (OpenAIAPI.swift).
    static let openAIModelNames = ["pocket-tts", "tts-1", "tts-1-hd", "gpt-4o-mini-tts"]

    /// `"languages":["fr"],"default_voice":"estelle","voices":["estelle",…]`, after `"demo":true`
    /// on demo weights.
    private func modelFields(_ model: ServedModel) -> String {
        (model.demo ? "\"demo\":true," : "") + "\"languages\":[\(model.languages.map(jsonQuoted).joined(separator: ","))],"
            + "\"default_voice\":\(jsonQuoted(model.defaultVoice)),\"voices\":[\(model.voices.map(jsonQuoted).joined(separator: ","))]"
    }

    /// `GET /v1/models`: OpenAI's model list; `pocket-tts` and `tts-1` (the default model), then
    /// every served model.
    var openAIModelList: String {
        let aliases = ["pocket-tts": "kyutai", "tts-1": "pocket-tts"].sorted { $0.key < $1.key }.map { id, owner in
            "{\"id\":\(jsonQuoted(id)),\"object\":\"model\",\"created\":0,\"owned_by\":\(jsonQuoted(owner))}"
        }
        let served = listedModels.enumerated().map { index, model in
            "{\"id\":\(jsonQuoted(model.name)),\"object\":\"model\",\"created\":0,\"owned_by\":\"kyutai\",\"default\":\(index == 0),"
                + modelFields(model) + "}"
        }
        return "{\"object\":\"list\",\"data\":[" + (aliases + served).joined(separator: ",") + "]}"
    }

    /// `GET /v1/audio/models`.
    var audioModelList: String {
        let served = listedModels.enumerated().map { index, model in
            "{\"id\":\(jsonQuoted(model.name)),\"default\":\(index == 0)," + modelFields(model) + "}"
        }
        return "{\"models\":[" + (["{\"id\":\"pocket-tts\"}", "{\"id\":\"tts-1\"}"] + served).joined(separator: ",") + "]}"
    }

    /// `GET /v1/audio/voices`: one entry per model and voice.
    var audioVoiceList: String {
        let entries = listedModels.flatMap { model in
            model.voices.map { voice in
                "{\"id\":\(jsonQuoted(voice)),\"name\":\(jsonQuoted(voice)),\"model\":\(jsonQuoted(model.name)),"
                    + "\"languages\":[\(model.languages.map(jsonQuoted).joined(separator: ","))]}"
            }
        }
        return "{\"voices\":[" + entries.joined(separator: ",") + "]}"
    }

    /// The `"models":[…]` member of `/voices` and `/api/voices`.
    var modelsMember: String {
        "\"models\":[" + listedModels.enumerated().map { index, model in
            "{\"name\":\(jsonQuoted(model.name)),\"default\":\(index == 0)," + modelFields(model) + "}"
        }.joined(separator: ",") + "]"
    }
}
