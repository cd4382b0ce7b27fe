// SessionMachine+Slices.swift: a turn's text is segmented a slice at a time, so that no client
// message costs the event loop more than one slice's work (the segmenter counts tokens and
// normalizes around each cut: a 10,000-character message once held the loop for 0.5 s, a
// 100,000-character HTTP body for seconds). A text message keeps the part not yet segmented in
// the turn; the machine asks for `continueText`, and the glue calls `onContinueText` on the
// loop's next pass, after the other clients' work, holding this client's next messages until
// `hasUnsegmentedText` is false. Text order, the turn's limits and the chunks are those of one
// `append` (the segmenter releases the same chunks whatever pieces the text comes in).

extension SessionMachine {
    /// Unicode scalars segmented per loop pass.
    public static let textSliceScalars = 64

    /// Text of the open turn not yet segmented: the glue holds the client's next messages.
    public var hasUnsegmentedText: Bool { turn.map { !$0.unsegmented.isEmpty || $0.ssmlFinishing } ?? false }

    /// Segments the next slice of the turn's text (after `continueText`).
    public mutating func onContinueText(now: Double) -> [Action] {
        if turn?.ssmlFinishing == true { return advanceSSML(now: now) }
        guard state == .streaming, hasUnsegmentedText else { return [] }
        return segmentSlice(now: now)
    }

    /// Hands the segmenter the next slice of the unsegmented text; asks for `continueText`
    /// while some is left.
    mutating func segmentSlice(now: Double) -> [Action] {
        guard var current = turn else { return [] }
        let end = current.unsegmented.index(current.unsegmented.startIndex, offsetBy: Self.textSliceScalars,
                                            limitedBy: current.unsegmented.endIndex) ?? current.unsegmented.endIndex
        let slice = String(current.unsegmented[..<end])
        current.unsegmented = current.unsegmented[end...]
        let chunks = current.segmenter.append(slice, now: now)
        turn = current
        var actions = speaking(chunks, now: now)
        if hasUnsegmentedText { actions.append(.continueText) }
        return actions
    }

    /// Segments what is left at once (a flush or a text the glue let through early: correct,
    /// if slower than slices); the chunks it releases.
    mutating func segmentAllText(now: Double) -> [Action] {
        guard var current = turn, !current.unsegmented.isEmpty else { return [] }
        let rest = String(current.unsegmented)
        current.unsegmented = Substring().unicodeScalars
        let chunks = current.segmenter.append(rest, now: now)
        turn = current
        return chunks.map { .speak($0, turn: current.start.turn) }
    }
}
