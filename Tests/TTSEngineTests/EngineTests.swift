import Testing
@testable import TTSEngine
