// SHA256+Hex: checksums of downloaded files as Hugging Face writes them (lower-case hex).
import Crypto
import Foundation

/// SHA-256 from swift-crypto (BoringSSL's implementation on Linux, CryptoKit on Apple
/// platforms), checked against the hash Hugging Face announces in `X-Linked-Etag`.
extension SHA256 {
    public static func hexDigest<Bytes: DataProtocol>(of bytes: Bytes) -> String {
        SHA256.hash(data: bytes).hex
    }

    /// Hashes a file in 1 MiB reads.
    public static func hexDigest(ofFile url: URL) throws(ModelFilesError) -> String {
        let handle: FileHandle
        do { handle = try FileHandle(forReadingFrom: url) } catch {
            throw .fileSystem(path: url.path, reason: "cannot open for hashing: \(error.localizedDescription)")
        }
        defer { try? handle.close() }
        var hasher = SHA256()
        while true {
            let chunk: Data?
            do { chunk = try handle.read(upToCount: 1 << 20) } catch {
                throw .fileSystem(path: url.path, reason: "read failed while hashing: \(error.localizedDescription)")
            }
            guard let chunk, !chunk.isEmpty else { break }
            hasher.update(data: chunk)
        }
        return hasher.finalize().hex
    }
}

extension SHA256.Digest {
    /// The digest as 64 lower-case hex digits.
    public var hex: String {
        let digits = Array("0123456789abcdef".utf8)
        var out = [UInt8]()
        out.reserveCapacity(2 * Self.byteCount)
        for byte in self {
            out.append(digits[Int(byte >> 4)])
            out.append(digits[Int(byte & 15)])
        }
        return String(decoding: out, as: UTF8.self)
    }
}
