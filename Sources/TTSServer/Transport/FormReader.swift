// FormReader.swift: form bodies (urlencoded and multipart) parsed by libwebsockets' lws_spa as
// they arrive, for the event loop's HTTP requests (EventLoop+HTTP.swift).
import CWebSockets
#if canImport(Glibc)
import Glibc
#endif

/// A form body parsed as it arrives by libwebsockets' `lws_spa` (urlencoded and multipart):
/// fields named in `fieldNames` are kept (up to `fieldBytes`), uploaded files are collected
/// through the spa's file callback (up to `limit` bytes in all).
final class FormReader {
    private let fieldNames: [String]
    private let cNames: UnsafeMutablePointer<UnsafePointer<CChar>?>
    private var spa: OpaquePointer?
    private var files: [String: HTTPFormFile] = [:]
    private var fileBytes = 0
    private let limit: Int
    private(set) var overflow = false
    private var failed = false

    static func isForm(_ contentType: String?) -> Bool {
        guard let type = contentType?.lowercased() else { return false }
        return type.hasPrefix("multipart/form-data") || type.hasPrefix("application/x-www-form-urlencoded")
    }

    init(_ wsi: OpaquePointer, fieldNames: [String], fieldBytes: Int, limit: Int) {
        self.fieldNames = fieldNames
        self.limit = limit
        cNames = .allocate(capacity: max(1, fieldNames.count))
        for (i, name) in fieldNames.enumerated() { cNames[i] = UnsafePointer(strdup(name)) }
        var info = lws_spa_create_info_t()
        info.param_names = UnsafePointer(cNames)
        info.count_params = Int32(fieldNames.count)
        info.max_storage = Int32(clamping: max(512, fieldBytes))
        info.opt_data = Unmanaged.passUnretained(self).toOpaque()
        info.opt_cb = { data, name, filename, buffer, length, state in
            guard let data else { return -1 }
            let reader = Unmanaged<FormReader>.fromOpaque(data).takeUnretainedValue()
            return reader.onFile(name: name.map { String(cString: $0) } ?? "", filename: filename.map { String(cString: $0) } ?? "",
                                 buffer, Int(length), state)
        }
        spa = lws_spa_create_via_info(wsi, &info)
        failed = spa == nil
    }

    deinit {
        if let spa { lws_spa_destroy(spa) }
        for i in fieldNames.indices { free(UnsafeMutablePointer(mutating: cNames[i])) }
        cNames.deallocate()
    }

    func process(_ input: UnsafeMutableRawPointer, _ length: Int) {
        guard let spa, !failed, !overflow else { return }
        if lws_spa_process(spa, input.assumingMemoryBound(to: CChar.self), Int32(length)) != 0 { failed = true }
    }

    /// The form, or nil if the body was malformed.
    func finish() -> HTTPForm? {
        guard let spa, !failed else { return nil }
        lws_spa_finalize(spa)
        guard !failed else { return nil }
        var fields: [String: String] = [:]
        for (i, name) in fieldNames.enumerated() {
            guard let value = lws_spa_get_string(spa, Int32(i)) else { continue }
            let length = Int(lws_spa_get_length(spa, Int32(i)))
            fields[name] = String(decoding: UnsafeRawBufferPointer(start: value, count: length), as: UTF8.self)
        }
        return HTTPForm(fields: fields, files: files)
    }

    private func onFile(name: String, filename: String, _ buffer: UnsafeMutablePointer<CChar>?, _ length: Int,
                        _ state: lws_spa_fileupload_states) -> Int32 {
        switch state {
        case LWS_UFS_OPEN:
            files[name] = HTTPFormFile(filename: filename, bytes: [])
        case LWS_UFS_CONTENT, LWS_UFS_FINAL_CONTENT:
            guard let buffer, length > 0 else { return 0 }
            fileBytes += length
            guard fileBytes <= limit else {
                overflow = true
                return -1
            }
            files[name, default: HTTPFormFile(filename: filename, bytes: [])].bytes
                .append(contentsOf: UnsafeRawBufferPointer(start: buffer, count: length))
        default:
            break
        }
        return 0
    }
}
