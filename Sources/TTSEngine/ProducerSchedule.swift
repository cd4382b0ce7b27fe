// ProducerSchedule: which streams the producer serves first in a tick (first audio under load).

/// The order of one producer tick, from where each stream stands (a pure function of its
/// inputs; the producer passes the time in).
///
/// - A stream's *lead* is the audio it has generated beyond real-time playback from its first
///   frame: frames · frame duration − (now − time of its first frame). A stream with no frame
///   yet (a new stream: its first chunk) has no lead: it is the most urgent.
/// - Prompts go most urgent first: streams awaiting their first audio, then by lead, smallest
///   first (a stream running dry before one that is ahead); ties oldest first.
/// - While some stream awaits its first audio, streams more than `aheadLimit` seconds ahead do
///   not step this tick (they wait a tick; they stay ahead), and do not count as stepping when
///   the prompt budget is set (`Producer.promptSlices`): the new stream's prompt then goes whole
///   and its first frames come sooner.
///
/// - While some stream's first frame waits to be decoded, streams with frames still queued for
///   their consumer do not step: their next frames would only take the cores from the decoding
///   of first frames (Mimi is most of the work), and the consumers have frames of theirs to
///   decode meanwhile. The producer sees a first frame as waiting for
///   `EngineConfiguration.firstFrameWaitSeconds` at most, so a consumer held up elsewhere holds up the others' steps no longer than that.
/// - `steppingLead`: the smallest lead of the streams that step this tick and have made
///   frames. The producer slices prompts only when a whole prompt could make that stream run
///   dry (`Producer.slicesPrompts`); streams still awaiting their first frame do not count: when
///   sessions start together, their prompts in one pass and their first steps together give the
///   last of them its first audio soonest.
///
/// Scheduling never changes a stream's audio: every stream's arithmetic is its own (per-row
/// kernels, its own KV cache and noise generator), whatever is batched with it and whenever.
struct ProducerSchedule: Equatable {
    /// What the schedule needs to know about one open stream.
    struct Stream: Equatable {
        var isPrompting: Bool
        var isStepping: Bool
        /// Seconds of audio ahead of real-time playback; nil before the stream's first frame.
        var lead: Double?
        /// Its first frame is made but not decoded yet, and was made less than
        /// `EngineConfiguration.firstFrameWaitSeconds` ago.
        var firstFrameWaits = false
        /// Frames of it wait in its queue for its consumer.
        var hasQueuedFrames = false
    }

    /// Indices of the prompting streams, in the order their prompts go.
    var prompting: [Int]
    /// Indices of the stepping streams that step this tick (back-pressure still applies).
    var stepping: [Int]
    /// Stepping streams that wait this tick (for the record; `stepping` leaves them out).
    var deferred: [Int]
    /// The smallest lead among the stepping streams that have made frames (nil: none has).
    var steppingLead: Double?

    init(streams: [Stream], aheadLimit: Double) {
        let awaitingFirstAudio = streams.contains { ($0.isPrompting || $0.isStepping) && $0.lead == nil }
        let urgency = { (i: Int) in streams[i].lead ?? -.infinity }
        prompting = streams.indices.filter { streams[$0].isPrompting }
            .enumerated().sorted { a, b in
                urgency(a.element) != urgency(b.element) ? urgency(a.element) < urgency(b.element) : a.offset < b.offset
            }.map(\.element)
        let firstFramesWait = streams.contains { $0.firstFrameWaits }
        stepping = []
        deferred = []
        for i in streams.indices where streams[i].isStepping {
            if awaitingFirstAudio, let lead = streams[i].lead, lead > aheadLimit {
                deferred.append(i)
            } else if firstFramesWait && streams[i].hasQueuedFrames {
                deferred.append(i)
            } else {
                stepping.append(i)
            }
        }
        steppingLead = stepping.compactMap { streams[$0].lead }.min()
    }

    /// The lead of a stream that has made `frames` frames, the first at `firstFrameTime`.
    static func lead(frames: Int, frameSeconds: Double, firstFrameTime: Double?, now: Double) -> Double? {
        guard let firstFrameTime, frames > 0 else { return nil }
        return Double(frames) * frameSeconds - (now - firstFrameTime)
    }
}
