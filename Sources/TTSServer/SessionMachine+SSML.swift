// SessionMachine+SSML.swift: a turn whose text is SSML (`TurnConfig.ssml`). Its text messages
// are kept whole (an SSML document cannot be read a piece at a time) and parsed after the flush
// (`SSMLParser`, a bounded step per loop pass, like the segmenter's slices); malformed SSML ends
// the turn with `invalid_ssml` and the session takes a new config. A parsed document becomes steps spoken in order: its texts go through the turn's
// segmenter and normalizer as any text (a slice per loop pass, SessionMachine+Slices.swift), and
// at each break or rate change the segmenter is flushed and a `mark` goes to the engine between
// the chunks before it and those after it: the engine's audio path inserts the silence, or
// changes the time stretcher's speed, at that chunk boundary (EngineSpeechAdapter+Marks.swift).

import TextNormalization

/// What goes to the engine between two chunks of a turn.
public enum SpeechMark: Sendable, Equatable {
    /// Silence of this many seconds in the turn's audio (an SSML `<break>`).
    case silence(seconds: Double)
    /// The speaking rate of the chunks that follow, as a factor of the turn's `speed` (`<prosody rate>`).
    case rate(Double)
}

/// One step of a parsed SSML turn.
enum SSMLStep: Sendable, Equatable {
    case text(String)
    case mark(SpeechMark)

    /// The steps of a document: adjacent texts joined (say-as texts in their reading, for the
    /// normalizer of `language`).
    static func steps(of document: SSMLDocument, language: NormalizerLanguage = .english) -> [SSMLStep] {
        var steps: [SSMLStep] = []
        var text: String?  // appended in place
        for piece in document.pieces {
            let mark: SpeechMark
            switch piece {
            case .text(let piece, let options):
                let reading = options.sayAs.map { $0.reading(of: piece, language: language) } ?? piece
                if text == nil { text = reading } else { text!.append(" "); text!.append(reading) }
                continue
            case .pause(let seconds): mark = .silence(seconds: seconds)
            case .rate(let rate): mark = .rate(rate)
            }
            if let done = text { steps.append(.text(done)) }
            text = nil
            steps.append(.mark(mark))
        }
        if let text { steps.append(.text(text)) }
        return steps
    }
}

extension SessionMachine {
    /// Whether the open turn reads SSML and has not been flushed yet (its text is kept for the parse).
    var collectsSSML: Bool { turn?.ssmlSource != nil }

    /// Unicode scalars of an SSML document parsed per loop pass.
    public static let ssmlScalarsPerPass = 2048

    /// Keeps a text message of an SSML turn for the parse at the flush (appended in place: a
    /// document sent a character at a time costs no more than one sent whole).
    mutating func collectSSML(_ text: String) -> [Action] {
        guard turn?.ssmlSource != nil, let characters = turn?.textCharacters else { return [] }
        let length = text.unicodeScalars.count
        let limit = min(configuration.protocolSettings.maxTurnTextCharacters, SSMLDocument.Limits().maxCharacters)
        guard characters + length <= limit else {
            return [send(.error(.invalidText(reason: "the turn's text would exceed \(limit) characters")))]
        }
        turn!.textCharacters += length
        turn!.ssmlSource!.append(text)
        return []
    }

    /// The flush of an SSML turn: the parse starts, a step per loop pass (`advanceSSML`).
    mutating func flushSSML(now: Double) -> [Action] {
        guard let source = turn?.ssmlSource else { return [] }
        turn!.ssmlSource = nil
        do {
            turn!.ssmlParser = try SSMLParser(source)
        } catch {
            return failSSML(error)
        }
        turn!.ssmlFinishing = true
        state = .draining
        return advanceSSML(now: now)
    }

    /// Malformed SSML: the turn ends with `invalid_ssml`; the session takes a new config.
    private mutating func failSSML(_ error: SSMLError) -> [Action] {
        guard let number = turn?.start.turn else { return [] }
        endTurn()
        return [.cancelTurn(turn: number), send(.error(.invalidSSML(String(describing: error))))]
    }

    /// One loop pass of a flushed SSML turn: parses `ssmlScalarsPerPass` of the document (then
    /// its warnings), or segments one slice of text (marks cost little and go at once); after the
    /// last step, the segmenter's rest and `finishTurn`. Asks for `continueText` while work is left.
    mutating func advanceSSML(now: Double) -> [Action] {
        guard turn?.ssmlFinishing == true else { return [] }
        if var parser = turn?.ssmlParser {
            turn!.ssmlParser = nil  // the parser's buffers stay unique: no copy per pass
            let document: SSMLDocument?
            do {
                document = try parser.advance(scalars: Self.ssmlScalarsPerPass)
            } catch {
                return failSSML(error)
            }
            guard let document else {
                turn!.ssmlParser = parser
                return [.continueText]
            }
            turn!.ssmlSteps = SSMLStep.steps(of: document, language: turn!.start.config.normalizerLanguage)[...]
            return document.warnings.map { .warning($0, turn: turn!.start.turn) } + [.continueText]
        }
        guard var current = turn else { return [] }
        let number = current.start.turn
        var actions: [Action] = []
        while current.unsegmented.isEmpty {
            guard let step = current.ssmlSteps.popFirst() else {
                actions += current.segmenter.flush().map { .speak($0, turn: number) }
                actions.append(.finishTurn(turn: number))
                current.ssmlFinishing = false
                turn = current
                return actions
            }
            switch step {
            case .text(let text):
                current.unsegmented = Substring(text).unicodeScalars
            case .mark(let mark):
                actions += current.segmenter.flush().map { .speak($0, turn: number) }
                actions.append(.mark(mark, turn: number))
            }
        }
        turn = current
        return actions + segmentSlice(now: now)
    }
}

extension SSMLSayAs {
    /// `text` as the normalizer of `language` should read it: letters and digits one by one for
    /// `characters`, `spell-out`, `digits` and `telephone` (groups apart); the language's ordinal
    /// mark on a bare number for `ordinal` (3rd, 3e, 3º; German has none the normalizer reads
    /// alone: as written); `cardinal`, `date` and `time` as written (the normalizer reads numbers,
    /// dates and times). The turn's normalizer then says it in words.
    func reading(of text: String, language: NormalizerLanguage = .english) -> String {
        switch self {
        case .characters, .spellOut:
            return text.filter { $0.isLetter || $0.isNumber }.map { String($0).uppercased() }.joined(separator: " ")
        case .digits:
            return text.filter(\.isNumber).map(String.init).joined(separator: " ")
        case .telephone:
            let groups = text.split { !$0.isNumber && $0 != "+" }
            return groups.map { group in
                group.map { $0 == "+" ? "plus" : String($0) }.joined(separator: " ")
            }.joined(separator: ", ")
        case .ordinal:
            let trimmed = text.split(whereSeparator: \.isWhitespace).joined()
            guard let value = Int(trimmed.filter { $0 != "," }), value >= 0 else { return text }
            switch language {
            case .english:
                let suffix = (value % 100 >= 11 && value % 100 <= 13) ? "th" : ["th", "st", "nd", "rd", "th", "th", "th", "th", "th", "th"][value % 10]
                return "\(value)\(suffix)"
            case .french: return value == 1 ? "1ère" : "\(value)ème"
            case .dutch: return "\(value)e"
            case .spanish, .italian, .portuguese: return "\(value)º"
            case .german: return "\(value)"
            }
        case .cardinal, .date, .time:
            return text
        }
    }
}
