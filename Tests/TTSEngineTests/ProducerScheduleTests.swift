import Testing
@testable import TTSEngine

/// `ProducerSchedule`: new streams first, streams far ahead wait a tick while one awaits its first audio.
struct ProducerScheduleTests {
    typealias S = ProducerSchedule.Stream

    @Test func promptsGoMostUrgentFirstThenOldest() {
        let schedule = ProducerSchedule(streams: [
            S(isPrompting: true, isStepping: false, lead: 2.0),  // a later chunk, well ahead
            S(isPrompting: true, isStepping: false, lead: nil),  // a new stream
            S(isPrompting: true, isStepping: false, lead: 0.3),  // a later chunk, nearly dry
            S(isPrompting: true, isStepping: false, lead: nil),  // another new one, opened after
            S(isPrompting: false, isStepping: false, lead: nil),  // idle
        ], aheadLimit: 1.5)
        #expect(schedule.prompting == [1, 3, 2, 0])
    }

    @Test func streamsFarAheadWaitWhileOneAwaitsItsFirstAudio() {
        let schedule = ProducerSchedule(streams: [
            S(isPrompting: false, isStepping: true, lead: 3.0),  // far ahead: waits
            S(isPrompting: false, isStepping: true, lead: 1.0),  // within the limit: steps
            S(isPrompting: true, isStepping: false, lead: nil),  // awaits its first audio
            S(isPrompting: false, isStepping: true, lead: -0.5),  // behind: steps
        ], aheadLimit: 1.5)
        #expect(schedule.stepping == [1, 3])
        #expect(schedule.deferred == [0])
        #expect(schedule.prompting == [2])
    }

    @Test func aNewStreamSteppingForItsFirstFrameAlsoHoldsTheOthers() {
        let schedule = ProducerSchedule(streams: [
            S(isPrompting: false, isStepping: true, lead: 2.5),
            S(isPrompting: false, isStepping: true, lead: nil),
        ], aheadLimit: 1.5)
        #expect(schedule.stepping == [1])
        #expect(schedule.deferred == [0])
    }

    @Test func nothingWaitsWithoutANewStream() {
        let schedule = ProducerSchedule(streams: [
            S(isPrompting: false, isStepping: true, lead: 9.0),
            S(isPrompting: true, isStepping: false, lead: 4.0),  // a later chunk of a stream far ahead
            S(isPrompting: false, isStepping: false, lead: nil),  // idle, no text yet
        ], aheadLimit: 1.5)
        #expect(schedule.stepping == [0])
        #expect(schedule.deferred.isEmpty)
    }

