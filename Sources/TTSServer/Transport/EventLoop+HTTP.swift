// EventLoop+HTTP.swift: HTTP requests on the loop thread: reading a request and its body,
// dispatching it, writing a response whole or streamed (Socket.Phase's HTTP phases).
import CWebSockets
#if canImport(Glibc)
import Glibc
#endif

extension EventLoop {
    func onHTTPRequest(_ wsi: OpaquePointer, _ key: UInt) -> Int32 {
        let request = readRequest(wsi, isWebSocketUpgrade: false)
        let socket = self.socket(key)
        socket.idleCompletions = 0
        if request.header("transfer-encoding")?.lowercased().contains("chunked") == true, request.method != "GET",
           request.method != "HEAD" {
            // Answered once the last chunk is in (`onChunkedBody`).
            let body = RequestBody(request: request, chunked: HTTPChunkedBody(limit: configuration.maxRequestBodyBytes))
            if configuration.formPaths.contains(request.path), FormReader.isForm(request.header("content-type")) {
                body.form = FormReader(wsi, fieldNames: configuration.formFieldNames, fieldBytes: configuration.maxFormFieldBytes + 1,
                                       limit: configuration.maxRequestBodyBytes)
            }
            socket.phase = .readingBody(body)
            return 0
        }
        if let declared = request.header("content-length").flatMap(Int.init), declared > 0 {
            // Answered at LWS_CALLBACK_HTTP_BODY_COMPLETION.
            let body = RequestBody(request: request, overflow: declared > configuration.maxRequestBodyBytes)
            if !body.overflow, configuration.formPaths.contains(request.path), FormReader.isForm(request.header("content-type")) {
                body.form = FormReader(wsi, fieldNames: configuration.formFieldNames,
                                       fieldBytes: min(declared, configuration.maxFormFieldBytes) + 1,
                                       limit: configuration.maxRequestBodyBytes)
            }
            socket.phase = .readingBody(body)
            return 0
        }
        if request.method == "HEAD" { return respond(wsi, key, handlers.http(request), head: true) }
        return dispatch(wsi, key, request)
    }

    /// Body bytes as they arrive: to the form reader, else to the request (within the bound).
    func appendBody(_ body: RequestBody, _ bytes: UnsafeMutableRawBufferPointer) {
        guard !bytes.isEmpty, let base = bytes.baseAddress else { return }
        if let form = body.form {
            form.process(base, bytes.count)
            body.overflow = body.overflow || form.overflow
        } else if body.request.body.count + bytes.count > configuration.maxRequestBodyBytes {
            body.overflow = true
        } else {
            body.request.body.append(contentsOf: bytes)
        }
    }

    /// A piece of a chunked body: decoded and appended; the request is answered after the last chunk.
    func onChunkedBody(_ wsi: OpaquePointer, _ key: UInt, _ body: RequestBody, _ bytes: UnsafeRawBufferPointer) -> Int32 {
        do throws(HTTPChunkedBody.Failure) {
            var decoded = try body.chunked!.feed(bytes)
            decoded.withUnsafeMutableBytes { appendBody(body, $0) }
        } catch {
            socket(key).phase = .awaitingRequest
            let (status, detail) = error == .tooLarge ? (413, "request body too large") : (400, "malformed chunked request body")
            return respond(wsi, key, HTTPResponse(status: status, contentType: "application/json", text: "{\"detail\":\"\(detail)\"}\n"),
                           head: false)
        }
        guard body.chunked!.isComplete else { return 0 }
        body.chunked = nil
        return completeBody(wsi, key)
    }

    /// The whole body is in: a form is finished, the request dispatched.
    func completeBody(_ wsi: OpaquePointer, _ key: UInt) -> Int32 {
        guard let socket = sockets[key] else { return 0 }
        guard case .readingBody(let body) = socket.phase else {
            // libwebsockets 4.1, a request with a body pipelined behind another on a keep-alive
            // connection: it calls this again and again with no request of ours being read, and
            // the loop serves nobody else. A few such calls are harmless (they let the answers
            // already queued go out); more than 16 in a row close the connection.
            socket.idleCompletions += 1
            return socket.idleCompletions > 16 ? -1 : 0
        }
        socket.idleCompletions = 0
        socket.phase = .awaitingRequest
        if body.overflow {
            return respond(wsi, key, HTTPResponse.json(413, "request body too large"), head: false)
        }
        var request = body.request
        if let form = body.form {
            guard let parsed = form.finish() else {
                return respond(wsi, key, HTTPResponse.json(400, "malformed form body"), head: false)
            }
            request.form = parsed
        }
        return dispatch(wsi, key, request)
    }

