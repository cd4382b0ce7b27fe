// EventLoop+WebSocket.swift: WebSocket connections on the loop thread: the upgrade, the
// reassembly of client messages (with the unmasked-frame check, FrameMaskGuard.swift), and the
// writes of the outbox one item per writeable callback (raw connections share those writes).
import CWebSockets

extension EventLoop {
    func onUpgradeRequest(_ wsi: OpaquePointer, _ key: UInt, _ input: UnsafeMutableRawPointer?) -> Int32 {
        guard let input, String(cString: input.assumingMemoryBound(to: CChar.self)).lowercased() == "websocket"
        else { return -1 }  // no h2c
        let request = readRequest(wsi, isWebSocketUpgrade: true)
        if !isSelfTest(wsi), let refusal = handlers.upgrade(request) {
            // Answer, then hang up: the socket never becomes a WebSocket. Written raw: lws has
            // not parsed the request version on this path and would answer "HTTP/1.0", which
            // WebSocket clients reject.
            _ = write(wsi, refusal.rawHTTP11(), LWS_WRITE_HTTP_FINAL)
            return -1
        }
        socket(key).phase = .upgrading(request)
        return 0
    }

    func onOpen(_ wsi: OpaquePointer, _ key: UInt) -> Int32 {
        let socket = self.socket(key)
        let request: HTTPRequest = if case .upgrading(let accepted) = socket.phase { accepted } else {
            readRequest(wsi, isWebSocketUpgrade: true)
        }
        let waker = self.waker
        if isSelfTest(wsi) {
            let connection = WebSocketConnection(id: 0, request: request, outboxCapacity: 4, wake: { waker.wake(socket: key) })
            socket.phase = .selfTest(OpenConnection(connection, pauseLevel: configuration.pauseReadingLevel))
            return 0
        }
        let connection = WebSocketConnection(
            id: nextConnectionID, request: request, outboxCapacity: configuration.outboxCapacity,
            wake: { waker.wake(socket: key) })
        nextConnectionID += 1
        let maxBytes = configuration.maxMessageBytesByPath[request.path] ?? configuration.maxMessageBytes
        socket.phase = .webSocket(OpenConnection(connection, pauseLevel: configuration.pauseReadingLevel),
                                  MessageAssembly(maxBytes: maxBytes))
        handlers.open(connection)
        return 0
    }

    func onReceive(_ wsi: OpaquePointer, _ key: UInt, _ input: UnsafeMutableRawPointer?, _ length: Int) -> Int32 {
        guard let socket = sockets[key] else { return -1 }
        let open: OpenConnection, message: MessageAssembly
        switch socket.phase {
        case .webSocket(let socketOpen, let assembly): (open, message) = (socketOpen, assembly)
        case .selfTest(let probe): return onSelfTestReceive(key, probe)
        default: return -1
        }
        let connection = open.connection
        let isMessageEnd = lws_is_final_fragment(wsi) != 0
        if message.discarding {
            // Drain an oversized message, then close: a client busy sending it reads the close
            // once it is done, instead of meeting a reset in the middle of its send.
            if isMessageEnd { closeOversized(message, connection) }
            return 0
        }
        if connection.outbox.isClosing { return 0 }  // closing: nothing more is handed on
        if receivedUnmaskedFrame(key) {
            connection.close(code: 1002, reason: "client frames must be masked")  // RFC 6455 5.1
            return 0
        }
        if lws_is_first_fragment(wsi) != 0 {
            message.bytes.removeAll(keepingCapacity: true)
            message.isBinary = lws_frame_is_binary(wsi) != 0
        }
        if message.bytes.count + length > message.maxBytes {
            message.bytes = []
            if isMessageEnd {
                closeOversized(message, connection)
            } else {
                message.discarding = true
                dropAfter(configuration.drainTimeoutSeconds, key, connection)  // however long the rest takes
            }
            return 0
        }
        if let input, length > 0 {
            message.bytes.append(contentsOf: UnsafeRawBufferPointer(start: input, count: length))
        }
        guard isMessageEnd else { return 0 }
        let bytes = message.bytes
        message.bytes = []
        let whole: WebSocketMessage = message.isBinary ? .binary(bytes) : .text(String(decoding: bytes, as: UTF8.self))
        if let ready = open.input.admit(whole, pending: connection.inputGateLevel) { handlers.message(connection, ready) }
        if open.input.shouldPause(pending: connection.inputGateLevel) { lws_rx_flow_control(wsi, 0) }
        return 0
    }

