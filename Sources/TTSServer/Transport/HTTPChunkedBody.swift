// HTTPChunkedBody.swift: decodes a request body sent with `Transfer-Encoding: chunked` (legal
// HTTP/1.1; libwebsockets 4.1 hands such a body on as it came, framing included, and never
// ends it). A pure value: feed the bytes as they arrive, take the decoded ones; `isComplete`
// after the last chunk and its trailers.
struct HTTPChunkedBody {
    enum Failure: Error, Equatable { case malformed, tooLarge }

    private enum State { case size, sizeExtension, sizeLF, data, dataCR, dataLF, trailerLine, trailerLF, done }
    private var state = State.size
    private var size = 0
    private var sizeDigits = 0
    private var remaining = 0
    private var trailerLineEmpty = true
    private(set) var decodedCount = 0
    let limit: Int

    init(limit: Int) { self.limit = limit }

    var isComplete: Bool { state == .done }

    /// The body bytes in `bytes`; throws on framing that is not chunked encoding or a body over `limit`.
    mutating func feed(_ bytes: UnsafeRawBufferPointer) throws(Failure) -> [UInt8] {
        var out: [UInt8] = []
        var i = 0
        while i < bytes.count, state != .done {
            let c = bytes[i]
            switch state {
            case .size:
                if let digit = Self.hexValue(c) {
                    guard sizeDigits < 8 else { throw .tooLarge }
                    size = size * 16 + digit
                    sizeDigits += 1
                } else if sizeDigits > 0, c == UInt8(ascii: ";") || c == UInt8(ascii: " ") || c == UInt8(ascii: "\t") {
                    state = .sizeExtension
                } else if sizeDigits > 0, c == 13 {
                    state = .sizeLF
                } else {
                    throw .malformed
                }
            case .sizeExtension:
                if c == 13 { state = .sizeLF }
            case .sizeLF:
                guard c == 10 else { throw .malformed }
                guard decodedCount + size <= limit else { throw .tooLarge }
                remaining = size
                state = size == 0 ? .trailerLine : .data
                trailerLineEmpty = true
                size = 0
                sizeDigits = 0
            case .data:
                let take = min(remaining, bytes.count - i)
                out.append(contentsOf: bytes[i..<(i + take)])
                remaining -= take
                decodedCount += take
                i += take
                if remaining == 0 { state = .dataCR }
                continue
            case .dataCR:
                guard c == 13 else { throw .malformed }
                state = .dataLF
            case .dataLF:
                guard c == 10 else { throw .malformed }
                state = .size
            case .trailerLine:
                if c == 13 { state = .trailerLF } else { trailerLineEmpty = false }
            case .trailerLF:
                guard c == 10 else { throw .malformed }
                if trailerLineEmpty { state = .done } else { state = .trailerLine; trailerLineEmpty = true }
            case .done:
                break
            }
            i += 1
        }
        return out
    }

    private static func hexValue(_ c: UInt8) -> Int? {
        switch c {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): Int(c - UInt8(ascii: "0"))
        case UInt8(ascii: "a")...UInt8(ascii: "f"): Int(c - UInt8(ascii: "a")) + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): Int(c - UInt8(ascii: "A")) + 10
        default: nil
        }
    }
}
