@testable import TTSServer

extension SessionMachine {
    /// A native text frame as a session sees it: parsed by `NativeAdapter`, then handed to the
    /// machine. A frame the adapter refuses never reaches the machine (nothing happens to it:
    /// the adapter's own answer is tested in NativeAdapterTests).
    mutating func onNativeFrame(_ frame: String, now: Double) -> [Action] {
        guard let message = try? NativeAdapter.parse(frame, settings: configuration.protocolSettings) else { return [] }
        return onMessage(message, now: now)
    }
}
