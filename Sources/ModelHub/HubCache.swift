import Foundation

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The Hugging Face hub cache layout, shared with `huggingface_hub` (so files the Python package
/// downloaded are found, and the other way round):
///
///     {cache}/models--{owner}--{name}/blobs/{etag}                       the bytes
///     {cache}/models--{owner}--{name}/snapshots/{commit}/{path}          relative symlink to the blob
///     {cache}/models--{owner}--{name}/refs/{revision}                    commit of a branch or tag
///
/// Partial downloads live at `blobs/{etag}.incomplete`, locks at `.locks/models--{owner}--{name}/{etag}.lock`. When the server sends no ETag the file
/// is stored directly in `snapshots` (no blob), as `huggingface_hub` does on file systems
/// without symlinks.
public struct HubCache: Sendable, Equatable {
    public var directory: URL

    public init(directory: URL) { self.directory = directory }

    /// The cache directory, first match wins:
    /// 1. `override` (`--cache-dir`), 2. `POCKET_TTS_CACHE_DIR`, 3. `HF_HUB_CACHE`,
    /// 4. `$HF_HOME/hub`, 5. `$XDG_CACHE_HOME/huggingface/hub`, 6. `~/.cache/huggingface/hub`.
    /// Empty values are ignored; `~` is expanded.
    public init(override: String? = nil, environment: [String: String] = ProcessInfo.processInfo.environment) {
        directory = HubCache.resolveDirectory(override: override, environment: environment)
    }

    public static func resolveDirectory(override: String?, environment: [String: String]) -> URL {
        func value(_ text: String?) -> String? {
            guard let text, !text.isEmpty else { return nil }
            return expandTilde(text, environment: environment)
        }
        if let path = value(override) ?? value(environment["POCKET_TTS_CACHE_DIR"]) ?? value(environment["HF_HUB_CACHE"]) {
            return URL(fileURLWithPath: path, isDirectory: true)
        }
        return huggingFaceHome(environment: environment).appendingPathComponent("hub", isDirectory: true)
    }

    /// `$HF_HOME`, or `$XDG_CACHE_HOME/huggingface`, or `~/.cache/huggingface` (also where
    /// `huggingface-cli login` keeps its `token` file).
    public static func huggingFaceHome(environment: [String: String]) -> URL {
        if let home = environment["HF_HOME"], !home.isEmpty {
            return URL(fileURLWithPath: expandTilde(home, environment: environment), isDirectory: true)
        }
        let cacheRoot: String
        if let xdg = environment["XDG_CACHE_HOME"], !xdg.isEmpty {
            cacheRoot = expandTilde(xdg, environment: environment)
        } else {
            cacheRoot = userHome(environment) + "/.cache"
        }
        return URL(fileURLWithPath: cacheRoot, isDirectory: true).appendingPathComponent("huggingface", isDirectory: true)
    }

    // MARK: Layout

    public func repositoryFolder(_ file: HubURL) -> URL {
        directory.appendingPathComponent("models--\(file.owner)--\(file.name)", isDirectory: true)
    }

    func snapshotFile(_ file: HubURL, commit: String) -> URL {
        repositoryFolder(file).appendingPathComponent("snapshots/\(commit)/\(file.path)")
    }

    func blob(_ file: HubURL, etag: String) -> URL {
        repositoryFolder(file).appendingPathComponent("blobs/\(etag)")
    }

    /// `{cache}/.locks/models--{owner}--{name}/{etag}.lock`, where `huggingface_hub` keeps its locks.
    func lockFile(_ file: HubURL, etag: String) -> URL {
        directory.appendingPathComponent(".locks/\(repositoryFolder(file).lastPathComponent)/\(etag).lock")
    }

    func refFile(_ file: HubURL) -> URL {
        repositoryFolder(file).appendingPathComponent("refs/\(file.revision)")
    }

    /// The cached file for `file`, or nil. A commit revision maps straight to its snapshot; a
    /// branch or tag goes through `refs/{revision}` (falling back to a snapshot named after it).
    /// Never touches the network.
    public func cachedFile(_ file: HubURL) -> URL? {
        var commits: [String] = []
        if !file.isPinnedToCommit, let ref = try? String(contentsOf: refFile(file), encoding: .utf8) {
            let commit = ref.trimmingCharacters(in: .whitespacesAndNewlines)
            if HubURL.isCommitHash(commit) { commits.append(commit) }
        }
        commits.append(file.revision)
        for commit in commits {
            let candidate = snapshotFile(file, commit: commit)
            // fileExists follows the symlink: a dangling link (blob deleted) does not count.
            var isDirectory: ObjCBool = false
            if FileManager.default.fileExists(atPath: candidate.path, isDirectory: &isDirectory), !isDirectory.boolValue {
                return candidate
            }
        }
        return nil
    }

    // MARK: Writing

    /// Records that branch or tag `file.revision` is at `commit` (nothing for a commit revision).
    func writeRef(_ file: HubURL, commit: String) throws(ModelFilesError) {
        guard file.revision != commit else { return }
        let ref = refFile(file)
        try HubCache.createDirectory(ref.deletingLastPathComponent())
        do { try Data(commit.utf8).write(to: ref, options: .atomic) } catch {
            throw .fileSystem(path: ref.path, reason: "cannot write ref: \(error.localizedDescription)")
        }
    }

    /// Points `snapshots/{commit}/{path}` at `blobs/{etag}` with a relative symlink (like
    /// `huggingface_hub`); copies the blob instead where symlinks cannot be made.
    func link(_ file: HubURL, commit: String, etag: String) throws(ModelFilesError) -> URL {
        let target = snapshotFile(file, commit: commit)
        try HubCache.createDirectory(target.deletingLastPathComponent())
        let depth = 2 + file.path.split(separator: "/").count  // snapshots/{commit}/{path...}
        let relative = String(repeating: "../", count: depth - 1) + "blobs/\(etag)"
        try? FileManager.default.removeItem(at: target)
        if symlink(relative, target.path) != 0 {
            do { try FileManager.default.copyItem(at: blob(file, etag: etag), to: target) } catch {
                throw .fileSystem(path: target.path, reason: "cannot link or copy the blob: \(error.localizedDescription)")
            }
        }
        return target
    }

    static func createDirectory(_ url: URL) throws(ModelFilesError) {
        do { try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true) } catch {
            throw .fileSystem(path: url.path, reason: "cannot create directory: \(error.localizedDescription)")
        }
    }

    /// Moves a finished download into place, replacing any file there.
    static func moveIntoPlace(_ source: URL, to destination: URL) throws(ModelFilesError) {
        if rename(source.path, destination.path) != 0 {
            throw .fileSystem(path: destination.path, reason: "cannot move the finished download: \(String(cString: strerror(errno)))")
        }
    }

    // MARK: Environment helpers

    static func userHome(_ environment: [String: String]) -> String {
        if let home = environment["HOME"], !home.isEmpty { return home }
        return NSHomeDirectory()
    }

    static func expandTilde(_ path: String, environment: [String: String]) -> String {
        if path == "~" { return userHome(environment) }
        if path.hasPrefix("~/") { return userHome(environment) + path.dropFirst(1) }
        return path
    }
}

/// An exclusive advisory lock (`flock`) on a file, so two processes never write the same
/// `.incomplete` download at once; released on `unlock` or when the process exits.
struct CacheFileLock {
    private let descriptor: Int32

    init(_ url: URL) throws(ModelFilesError) {
        let descriptor = open(url.path, O_CREAT | O_RDWR, 0o644)
        guard descriptor >= 0 else {
            throw .fileSystem(path: url.path, reason: "cannot open lock file: \(String(cString: strerror(errno)))")
        }
        guard flock(descriptor, LOCK_EX) == 0 else {
            let reason = String(cString: strerror(errno))
            close(descriptor)
            throw .fileSystem(path: url.path, reason: "cannot lock: \(reason)")
        }
        self.descriptor = descriptor
    }

    func unlock() {
        flock(descriptor, LOCK_UN)
        close(descriptor)
    }
}
