// AddressInUse.swift: names a listen failure (plain sockets, no libwebsockets).
#if canImport(Glibc)
import Glibc
#endif

/// Whether binding `host:port` fails with EADDRINUSE (to name a listen failure).
func addressInUse(host: String, port: Int) -> Bool {
    var hints = addrinfo()
    hints.ai_flags = AI_PASSIVE | AI_NUMERICHOST
    hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
    var found: UnsafeMutablePointer<addrinfo>?
    let node = ["", "*"].contains(host) ? "0.0.0.0" : host
    guard getaddrinfo(node, String(port), &hints, &found) == 0, let address = found else { return false }
    defer { freeaddrinfo(found) }
    let fd = socket(address.pointee.ai_family, Int32(SOCK_STREAM.rawValue), 0)
    guard fd >= 0 else { return false }
    defer { close(fd) }
    var yes: Int32 = 1
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &yes, socklen_t(MemoryLayout<Int32>.size))
    return bind(fd, address.pointee.ai_addr, address.pointee.ai_addrlen) != 0 && errno == EADDRINUSE
}
