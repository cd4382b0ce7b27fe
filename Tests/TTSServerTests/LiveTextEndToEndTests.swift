import Foundation
import PocketTTS
import Testing
@testable import TTSServer

/// Live text through the whole service (real server, real engine over the tiny model): text
/// still arriving is spoken in bounded chunks before any flush.
@Suite struct LiveTextEndToEndTests {
    /// A caption feed: words one by one, no punctuation, no flush for a while. The buffer delay
    /// hands them over in groups of at least 3 words, and audio comes back before the flush.
    @Test func captionWordsAreSpokenBeforeTheFlush() throws {
        let fixture = try EngineServiceFixture()
        defer { fixture.stop() }
        let client = try fixture.connect()
        try client.config("\"format\":\"pcm_f32\",\"temperature\":0,\"max_buffer_delay_ms\":200")
        _ = try client.expectAccepted()
        let words = "the quiet river runs past the old mill and on".split(separator: " ")
        for word in words {
            try client.text("\(word) ")
            Thread.sleep(forTimeInterval: 0.08)  // about speaking pace
        }
        // No flush yet: the audio of the first words comes all the same.
        guard case .audio = try client.next() else { Issue.record("no audio before the flush"); return }
        try client.flush()
        let rest = try client.collectTurn().audio
        #expect(!rest.isEmpty || fixture.spoken.chunks.withLock { $0.count } == 1)

        let chunks = fixture.spoken.chunks.withLock { $0 }
        #expect(chunks.count >= 2, "\(chunks)")
        // Every chunk but the last (the flush) has at least 3 words; all words, once, in order.
        for chunk in chunks.dropLast() { #expect(chunk.split(separator: " ").count >= 3, "\(chunks)") }
        #expect(chunks.flatMap { $0.split(separator: " ") } == words)
    }

    /// Three words and then nothing: the deadline's timer on the event loop speaks them.
    @Test func aDeadlineSpeaksWithoutMoreText() throws {
        let fixture = try EngineServiceFixture()
        defer { fixture.stop() }
        let client = try fixture.connect()
        try client.config("\"format\":\"pcm_f32\",\"temperature\":0,\"max_buffer_delay_ms\":150")
        _ = try client.expectAccepted()
        try client.text("the quiet river ")
        guard case .audio = try client.next() else { Issue.record("no audio without a flush"); return }
        #expect(fixture.spoken.chunks.withLock { $0 } == ["the quiet river"])
        try client.flush()
        #expect(try client.collectTurn().audio.count + 1 == (try TinyModel.frames("the quiet river")).count)
    }

    /// A run-on text (no sentence end) sent in large pieces: no chunk over the turn's
    /// `max_tokens`, the first ones spoken before the flush, every word spoken once.
    @Test func runOnTextIsSpokenInBoundedChunks() throws {
        let fixture = try EngineServiceFixture()
        defer { fixture.stop() }
        let client = try fixture.connect()
        try client.config("\"format\":\"pcm_f32\",\"temperature\":0,\"max_tokens\":16,\"max_buffer_delay_ms\":10000")
        _ = try client.expectAccepted()
        let words = (0..<48).map { ["and", "the", "river", "ran", "on", "past", "fields"][$0 % 7] }
        for piece in stride(from: 0, to: words.count, by: 20) {
            try client.text(words[piece..<min(piece + 20, words.count)].joined(separator: " ") + " ")
        }
        // The cap releases chunks while the turn is open.
        guard case .audio = try client.next() else { Issue.record("no audio before the flush"); return }
        try client.flush()
        _ = try client.collectTurn()

        let chunks = fixture.spoken.chunks.withLock { $0 }
        let counter = fixture.adapter.tokenCounter
        #expect(chunks.count >= 4, "\(chunks)")
        for chunk in chunks { #expect(counter.tokenCount(chunk) <= 16, "\(chunk)") }
        #expect(chunks.flatMap { $0.split(separator: " ").map(String.init) } == words)
        #expect(fixture.adapter.openTurnCount == 0)
    }
}
