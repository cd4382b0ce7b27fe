// VhostMemory.swift: the C memory a libwebsockets vhost points at (its protocol table, the
// protocol's name, the interface to bind), which must outlive the context. The WebSocket/HTTP
// vhost (EventLoop) and the raw TCP one (RawVhost) each own one.
import CWebSockets
#if canImport(Glibc)
import Glibc
#endif

final class VhostMemory {
    let protocols: UnsafeMutablePointer<lws_protocols>  // [2]: the vhost's protocol, then the terminator
    let name: UnsafeMutablePointer<CChar>
    /// nil: every interface.
    let iface: UnsafeMutablePointer<CChar>?

    /// `runsPostedWork`: whether this vhost's callbacks also run the loop's posted work (one vhost does).
    init(protocolName: String, host: String, runsPostedWork: Bool) {
        name = strdup(protocolName)!
        iface = ["", "*", "0.0.0.0", "::"].contains(host) ? nil : strdup(host)
        protocols = .allocate(capacity: 2)
        protocols.initialize(repeating: lws_protocols(), count: 2)
        protocols[0].name = UnsafePointer(name)
        if runsPostedWork {
            protocols[0].callback = { EventLoop.callback($0, $1, $2, $3, $4, runsPostedWork: true) }
        } else {
            protocols[0].callback = { EventLoop.callback($0, $1, $2, $3, $4, runsPostedWork: false) }
        }
        protocols[0].rx_buffer_size = 65536
    }

    deinit {
        protocols.deinitialize(count: 2)
        protocols.deallocate()
        free(name)
        free(iface)
    }
}
