import Crypto
import Foundation
import Testing

@testable import ModelHub

/// `SHA256.hexDigest` (swift-crypto underneath): the digests and hex form the hub cache relies on.
@Suite struct DownloadSHA256Tests {
    // FIPS 180-4 / NIST CSRC example vectors.
    @Test func knownVectors() {
        #expect(SHA256.hexDigest(of: [UInt8]()) == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
        #expect(SHA256.hexDigest(of: Array("abc".utf8)) == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
        #expect(SHA256.hexDigest(of: Array("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq".utf8))
            == "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1")
        #expect(SHA256.hexDigest(of: [UInt8](repeating: 0x61, count: 1_000_000))
            == "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0")
    }

    @Test func streamingInPiecesEqualsOneShot() {
        let bytes = FakeHub.randomBytes(10_000, seed: 7)
        let whole = SHA256.hexDigest(of: bytes)
        for pieceSizes in [[1], [63], [64], [65], [55, 9, 128], [1000, 1, 3]] {
            var hasher = SHA256()
            var offset = 0
            var index = 0
            while offset < bytes.count {
                let size = min(pieceSizes[index % pieceSizes.count], bytes.count - offset)
                hasher.update(data: bytes[offset..<(offset + size)])
                offset += size
                index += 1
            }
            #expect(hasher.finalize().hex == whole, "pieces \(pieceSizes)")
        }
        // Lengths around the padding boundary differ from each other.
        let digests = Set((50...70).map { SHA256.hexDigest(of: bytes.prefix($0)) })
        #expect(digests.count == 21)
    }

    @Test func fileDigestMatchesInMemory() throws {
        let bytes = FakeHub.randomBytes(1 << 20 | 17, seed: 3)  // spans two 1 MiB reads
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("sha-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: url) }
        try Data(bytes).write(to: url)
        #expect(try SHA256.hexDigest(ofFile: url) == SHA256.hexDigest(of: bytes))
    }
}
