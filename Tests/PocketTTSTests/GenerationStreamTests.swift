import Kernels
import Testing
@testable import PocketTTS

/// The chunk state machine alone, one test per transition: fed made-up latents and EOS logits,
/// no model call. (That `TTSModel.generate` and the engine drive it to the same frames is
/// EngineParityTests'.)
@Suite struct GenerationStreamTests {
    typealias S = FlowLMTestSupport
    let flowLM: FlowLM
    let voice: FlowLM.State  // 3 positions
    let l = S.tiny.latentDim

    init() throws {
        flowLM = try S.randomModel()
        var voice = flowLM.makeState(capacity: 3)
        try flowLM.prompt(conditioning: Tensor.random([3, S.tiny.modelDim], seed: 1), state: &voice)
        self.voice = voice
    }

    func chunk(tokens: Int, framesAfterEOS: Int = 2, maxFrames: Int = 10) -> TextChunk {
        TextChunk(text: "t", tokens: (0..<tokens).map { $0 + 1 }, framesAfterEOS: framesAfterEOS,
                  maxGenerationFrames: maxFrames)
    }

    func stream(_ options: GenerationOptions = GenerationOptions(), chunks: [TextChunk]) -> GenerationStream {
        var stream = GenerationStream(flowLM: flowLM, voice: voice, options: options)
        stream.enqueue(chunks)
        return stream
    }

    /// A latent whose values are all `v`.
    func latent(_ v: Float) -> [Float] { [Float](repeating: v, count: l) }

    /// Prompts the whole chunk (without running the model) and returns the stream stepping.
    func stepping(_ s: inout GenerationStream) {
        let began = s.beginNextChunk()
        _ = s.takePromptSlice()
        let done = s.promptSliceDone()
        #expect(began && done && s.isStepping)
    }

    @Test func anIdleStreamWaitsForTextThenForFinish() {
        var s = stream(chunks: [])
        #expect(s.isIdle && !s.hasPendingChunks && !s.isFinished)
        let began = s.beginNextChunk()
        #expect(!began && s.chunkNumber == -1)
        s.finish()
        #expect(s.isFinished)
    }

    @Test func beginningAChunkCopiesTheVoiceWithRoomForPromptAndFrames() {
        var s = stream(GenerationOptions(framesAfterEOS: 1, maxFrames: 4), chunks: [chunk(tokens: 5, maxFrames: 30)])
        let began = s.beginNextChunk()
        #expect(began && s.phase == .prompting(fed: 0))
        #expect(s.chunkNumber == 0 && s.chunk?.tokens.count == 5)
        #expect(s.maxFrames == 4 && s.framesAfterEOS == 1)  // the options win over the chunk's
        #expect(s.state.length == 3 && s.state.capacity >= 3 + 5 + 4)
        #expect(s.promptTokensLeft == 5 && !s.hasPendingChunks)
        var defaults = stream(chunks: [chunk(tokens: 2, framesAfterEOS: 5, maxFrames: 30)])
        _ = defaults.beginNextChunk()
        #expect(defaults.maxFrames == 30 && defaults.framesAfterEOS == 5)  // else the chunk's
    }

    @Test func thePromptGoesInSlicesThenSteppingStartsFromBOS() {
        var s = stream(chunks: [chunk(tokens: 5)])
        _ = s.beginNextChunk()
        let first = Array(s.takePromptSlice(limit: 2))
        let more = s.promptSliceDone()
        #expect(first == [1, 2] && more && s.phase == .prompting(fed: 2) && s.promptTokensLeft == 3)
        let rest = Array(s.takePromptSlice(limit: 100))
        let done = s.promptSliceDone()
        #expect(rest == [3, 4, 5] && done)
        #expect(s.phase == .stepping(step: 0, eosStep: nil) && s.stepIndex == 0)
        #expect(s.latent.count == l && s.latent.allSatisfy(\.isNaN))
    }

    @Test func aStepEmitsItsFrameAndFeedsItsLatentBack() {
        var s = stream(chunks: [chunk(tokens: 3)])
        stepping(&s)
        let result = s.record(latent: latent(0.5), eosLogit: -9)
        #expect(result == .init(frame: GeneratedFrame(chunk: 0, index: 0, latent: latent(0.5), eosLogit: -9), endsChunk: false))
        #expect(s.latent == latent(0.5) && s.stepIndex == 1)
    }

