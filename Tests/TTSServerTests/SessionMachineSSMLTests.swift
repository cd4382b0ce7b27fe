import Testing
@testable import TTSServer

/// `ssml: true` turns in the session machine: text kept until the flush, pieces in order with
/// marks between them, `invalid_ssml` ending the turn only.
@Suite struct SessionMachineSSMLTests {
    private struct Counting: RandomNumberGenerator, Sendable {
        var count: UInt64 = 0
        mutating func next() -> UInt64 { count += 1; return count }
    }

    private static func jsonText(_ text: String) -> String {
        let escaped = text.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"")
        return "{\"type\":\"text\",\"data\":{\"text\":\"\(escaped)\"}}"
    }

    /// A machine with an accepted SSML turn.
    private static func ssmlTurn() -> SessionMachine {
        let configuration = SessionMachine.Configuration(voices: ["alba"])
        var machine = SessionMachine(configuration: configuration, random: Counting(), now: 0)
        _ = machine.onNativeFrame("{\"type\":\"config\",\"data\":{\"ssml\":true}}", now: 1)
        _ = machine.onTurnStarted(turn: 1, now: 1)
        return machine
    }

    /// Runs the machine's `continueText` passes to the end; all the actions.
    private static func drain(_ machine: inout SessionMachine, _ first: [SessionMachine.Action]) -> [SessionMachine.Action] {
        var actions = first
        var passes = 0
        while actions.last == .continueText || machine.hasUnsegmentedText, passes < 10_000 {
            actions += machine.onContinueText(now: 2)
            passes += 1
        }
        return actions.filter { $0 != .continueText }
    }

    @Test func configParsesSSML() throws {
        let config = try TurnConfig.parse(["ssml": .bool(true)], settings: ProtocolSettings())
        #expect(config.ssml)
        #expect(try TurnConfig.parse([:], settings: ProtocolSettings()).ssml == false)
        #expect(throws: ProtocolError.self) { try TurnConfig.parse(["ssml": .string("yes")], settings: ProtocolSettings()) }
    }

    @Test func textWaitsForTheFlushThenPiecesAndMarksGoInOrder() {
        var machine = Self.ssmlTurn()
        // The document arrives in two messages, split inside a tag: nothing is spoken before the flush.
        #expect(machine.onNativeFrame(Self.jsonText("<speak>Hello there.<break ti"), now: 2).isEmpty)
        #expect(machine.onNativeFrame(Self.jsonText("me=\"500ms\"/><prosody rate=\"slow\">Good bye.</prosody></speak>"), now: 2).isEmpty)
        let actions = Self.drain(&machine, machine.onNativeFrame("{\"type\":\"flush\"}", now: 2))
        #expect(actions == [
            .speak("Hello there.", turn: 1), .mark(.silence(seconds: 0.5), turn: 1), .mark(.rate(0.75), turn: 1),
            .speak("Good bye.", turn: 1), .finishTurn(turn: 1),
        ])
        #expect(machine.state == .draining)
        #expect(!machine.hasUnsegmentedText)
    }

    @Test func unknownTagsAndPhonemeWarnOnce() {
        var machine = Self.ssmlTurn()
        _ = machine.onNativeFrame(Self.jsonText("<speak><foo>A</foo><foo>B</foo><phoneme ph=\"x\">C</phoneme>.</speak>"), now: 2)
        let actions = Self.drain(&machine, machine.onNativeFrame("{\"type\":\"flush\"}", now: 2))
        let warnings = actions.compactMap { if case .warning(let text, _) = $0 { text } else { nil } }
        #expect(warnings.count == 2)
        #expect(warnings.first?.contains("<foo>") == true)
        #expect(actions.contains(.speak("ABC.", turn: 1)))
    }

    @Test func malformedSSMLEndsTheTurnAndTheSessionGoesOn() {
        var machine = Self.ssmlTurn()
        _ = machine.onNativeFrame(Self.jsonText("<speak>Hello <prosody rate=\"fast\">there.</speak>"), now: 2)
        let actions = machine.onNativeFrame("{\"type\":\"flush\"}", now: 2)
        #expect(actions.contains(.cancelTurn(turn: 1)))
        let codes = actions.compactMap { if case .send(.error(let error)) = $0 { error.code } else { nil } }
        #expect(codes == [.invalidSSML])
        #expect(machine.state == .awaitingConfig)
        // A new turn starts and speaks.
        let next = machine.onNativeFrame("{\"type\":\"config\",\"data\":{\"ssml\":true}}", now: 3)
        #expect(next.contains { if case .startTurn = $0 { true } else { false } })
    }

    @Test func longSSMLTextIsSegmentedASliceAtATime() {
        var machine = Self.ssmlTurn()
        let sentence = "This is a sentence of several words. "
        let body = String(repeating: sentence, count: 40)
        _ = machine.onNativeFrame(Self.jsonText("<speak>\(body)<break/>\(body)</speak>"), now: 2)
        let first = machine.onNativeFrame("{\"type\":\"flush\"}", now: 2)
        #expect(first.last == .continueText)  // not all at once
        #expect(machine.hasUnsegmentedText)
        let actions = Self.drain(&machine, first)
        let spoken = actions.compactMap { if case .speak(let text, _) = $0 { text } else { nil } }
        #expect(spoken.joined(separator: " ").split(separator: " ").count == 2 * 40 * 7)
        let markIndex = actions.firstIndex(of: .mark(.silence(seconds: 0.5), turn: 1))
        #expect(markIndex != nil)
        #expect(actions.last == .finishTurn(turn: 1))
    }

    @Test func plainTurnsAreUnchanged() {
        let configuration = SessionMachine.Configuration(voices: ["alba"])
        var machine = SessionMachine(configuration: configuration, random: Counting(), now: 0)
        _ = machine.onNativeFrame("{\"type\":\"config\",\"data\":{}}", now: 1)
        _ = machine.onTurnStarted(turn: 1, now: 1)
        _ = machine.onNativeFrame(Self.jsonText("<speak>Hi.</speak>"), now: 2)
        let actions = machine.onNativeFrame("{\"type\":\"flush\"}", now: 2)
        #expect(actions.contains(.speak("<speak>Hi.</speak>", turn: 1)))
    }
}
