import Foundation

/// The named voices of a directory: `alba.safetensors` (a voice state) is voice `alba`, and so
/// is `alba.wav` (audio, encoded on first use). When several files share a name, the voice
/// state wins, then the audio extensions in `VoiceLibrary.audioExtensions` order. Hidden files,
/// subdirectories, other extensions and names that are not valid voice names are ignored.
struct VoiceDirectory: Sendable, Equatable {
    let path: String
    /// Voice name → file path.
    let files: [String: String]

    var names: [String] { files.keys.sorted() }

    /// Lists `path` (not recursively).
    init(path: String) throws(VoiceLibraryError) {
        self.path = path
        let entries: [String]
        do { entries = try FileManager.default.contentsOfDirectory(atPath: path) } catch {
            throw .directoryUnreadable(path: path, reason: error.localizedDescription)
        }
        let directory = URL(fileURLWithPath: path)
        var best: [String: (rank: Int, path: String)] = [:]
        for entry in entries {
            let url = directory.appendingPathComponent(entry)
            guard let rank = VoiceFileKind.rank(of: url.pathExtension) else { continue }
            let name = url.deletingPathExtension().lastPathComponent
            guard VoiceDirectory.isValidName(name), VoiceDirectory.isRegularFile(url.path) else { continue }
            if let current = best[name], current.rank <= rank { continue }
            best[name] = (rank, url.path)
        }
        files = best.mapValues(\.path)
    }

    /// Voice names: letters, digits, `.`, `_` and `-`, starting with a letter or digit, at most
    /// 128 characters.
    static func isValidName(_ name: String) -> Bool {
        guard let first = name.unicodeScalars.first, name.unicodeScalars.count <= 128 else { return false }
        func alphanumeric(_ c: Unicode.Scalar) -> Bool {
            ("a"..."z").contains(c) || ("A"..."Z").contains(c) || ("0"..."9").contains(c)
        }
        return alphanumeric(first) && name.unicodeScalars.allSatisfy { alphanumeric($0) || $0 == "." || $0 == "_" || $0 == "-" }
    }

    static func isRegularFile(_ path: String) -> Bool {
        var isDirectory: ObjCBool = false
        return FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) && !isDirectory.boolValue
    }
}

/// What a voice file holds, from its extension.
enum VoiceFileKind: Equatable {
    case voiceState
    case audio

    init?(extension ext: String) {
        let ext = ext.lowercased()
        if ext == "safetensors" {
            self = .voiceState
        } else if VoiceLibrary.audioExtensions.contains(ext) {
            self = .audio
        } else {
            return nil
        }
    }

    /// Precedence among files of the same name: 0 for a voice state, then the audio order.
    static func rank(of ext: String) -> Int? {
        let ext = ext.lowercased()
        if ext == "safetensors" { return 0 }
        return VoiceLibrary.audioExtensions.firstIndex(of: ext).map { $0 + 1 }
    }
}

/// Size and modification time of a file: when both are unchanged, its content hash is reused
/// instead of reading the file again. (`VoiceLibrary.reload()` forgets all stamps.)
struct FileStamp: Equatable, Sendable {
    let size: Int
    let modified: Date

    init(path: String) throws(VoiceLibraryError) {
        // Symbolic links (the hub cache's snapshots) are followed: the target's size and time.
        let target = URL(fileURLWithPath: path).resolvingSymlinksInPath().path
        guard VoiceDirectory.isRegularFile(target),
              let attributes = try? FileManager.default.attributesOfItem(atPath: target) else {
            throw .fileNotFound(path: path)
        }
        size = (attributes[.size] as? NSNumber)?.intValue ?? -1
        modified = attributes[.modificationDate] as? Date ?? .distantPast
    }
}
