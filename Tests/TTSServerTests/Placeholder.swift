import Testing
@testable import TTSServer