    @Test func theLengthLimitEndsTheChunkOnItsLastFrame() {
        var s = stream(GenerationOptions(maxFrames: 2), chunks: [chunk(tokens: 3)])
        stepping(&s)
        let first = s.record(latent: latent(1), eosLogit: -9)
        #expect(!first.endsChunk)
        let last = s.record(latent: latent(2), eosLogit: -9)
        #expect(last.frame?.index == 1 && last.endsChunk)
        #expect(s.isIdle && s.chunk == nil && s.state.capacity == 0)  // the chunk's caches are freed
    }

    /// EOS (logit above the threshold, -4 by default) at step 1 with 2 frames after EOS:
    /// steps 1 and 2 are emitted, step 3 is not and ends the chunk (EOS counted from frame 0).
    @Test func endOfSpeechEndsTheChunkAfterItsFramesAfterEOS() {
        var s = stream(GenerationOptions(framesAfterEOS: 2, minFramesBeforeEOS: 0), chunks: [chunk(tokens: 3)])
        stepping(&s)
        let atThreshold = s.record(latent: latent(0), eosLogit: -4)
        #expect(atThreshold.frame != nil)  // not above the threshold
        let eos = s.record(latent: latent(1), eosLogit: 3)
        #expect(eos.frame?.index == 1 && s.phase == .stepping(step: 2, eosStep: 1))
        let after = s.record(latent: latent(2), eosLogit: -9)
        #expect(after.frame?.index == 2)
        let end = s.record(latent: latent(3), eosLogit: -9)
        #expect(end == .init(frame: nil, endsChunk: true))
        #expect(s.isIdle && s.latent == latent(2))  // the unused step is not fed back
    }

    /// EOS is ignored on the first `minFramesBeforeEOS` frames (6 by default, as 4.0.1).
    @Test func endOfSpeechIsIgnoredOnTheFirstFrames() {
        var s = stream(GenerationOptions(framesAfterEOS: 0), chunks: [chunk(tokens: 3, maxFrames: 30)])
        stepping(&s)
        for i in 0..<GenerationOptions.referenceMinFramesBeforeEOS {
            let early = s.record(latent: latent(Float(i)), eosLogit: 3)
            #expect(early.frame?.index == i && !early.endsChunk)
        }
        let end = s.record(latent: latent(6), eosLogit: 3)
        #expect(end == .init(frame: nil, endsChunk: true))
    }

    /// The reference's frame loop (`_autoregressive_generation`) on made-up EOS flags, from the
    /// 4.0.1 text fixture (`eos_cases`): the same number of frames emitted.
    @Test func framesEmittedMatchTheReferenceLoop() throws {
        let fixture = try TextPreparationTests.multilingual.get()
        #expect(fixture.eosCases.count > 30)
        for reference in fixture.eosCases {
            var s = stream(GenerationOptions(framesAfterEOS: reference.framesAfterEos),
                           chunks: [chunk(tokens: 1, maxFrames: reference.maxGenLen)])
            stepping(&s)
            var emitted = 0
            while s.isStepping {
                let eosLogit: Float = reference.eosSteps.contains(s.stepIndex) ? 3 : -9
                if s.record(latent: latent(0), eosLogit: eosLogit).frame != nil { emitted += 1 }
            }
            #expect(emitted == reference.framesEmitted,
                    "EOS at \(reference.eosSteps), max \(reference.maxGenLen), after \(reference.framesAfterEos)")
        }
    }

    @Test func aChunkOfNoFramesEndsAfterItsPrompt() {
        var s = stream(chunks: [chunk(tokens: 3, maxFrames: 0)])
        _ = s.beginNextChunk()
        _ = s.takePromptSlice()
        let stepping = s.promptSliceDone()
        #expect(!stepping && s.isIdle && s.chunkNumber == 0)
    }

    @Test func chunksFollowInOrderEachFromTheVoiceAndBOS() {
        var s = stream(GenerationOptions(maxFrames: 1), chunks: [chunk(tokens: 2), chunk(tokens: 4)])
        s.finish()
        stepping(&s)
        let first = s.record(latent: latent(7), eosLogit: -9)
        #expect(first.endsChunk && !s.isFinished)
        stepping(&s)
        #expect(s.chunkNumber == 1 && s.state.length == 3 && s.latent.allSatisfy(\.isNaN))
        let second = s.record(latent: latent(8), eosLogit: -9)
        let began = s.beginNextChunk()
        #expect(second.frame?.chunk == 1 && s.isFinished && !began)
    }

    @Test func theGeneratorIsSeededFromTheOptions() {
        var a = stream(GenerationOptions(seed: 3), chunks: [])
        var b = Xoshiro256(seed: 3)
        let (x, y) = (a.rng.next(), b.next())
        #expect(x == y)
    }
}
