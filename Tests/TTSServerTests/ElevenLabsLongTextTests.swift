import Testing
@testable import TTSServer

/// ElevenLabs' `{"text": <10,000 characters>, "flush": true}` costs the event loop one slice per
/// pass, like any long text (SessionMachine+Slices.swift): the flush waits for the text to be
/// segmented (the adapter's `.resume`), instead of segmenting the rest in the message's pass.
@Suite struct ElevenLabsLongTextTests {
    private typealias Action = SessionMachine.Action

    /// The glue's rules (TTSService+Sessions.swift `carryOut`/`onContinueText`) over a machine and
    /// an adapter, one loop pass at a time: a `.resume` waits while the machine has unsegmented text.
    private struct Loop {
        var machine: SessionMachine
        var adapter: ElevenLabsAdapter
        var resumeDeferred = false

        mutating func carryOut(_ steps: [WireStep]) -> [Action] {
            var actions: [Action] = []
            for step in steps {
                switch step {
                case .machine(let message): actions += machine.onMessage(message, now: 1)
                case .resume:
                    if machine.hasUnsegmentedText { resumeDeferred = true } else { actions += carryOut(adapter.resume(state: machine.state)) }
                default: break
                }
            }
            return actions
        }

        /// The next loop pass of the long text (`continueText`).
        mutating func nextPass() -> [Action] {
            var actions = machine.onContinueText(now: 1)
            if !machine.hasUnsegmentedText, resumeDeferred {
                resumeDeferred = false
                actions += carryOut(adapter.resume(state: machine.state))
            }
            return actions
        }
    }

    private static func spokenScalars(_ actions: [Action]) -> Int {
        actions.reduce(0) { if case .speak(let text, _) = $1 { $0 + text.unicodeScalars.count } else { $0 } }
    }

    @Test func aLongTextWithFlushIsSegmentedASliceAPass() throws {
        let settings = ProtocolSettings(maxTextMessageCharacters: 20_000, maxTurnTextCharacters: 200_000)
        var machine = SessionMachine(configuration: .init(protocolSettings: settings, voices: ["alba"]),
                                     random: SystemRandomNumberGenerator(), now: 0)
        var adapter = ElevenLabsAdapter(request: HTTPRequest(method: "GET", path: "/v1/text-to-speech/alba/stream-input",
                                                             query: ["output_format": "pcm_24000"], isWebSocketUpgrade: true),
                                        context: WireContext(settings: settings, voices: ["alba"]))
        let opened = adapter.receive(.text(#"{"text":" "}"#), state: machine.state)
        guard case .machine(.config(let config))? = opened.first else { Issue.record("\(opened)"); return }
        _ = machine.onMessage(.config(config), now: 0)
        _ = machine.onTurnStarted(turn: 1, now: 0)
        var loop = Loop(machine: machine, adapter: adapter)

        let text = String(repeating: "The river was calm, and the boats went by. ", count: 233)  // 10,019 scalars
        let steps = loop.adapter.receive(.text("{\"text\":\"\(text)\",\"flush\":true}"), state: loop.machine.state)
        #expect(!steps.contains(.machine(.flush)))  // it waits for the text
        var passes = [loop.carryOut(steps)]
        while loop.machine.hasUnsegmentedText, passes.count < 1_000 { passes.append(loop.nextPass()) }

        // One slice per pass, each pass's work bounded whatever the message's length; before, the
        // flush segmented the other 9,955 characters (and spoke them) in the message's own pass.
        #expect(passes.count == (text.unicodeScalars.count + 1 + SessionMachine.textSliceScalars - 1) / SessionMachine.textSliceScalars)
        let boundPerPass = SessionMachine.textSliceScalars + config.maxTokens * 8
        for (index, pass) in passes.enumerated() {
            #expect(Self.spokenScalars(pass) <= boundPerPass, "pass \(index)")
        }
        // The flush came once the text was segmented, in the last pass: the turn ends, nothing lost.
        #expect(passes.last?.last == .finishTurn(turn: 1))
        #expect(passes.dropLast().allSatisfy { !$0.contains(.finishTurn(turn: 1)) })
        let words = passes.joined().compactMap { if case .speak(let text, _) = $0 { text } else { nil } }
            .joined(separator: " ").split(separator: " ").count
        #expect(words == text.split(separator: " ").count)
    }
}
