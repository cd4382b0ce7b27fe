import AudioIO
import Crypto
import Foundation
import Kernels
import ModelHub
import PocketTTS

/// Content keys, checks and the work behind a cache miss: reading voice-state files, decoding
/// and encoding audio. Runs outside the library's lock.
extension VoiceLibrary {
    static let fileKeyPrefix = "file:"

    /// `file:` + SHA-256 of the file's bytes.
    static func fileKey(_ path: String) throws(VoiceLibraryError) -> String {
        do {
            return fileKeyPrefix + (try SHA256.hexDigest(ofFile: URL(fileURLWithPath: path)))
        } catch {
            throw .fileNotFound(path: path)
        }
    }

    /// Rejects a file longer than `maxAudioSeconds` from its header, before decoding it.
    func checkDuration(ofFile path: String) throws(VoiceLibraryError) {
        let info: AudioFileInfo
        do { info = try AudioFile.info(path) } catch { throw Self.map(error) }
        if info.frames == 0 { throw .emptyAudio(source: path) }
        if info.duration > configuration.maxAudioSeconds {
            throw .tooLong(source: path, seconds: info.duration, limit: configuration.maxAudioSeconds)
        }
    }

    func readAudio(_ path: String) throws(VoiceLibraryError) -> Audio {
        let audio: Audio
        do { audio = try AudioFile.read(path) } catch { throw Self.map(error) }
        try validate(audio, source: path)
        return audio
    }

    static func map(_ error: AudioFileError) -> VoiceLibraryError {
        switch error {
        case .notFound(let path): .fileNotFound(path: path)
        case .unreadable(let path, let message): .unreadableAudio(source: path, reason: message)
        case .empty(let path): .emptyAudio(source: path)
        case .writeFailed(let path, let message): .unreadableAudio(source: path, reason: message)
        }
    }

    /// Rate, samples and length of decoded audio to clone.
    func validate(_ audio: Audio, source: String) throws(VoiceLibraryError) {
        guard audio.sampleRate > 0 else { throw .invalidAudio(source: source, reason: "sample rate \(audio.sampleRate) Hz") }
        guard !audio.samples.isEmpty else { throw .emptyAudio(source: source) }
        if let i = audio.samples.firstIndex(where: { !$0.isFinite }) {
            throw .invalidAudio(source: source, reason: "sample \(i) is \(audio.samples[i])")
        }
        if audio.duration > configuration.maxAudioSeconds {
            throw .tooLong(source: source, seconds: audio.duration, limit: configuration.maxAudioSeconds)
        }
    }

    /// The voice state of (validated) audio, cut to its first `promptSeconds`.
    func encode(_ audio: Audio, source: String) throws(VoiceLibraryError) -> FlowLM.State {
        var audio = audio
        let keep = configuration.promptSeconds * Double(audio.sampleRate)
        if Double(audio.samples.count) > keep { audio.samples.removeSubrange(max(1, Int(keep))...) }
        do {
            return try model.voiceState(audio: audio)
        } catch {
            throw .encodingFailed(source: source, reason: "\(error)")
        }
    }

    /// Checks a voice file from its header alone, without reading the voice (what listing a
    /// directory of a thousand voices can afford): a voice-state file must parse and have every
    /// layer's cache in this model's shape; an audio file must have samples and at most
    /// `maxAudioSeconds`. A file that passes may still fail when read (its data).
    public func checkHeader(ofFile path: String) throws(VoiceLibraryError) {
        let ext = URL(fileURLWithPath: path).pathExtension
        guard let kind = VoiceFileKind(extension: ext) else { throw .unsupportedFormat(path: path, fileExtension: ext) }
        guard kind == .voiceState else { return try checkDuration(ofFile: path) }
        let dimensions = model.flowLM.dimensions
        do {
            let file = try SafetensorsFile(contentsOf: URL(fileURLWithPath: path))
            for layer in 0..<dimensions.layerCount {
                let name = "transformer.layers.\(layer).self_attn/cache"
                guard file.contains(name) else { throw VoiceLibraryError.invalidVoiceState(path: path, tensor: name, reason: "missing") }
                let shape = try file.shape(of: name)
                guard shape.count == 5, shape[0] == 2, shape[1] == 1, shape[3] == dimensions.keyValueHeadCount,
                      shape[4] == dimensions.headDim else {
                    throw VoiceLibraryError.invalidVoiceState(path: path, tensor: name, reason: "shape \(shape), not this model's")
                }
            }
        } catch let error as VoiceLibraryError {
            throw error
        } catch let error as SafetensorsError {
            throw .invalidVoiceState(path: path, tensor: error.tensorName, reason: error.description)
        } catch {
            throw .invalidVoiceState(path: path, tensor: nil, reason: "\(error)")
        }
    }

    /// A voice-state file (the reference's `export_model_state` format), checked against the
    /// model: every failure names the file and, where there is one, the tensor.
    func loadVoiceState(_ path: String) throws(VoiceLibraryError) -> FlowLM.State {
        var tensors: [String: Tensor] = [:]
        do {
            let file = try SafetensorsFile(contentsOf: URL(fileURLWithPath: path))
            for name in file.names { tensors[name] = try file.tensor(named: name) }
        } catch let error as SafetensorsError {
            throw .invalidVoiceState(path: path, tensor: error.tensorName, reason: error.description)
        } catch {
            throw .invalidVoiceState(path: path, tensor: nil, reason: "\(error)")
        }
        do {
            return try model.flowLM.makeState(voiceTensors: tensors)
        } catch {
            switch error {
            case .shape(let name, let expected, let got):
                throw .invalidVoiceState(path: path, tensor: name, reason: "shape \(got), expected \(expected) for this model")
            case .voiceState(let tensor, let problem):
                throw .invalidVoiceState(path: path, tensor: tensor, reason: problem)
            default:
                throw .invalidVoiceState(path: path, tensor: nil, reason: error.description)
            }
        }
    }
}

extension SafetensorsError {
    /// The tensor the error is about, if any.
    var tensorName: String? {
        switch self {
        case .unsupportedDType(_, let tensor, _), .invalidOffsets(_, let tensor, _), .sizeMismatch(_, let tensor, _, _, _, _),
             .overlappingTensors(_, let tensor, _), .missingTensor(_, let tensor):
            tensor
        case .valueCountMismatch(let tensor, _, _), .unwritableDType(let tensor, _):
            tensor
        default:
            nil
        }
    }
}