    /// `steppingLead`: the smallest lead among the streams that step this tick with frames made;
    /// streams awaiting their first frame, far-ahead streams that wait, and idle ones do not count.
    @Test func theSteppingLeadIsTheSmallestLeadOfTheStreamsThatStep() {
        func lead(_ streams: [S]) -> Double? { ProducerSchedule(streams: streams, aheadLimit: 1.5).steppingLead }
        let newStream = S(isPrompting: true, isStepping: false, lead: nil)
        #expect(lead([newStream, S(isPrompting: false, isStepping: true, lead: nil)]) == nil)  // a burst: first steps
        #expect(lead([newStream, S(isPrompting: false, isStepping: true, lead: 0.6),
                      S(isPrompting: false, isStepping: true, lead: 0.1)]) == 0.1)
        #expect(lead([newStream, S(isPrompting: false, isStepping: true, lead: 3.0)]) == nil)  // far ahead: waits
        #expect(lead([S(isPrompting: false, isStepping: false, lead: 0.0), newStream]) == nil)  // idle
        #expect(lead([S(isPrompting: true, isStepping: false, lead: 0.4), S(isPrompting: false, isStepping: true, lead: -0.2)])
                    == -0.2)
    }

    /// Prompts go in slices only when the whole prompts' expected time (rows × seconds per row,
    /// plus the margin) would reach past the lead of the stream closest to running dry.
    @Test func promptsGoInSlicesOnlyWhenAWholePromptWouldOutlastALead() {
        func slices(_ lead: Double?, rows: Int) -> Bool {
            Producer.slicesPrompts(steppingLead: lead, wholeRows: rows, secondsPerRow: 0.001, margin: 0.04)
        }
        #expect(!slices(nil, rows: 400))  // nothing stepping has frames
        #expect(!slices(0.08, rows: 30))  // 30 ms + 40 ms < 80 ms: a burst's second tick
        #expect(slices(0.08, rows: 50))  // 90 ms > 80 ms
        #expect(slices(-0.1, rows: 1))  // already behind
        #expect(!slices(-0.1, rows: 0))  // nothing to prompt
    }

    /// While a first frame waits to be decoded, streams with frames queued for their consumers
    /// wait; streams whose queues are empty step (and the new stream's own next step waits too).
    @Test func streamsWithQueuedFramesWaitWhileAFirstFrameAwaitsDecoding() {
        let schedule = ProducerSchedule(streams: [
            S(isPrompting: false, isStepping: true, lead: 0.5, hasQueuedFrames: true),  // consumers behind on it
            S(isPrompting: false, isStepping: true, lead: 0.3, hasQueuedFrames: false),  // nothing queued: steps
            S(isPrompting: false, isStepping: true, lead: 0.08, firstFrameWaits: true, hasQueuedFrames: true),
        ], aheadLimit: 1.5)
        #expect(schedule.stepping == [1])
        #expect(schedule.deferred == [0, 2])
        let decoded = ProducerSchedule(streams: [
            S(isPrompting: false, isStepping: true, lead: 0.5, hasQueuedFrames: true),
            S(isPrompting: false, isStepping: true, lead: 0.08, firstFrameWaits: false, hasQueuedFrames: true),
        ], aheadLimit: 1.5)
        #expect(decoded.stepping == [0, 1])
    }

    @Test func leadIsAudioMadeLessTimeSinceTheFirstFrame() {
        #expect(ProducerSchedule.lead(frames: 0, frameSeconds: 0.08, firstFrameTime: nil, now: 5) == nil)
        #expect(ProducerSchedule.lead(frames: 25, frameSeconds: 0.08, firstFrameTime: 10, now: 10.5)! == 25 * 0.08 - 0.5)
        #expect(ProducerSchedule.lead(frames: 5, frameSeconds: 0.08, firstFrameTime: 10, now: 12)! < 0)
    }
}

/// The schedule in the producer's ticks (a fake clock: every tick at the same time).
struct ProducerScheduleTickTests {
    /// A is 3 frames (0.24 s) ahead of the fake clock; B opens. With a 0.1 s limit, A waits and
    /// B's prompt goes whole (nothing else steps) and B steps in the same tick; with a large limit,
    /// A steps and B is fed one 2-token slice.
    @Test(arguments: [(limit: 0.1, deferred: true), (limit: 100, deferred: false)])
    func aStreamFarAheadWaitsForANewStreamsFirstFrame(c: (limit: Double, deferred: Bool)) throws {
        var configuration = EngineConfiguration(prefillSliceTokens: 2)
        configuration.aheadLimitSeconds = c.limit
        configuration.promptMarginSeconds = 10  // A, 0.24 s ahead, is "close to dry": B's prompt goes in slices
        let harness = try ProducerHarness(configuration)
        let idA = try harness.speak(Fixture.texts[0], options: EngineLifecycleTests.fixed(8, seed: 1))
        for _ in 0..<3 { harness.tick(now: 0) }
        #expect(harness.phase(of: idA) == .stepping(step: 3, eosStep: nil))
        let idB = try harness.speak(Fixture.texts[0], options: EngineLifecycleTests.fixed(3, seed: 2))
        harness.tick(now: 0)
        if c.deferred {
            #expect(harness.phase(of: idA) == .stepping(step: 3, eosStep: nil))
            #expect(harness.phase(of: idB) == .stepping(step: 1, eosStep: nil))
        } else {
            #expect(harness.phase(of: idA) == .stepping(step: 4, eosStep: nil))
            #expect(harness.phase(of: idB) == .prompting(fed: 2))
        }
        // Once B has its first frame, A steps again.
        harness.tick(now: 0)
        #expect(harness.phase(of: idA) == .stepping(step: c.deferred ? 4 : 5, eosStep: nil))
    }
}
