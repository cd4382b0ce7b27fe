import Testing
@testable import PocketTTS