    /// Offers a complete request to the `stream` handler, else answers it with `http`.
    func dispatch(_ wsi: OpaquePointer, _ key: UInt, _ request: HTTPRequest) -> Int32 {
        let socket = self.socket(key)
        let waker = self.waker
        let stream = HTTPResponseStream(id: nextConnectionID, request: request, wake: { waker.wake(socket: key) })
        nextConnectionID += 1
        // (A keep-alive connection's earlier response had its own close deadline.)
        socket.phase = .streaming(stream, closeDeadlineSet: false)
        if handlers.stream(request, stream) { return 0 }  // its items wake the loop
        socket.phase = .awaitingRequest
        return respond(wsi, key, handlers.http(request), head: false)
    }

    /// One item of a streamed response per writeable callback: the head, a chunk (chunked
    /// transfer encoding), the end, or a whole response.
    func writeStreamItem(_ wsi: OpaquePointer, _ key: UInt) -> Int32 {
        guard let socket = sockets[key], let stream = socket.stream, let item = stream.next() else { return 0 }
        switch item {
        case .head(let status, let contentType, let headers):
            var headers = headers
            headers["Transfer-Encoding"] = "chunked"
            let head = HTTPResponse(status: status, contentType: contentType, body: [], headers: headers)
            guard writeHeaders(wsi, head, contentLength: UInt64.max) else { return -1 }  // no length: Connection: close
        case .chunk(let bytes):
            let size = Array((String(bytes.count, radix: 16) + "\r\n").utf8)
            guard write(wsi, size + bytes + [13, 10], LWS_WRITE_HTTP) else { return -1 }
        case .end:
            socket.phase = .awaitingRequest
            stream.markClosed()
            handlers.streamClosed(stream)
            guard write(wsi, Array("0\r\n\r\n".utf8), LWS_WRITE_HTTP_FINAL) else { return -1 }
            return completeTransaction(wsi, key)
        case .whole(let response):
            socket.phase = .awaitingRequest
            stream.markClosed()
            handlers.streamClosed(stream)
            return respond(wsi, key, response, head: false)
        case .abort:
            return -1  // LWS_CALLBACK_CLOSED_HTTP reports the stream closed
        }
        handlers.streamWritten(stream)
        if stream.hasPending { lws_callback_on_writable(wsi) }
        return 0
    }

    /// Writes the headers now and the body from LWS_CALLBACK_HTTP_WRITEABLE.
    func respond(_ wsi: OpaquePointer, _ key: UInt, _ response: HTTPResponse, head: Bool) -> Int32 {
        guard writeHeaders(wsi, response) else { return -1 }
        if response.body.isEmpty || head { return completeTransaction(wsi, key) }
        socket(key).phase = .responding(response, sent: 0)
        lws_callback_on_writable(wsi)
        return 0
    }

    func writeResponseChunk(_ wsi: OpaquePointer, _ key: UInt) -> Int32 {
        guard let socket = sockets[key], case .responding(let response, let sent) = socket.phase else { return 0 }
        let count = min(Self.httpChunkBytes, response.body.count - sent)
        let isLast = sent + count == response.body.count
        guard write(wsi, response.body[sent..<(sent + count)], isLast ? LWS_WRITE_HTTP_FINAL : LWS_WRITE_HTTP) else { return -1 }
        guard isLast else {
            socket.phase = .responding(response, sent: sent + count)
            lws_callback_on_writable(wsi)
            return 0
        }
        socket.phase = .awaitingRequest
        return completeTransaction(wsi, key)
    }

