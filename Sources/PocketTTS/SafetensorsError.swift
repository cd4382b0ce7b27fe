/// Everything that can go wrong reading or writing a safetensors file, with the file path and,
/// where there is one, the tensor name.
public enum SafetensorsError: Error, Equatable, CustomStringConvertible {
    /// No file at `path`.
    case fileNotFound(path: String)
    /// The file exists but could not be opened, mapped or written.
    case io(path: String, operation: String, reason: String)
    /// The 8-byte little-endian header length is missing, zero, over 100 MB or past the end
    /// of the file: not a safetensors file.
    case invalidHeaderLength(path: String, headerLength: UInt64, fileSize: Int)
    /// The header is not a JSON object of the safetensors form (reason says where).
    case invalidHeader(path: String, reason: String)
    /// A tensor has a dtype this package does not handle (only F32, BF16, F16).
    case unsupportedDType(path: String, tensor: String, dtype: String)
    /// A tensor's `data_offsets` are not `[begin, end]` with `0 <= begin <= end`.
    case invalidOffsets(path: String, tensor: String, offsets: [Int])
    /// A tensor's byte range does not hold `shape` elements of its dtype.
    case sizeMismatch(path: String, tensor: String, shape: [Int], dtype: String, expectedBytes: Int, actualBytes: Int)
    /// Two tensors' byte ranges overlap.
    case overlappingTensors(path: String, tensor: String, other: String)
    /// Bytes between tensors (or after the last one) that no tensor covers.
    case uncoveredBytes(path: String, offset: Int, count: Int)
    /// The data section is shorter than the header says: the file was cut short.
    case truncated(path: String, expectedDataBytes: Int, actualDataBytes: Int)
    /// A tensor asked for by name is not in the file.
    case missingTensor(path: String, tensor: String)
    /// Writing: a name was added twice, or is the reserved `__metadata__`.
    case invalidTensorName(String)
    /// Writing: `values.count` does not match the shape.
    case valueCountMismatch(tensor: String, shape: [Int], count: Int)
    /// Writing: the dtype cannot be written (only F32 and BF16 are).
    case unwritableDType(tensor: String, dtype: SafetensorsDType)

    public var description: String {
        switch self {
        case .fileNotFound(let path):
            "\(path): no such file"
        case .io(let path, let operation, let reason):
            "\(path): \(operation) failed: \(reason)"
        case .invalidHeaderLength(let path, let headerLength, let fileSize):
            "\(path): not a safetensors file (header length \(headerLength) in a file of \(fileSize) bytes)"
        case .invalidHeader(let path, let reason):
            "\(path): not a safetensors file (bad header: \(reason))"
        case .unsupportedDType(let path, let tensor, let dtype):
            "\(path): tensor '\(tensor)' has unsupported dtype \(dtype) (supported: F32, BF16, F16)"
        case .invalidOffsets(let path, let tensor, let offsets):
            "\(path): tensor '\(tensor)' has invalid data_offsets \(offsets)"
        case .sizeMismatch(let path, let tensor, let shape, let dtype, let expected, let actual):
            "\(path): tensor '\(tensor)' [\(dtype) \(shape)] needs \(expected) bytes but its offsets span \(actual)"
        case .overlappingTensors(let path, let tensor, let other):
            "\(path): tensors '\(other)' and '\(tensor)' overlap"
        case .uncoveredBytes(let path, let offset, let count):
            "\(path): \(count) data bytes at offset \(offset) belong to no tensor"
        case .truncated(let path, let expected, let actual):
            "\(path): truncated: header describes \(expected) data bytes, file has \(actual)"
        case .missingTensor(let path, let tensor):
            "\(path): no tensor named '\(tensor)'"
        case .invalidTensorName(let name):
            "tensor name '\(name)' is reserved or already used"
        case .valueCountMismatch(let tensor, let shape, let count):
            "tensor '\(tensor)': \(count) values do not fill shape \(shape)"
        case .unwritableDType(let tensor, let dtype):
            "tensor '\(tensor)': writing \(dtype.rawValue) is not supported (F32, BF16 only)"
        }
    }
}