    /// True once the socket `key` has received an unmasked frame (FrameMaskGuard).
    func receivedUnmaskedFrame(_ key: UInt) -> Bool {
        guard let descriptor = maskGuarded[key] else { return false }
        return FrameMaskGuard.receivedUnmaskedFrame(descriptor)
    }

    private func closeOversized(_ message: MessageAssembly, _ connection: WebSocketConnection) {
        message.discarding = false
        connection.close(code: 1009, reason: "message exceeds \(message.maxBytes) bytes")
    }

    /// After a write: hands on held messages while the outbox has room, then reads again.
    private func releaseInput(_ wsi: OpaquePointer, _ open: OpenConnection, toHandlers: Bool) {
        let connection = open.connection
        if connection.outbox.isClosing {
            if open.input.closing() { lws_rx_flow_control(wsi, 1) }  // the peer's close must be read
            return
        }
        while let message = open.input.release(pending: connection.inputGateLevel) {
            if toHandlers { handlers.message(connection, message) }
        }
        if open.input.shouldResume(pending: connection.inputGateLevel) { lws_rx_flow_control(wsi, 1) }
    }

    /// One outbox item per writeable callback (WebSocket, raw and self-test connections); asks
    /// for another while items remain.
    func onWriteable(_ wsi: OpaquePointer, _ key: UInt) -> Int32 {
        guard let socket = sockets[key], let open = socket.open else { return 0 }
        let connection = open.connection
        // A raw TCP connection: bytes as they are (LWS_WRITE_RAW, a macro Swift does not see, is
        // LWS_WRITE_HTTP), no control frames. The self-test's connection is no one's.
        var isRaw = false, toHandlers = true
        switch socket.phase {
        case .raw: isRaw = true
        case .selfTest: toHandlers = false
        default: break
        }
        guard let item = connection.outbox.next() else {
            releaseInput(wsi, open, toHandlers: toHandlers)  // woken by `releaseInput`
            return 0
        }
        switch item {
        case .message(.text(let text)):
            guard write(wsi, text.utf8, isRaw ? LWS_WRITE_HTTP : LWS_WRITE_TEXT) else { return -1 }
        case .message(.binary(let bytes)):
            guard write(wsi, bytes, isRaw ? LWS_WRITE_HTTP : LWS_WRITE_BINARY) else { return -1 }
        case .ping:
            guard isRaw || write(wsi, [UInt8](), LWS_WRITE_PING) else { return -1 }
        case .close(let code, let reason):
            if open.input.closing() { lws_rx_flow_control(wsi, 1) }  // the peer's close must be read
            if !isRaw { setCloseReason(wsi, code: code, reason: reason) }
            return -1
        }
        if toHandlers { handlers.written(connection) }
        releaseInput(wsi, open, toHandlers: toHandlers)
        if !connection.outbox.isEmpty { lws_callback_on_writable(wsi) }
        return 0
    }

    private func setCloseReason(_ wsi: OpaquePointer, code: UInt16, reason: String) {
        var bytes = Array(reason.utf8.prefix(123))  // a close frame carries at most 125 bytes
        while String(validating: bytes, as: UTF8.self) == nil { bytes.removeLast() }
        lws_close_reason(wsi, lws_close_status(rawValue: UInt32(code)), &bytes, bytes.count)
    }
}