    /// `contentLength` UInt64.max: none (libwebsockets then adds `Connection: close`).
    func writeHeaders(_ wsi: OpaquePointer, _ response: HTTPResponse, contentLength: UInt64? = nil) -> Bool {
        let extra = response.headers.reduce(0) { $0 + $1.key.utf8.count + $1.value.utf8.count + 8 }
        var buffer = [UInt8](repeating: 0, count: pre + 512 + response.contentType.utf8.count + extra)
        return buffer.withUnsafeMutableBufferPointer { buffer in
            let start = buffer.baseAddress! + pre
            let end = buffer.baseAddress! + buffer.count - 1
            var p: UnsafeMutablePointer<UInt8>? = start
            guard lws_add_http_common_headers(wsi, UInt32(clamping: response.status), response.contentType,
                                              contentLength ?? UInt64(response.body.count), &p, end) == 0 else { return false }
            for (name, value) in response.headers {
                let cName = Array((name.hasSuffix(":") ? name : name + ":").utf8) + [0]
                let cValue = Array(value.utf8)
                guard lws_add_http_header_by_name(wsi, cName, cValue, Int32(cValue.count), &p, end) == 0
                else { return false }
            }
            return lws_finalize_write_http_header(wsi, start, &p, end) == 0
        }
    }

    /// `lws_write` with LWS_PRE bytes of headroom in front of a copy of `payload`.
    func write(_ wsi: OpaquePointer, _ payload: some Collection<UInt8>, _ mode: lws_write_protocol) -> Bool {
        var frame = [UInt8](repeating: 0, count: pre + payload.count)
        frame.replaceSubrange(pre..., with: payload)
        let written = frame.withUnsafeMutableBufferPointer { buffer in
            lws_write(wsi, buffer.baseAddress! + pre, payload.count, mode)
        }
        return written >= 0
    }

    func readRequest(_ wsi: OpaquePointer, isWebSocketUpgrade: Bool) -> HTTPRequest {
        var uri: UnsafeMutablePointer<CChar>?
        var uriLength: Int32 = 0
        let method = lws_http_get_uri_and_method(wsi, &uri, &uriLength)
        let methods = ["GET", "POST", "OPTIONS", "PUT", "PATCH", "DELETE", "CONNECT", "HEAD"]
        let path = uri.map { String(decoding: UnsafeRawBufferPointer(start: $0, count: Int(uriLength)), as: UTF8.self) }
        var request = HTTPRequest(
            method: methods.indices.contains(Int(method)) ? methods[Int(method)] : "GET", path: path ?? "/",
            isWebSocketUpgrade: isWebSocketUpgrade)

        var index: Int32 = 0
        while case let length = lws_hdr_fragment_length(wsi, WSI_TOKEN_HTTP_URI_ARGS, index), length > 0 {
            let argument = copyString(capacity: Int(length) + 1) {
                lws_hdr_copy_fragment(wsi, $0, $1, WSI_TOKEN_HTTP_URI_ARGS, index)
            }
            let parts = argument.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            request.query[String(parts[0])] = parts.count > 1 ? String(parts[1]) : ""
            index += 1
        }
        for raw in 0..<WSI_TOKEN_COUNT.rawValue {
            let token = lws_token_indexes(rawValue: raw)
            guard let cName = lws_token_to_string(token) else { continue }
            let name = String(cString: cName)
            guard name.count > 1, name.hasSuffix(":"), !name.hasPrefix(":") else { continue }  // not a method or pseudo-header
            let length = lws_hdr_total_length(wsi, token)
            guard length > 0 else { continue }
            request.headers[String(name.dropLast()).lowercased()] = copyString(capacity: Int(length) + 64) {
                lws_hdr_copy(wsi, $0, $1, token)
            }
        }
        for name in configuration.customHeaderNames {
            let cName = name.lowercased() + ":"
            let length = lws_hdr_custom_length(wsi, cName, Int32(cName.utf8.count))
            guard length >= 0 else { continue }
            request.headers[name.lowercased()] = copyString(capacity: Int(length) + 1) {
                lws_hdr_custom_copy(wsi, $0, $1, cName, Int32(cName.utf8.count))
            }
        }
        request.peer = copyString(capacity: 128) { lws_get_peer_simple(wsi, $0, Int($1)) == nil ? -1 : 0 }
        return request
    }

    /// Runs `copy(buffer, capacity)` (negative result: failure) and reads a C string back.
    func copyString(capacity: Int, _ copy: (UnsafeMutablePointer<CChar>, Int32) -> Int32) -> String {
        var buffer = [CChar](repeating: 0, count: capacity)
        let status = buffer.withUnsafeMutableBufferPointer { copy($0.baseAddress!, Int32(capacity)) }
        guard status >= 0 else { return "" }
        return String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }
}
