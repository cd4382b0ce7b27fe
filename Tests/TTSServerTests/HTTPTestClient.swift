// A blocking HTTP/1.1 client for the HTTP API tests: sends a request (JSON, urlencoded or
// multipart), reads the head, then a chunked body chunk by chunk as the server writes it.
import Foundation
@testable import TTSServer

final class HTTPTestClient {
    let socket: TestSocket
    private(set) var head: TestHTTPResponse?

    init(port: Int, timeoutSeconds: Int = 10, receiveBufferBytes: Int32? = nil, from local: String? = nil) throws {
        socket = try TestSocket(port: port, timeoutSeconds: timeoutSeconds, receiveBufferBytes: receiveBufferBytes, from: local)
    }

    /// Sends the request and reads the head (and the whole body unless it is chunked).
    @discardableResult
    func send(method: String = "POST", path: String, headers: [String: String] = [:], body: [UInt8] = []) throws -> TestHTTPResponse {
        var request = "\(method) \(path) HTTP/1.1\r\nHost: 127.0.0.1\r\n"
        for (name, value) in headers { request += "\(name): \(value)\r\n" }
        request += "Content-Length: \(body.count)\r\n"
        try socket.send(Array((request + "\r\n").utf8) + body)
        let text = String(decoding: try socket.read(through: Array("\r\n\r\n".utf8)), as: UTF8.self)
        let lines = text.components(separatedBy: "\r\n")
        let status = Int(lines[0].split(separator: " ")[1]) ?? 0
        var fields: [String: String] = [:]
        for line in lines.dropFirst() where line.contains(":") {
            let parts = line.split(separator: ":", maxSplits: 1)
            fields[parts[0].lowercased()] = parts.count > 1 ? parts[1].trimmingCharacters(in: .whitespaces) : ""
        }
        var response = TestHTTPResponse(version: "HTTP/1.1", status: status, headers: fields, body: [])
        if fields["transfer-encoding"]?.lowercased() != "chunked" {
            response.body = try socket.read(count: Int(fields["content-length"] ?? "0") ?? 0)
        }
        head = response
        return response
    }

    /// The next chunk of a chunked body; nil at its end.
    func nextChunk() throws -> [UInt8]? {
        let line = String(decoding: try socket.read(through: [13, 10]).dropLast(2), as: UTF8.self)
        guard let size = Int(line, radix: 16) else { throw TestClientError.malformed("chunk size \(line)") }
        let data = try socket.read(count: size)
        _ = try socket.read(count: 2)
        return size == 0 ? nil : data
    }

    /// The rest of a chunked body.
    func restOfBody() throws -> [UInt8] {
        var body: [UInt8] = []
        while let chunk = try nextChunk() { body += chunk }
        return body
    }
}

/// A multipart/form-data body of `fields` and `files` (name -> (filename, bytes)).
func multipartBody(fields: [String: String], files: [String: (String, [UInt8])] = [:]) -> (body: [UInt8], contentType: String) {
    let boundary = "----pockettts\(UInt32.random(in: 0...UInt32.max))"
    var body: [UInt8] = []
    for (name, value) in fields.sorted(by: { $0.key < $1.key }) {
        body += Array("--\(boundary)\r\nContent-Disposition: form-data; name=\"\(name)\"\r\n\r\n\(value)\r\n".utf8)
    }
    for (name, (filename, bytes)) in files {
        body += Array(("--\(boundary)\r\nContent-Disposition: form-data; name=\"\(name)\"; filename=\"\(filename)\"\r\n"
            + "Content-Type: application/octet-stream\r\n\r\n").utf8) + bytes + [13, 10]
    }
    body += Array("--\(boundary)--\r\n".utf8)
    return (body, "multipart/form-data; boundary=\(boundary)")
}

func jsonObject(_ bytes: [UInt8]) -> [String: Any]? {
    (try? JSONSerialization.jsonObject(with: Data(bytes))) as? [String: Any]
}
