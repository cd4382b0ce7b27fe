// TextNormalizer+DatesAndTimes.swift: the time rule ("3:30pm", "15:45", "7 a.m.") and the
// date rule ("2024-05-01", "5/1/2024", "01.05.2024", "May 1st, 2024", "1 May 2024", "May 2024").
// Dates are said the American way: "May first, twenty twenty-four"; day-first dates as "the
// first of May, twenty twenty-four". Slashed dates are month/day/year (en_US) unless the first
// number cannot be a month.

extension TextNormalizer {
    /// The time rule: h:mm or hh:mm(:ss), hours up to 24, optionally followed by am/pm; or an
    /// hour from 1 to 12 followed by am/pm. ":00" is "o'clock" ("hundred" from 13:00 and at 0:00).
    static func readTime(_ text: ScalarText, _ index: Int) -> Reading? {
        guard text.isDigit(index), text.startsToken(index), !text.is(index - 1, oneOf: ":.,/-") else {
            return nil
        }
        let hourEnd = text.digitsEnd(from: index)
        guard (1...2).contains(hourEnd - index) else { return nil }
        let hour = text.value(index..<hourEnd)
        var end = hourEnd
        var minute: Int?
        var second: Int?
        if text[end] == ":", text.digitsEnd(from: end + 1) == end + 3 {
            minute = text.value(end + 1..<end + 3)
            end += 3
            if text[end] == ":", text.digitsEnd(from: end + 1) == end + 3 {
                second = text.value(end + 1..<end + 3)
                end += 3
            }
            guard hour <= 24, minute! < 60, (second ?? 0) < 60, !text.isDigit(end),
                  !(text[end] == ":" && text.isDigit(end + 1)) else { return nil }
        }
        let period = dayPeriod(text, text.afterOptionalSpace(end))
        guard minute != nil || period != nil else { return nil }
        if period != nil { guard (1...12).contains(hour) else { return nil } }

        var spoken = NumberWords.cardinal(hour)
        switch minute {
        case nil: break
        case 0? where period != nil: break
        case 0?: spoken += hour == 0 || hour >= 13 ? " hundred" : " o'clock"
        case let minute? where minute < 10: spoken += " oh " + NumberWords.cardinal(minute)
        case let minute?: spoken += " " + NumberWords.cardinal(minute)
        }
        if let second, second > 0 {
            spoken += " and " + NumberWords.cardinal(second) + (second == 1 ? " second" : " seconds")
        }
        if let (words, periodEnd, dotted) = period {
            spoken += " " + words
            end = periodEnd
            if dotted, text.sentenceMayEnd(at: end) { spoken += "." }
        }
        return Reading(end: end, spoken: spoken)
    }

    /// "am", "pm", "a.m.", "P.M." at `index`: how it is said, where it ends, whether it was
    /// written with dots (which may also end the sentence).
    static func dayPeriod(_ text: ScalarText, _ index: Int) -> (String, Int, Bool)? {
        for (letter, words) in [("a", "A M"), ("p", "P M")] {
            if let end = text.match(letter + "m", at: index, ignoringCase: true), text.endsToken(end) {
                return (words, end, false)
            }
            if let end = text.match(letter + ".m.", at: index, ignoringCase: true), !text.isLetter(end) {
                return (words, end, true)
            }
        }
        return nil
    }

    /// The date rule.
    static func readDate(_ text: ScalarText, _ index: Int) -> Reading? {
        guard text.startsToken(index) else { return nil }
        if text.isDigit(index) {
            return readNumericDate(text, index) ?? readDayFirstDate(text, index)
        }
        return readMonthFirstDate(text, index)
    }

    /// "2024-05-01" (ISO), "5/1/2024" (month/day/year), "01.05.2024" (day.month.year).
    static func readNumericDate(_ text: ScalarText, _ index: Int) -> Reading? {
        guard !text.is(index - 1, oneOf: ".,/-:") else { return nil }
        var fields: [Range<Int>] = []
        var separator: Unicode.Scalar?
        var end = index
        while fields.count < 3 {
            let digitsEnd = text.digitsEnd(from: end)
            guard digitsEnd > end else { return nil }
            fields.append(end..<digitsEnd)
            end = digitsEnd
            if fields.count == 3 { break }
            guard let next = text[end], "-/.".unicodeScalars.contains(next), separator == nil || separator == next else { return nil }
            separator = next
            end += 1
        }
        guard text.endsToken(end), !(text.is(end, oneOf: "-/.:") && text.isDigit(end + 1)) else { return nil }
        let lengths = fields.map(\.count)
        let values = fields.map { text.value($0) }
        let (year, month, day, yearDigits): (Int, Int, Int, Int)
        let shortDayAndMonth = (1...2).contains(lengths[0]) && (1...2).contains(lengths[1])
        if separator == "-", lengths == [4, 2, 2] {
            (year, month, day, yearDigits) = (values[0], values[1], values[2], 4)
        } else if separator == "/", shortDayAndMonth, lengths[2] == 4 || lengths[2] == 2 {
            let dayFirst = values[0] > 12 && values[1] <= 12
            (year, month, day, yearDigits) = (values[2], dayFirst ? values[1] : values[0], dayFirst ? values[0] : values[1], lengths[2])
        } else if separator == ".", shortDayAndMonth, lengths[2] == 4 {
            (year, month, day, yearDigits) = (values[2], values[1], values[0], 4)
        } else {
            return nil
        }
        guard (1...12).contains(month), (1...31).contains(day) else { return nil }
        let yearWords = yearDigits == 4 ? NumberWords.year(year) : twoDigitYear(year)
        let spoken = Lexicon.months[month - 1] + " " + NumberWords.ordinal(day) + ", " + yearWords
        return Reading(end: end, spoken: spoken)
    }

    /// "24" → "twenty-four", "05" → "oh five".
    static func twoDigitYear(_ value: Int) -> String {
        value < 10 ? "oh " + NumberWords.cardinal(value) : NumberWords.cardinal(value)
    }

    /// "May 1st", "May 1, 2024", "Jan. 5 2024", "May 2024".
    static func readMonthFirstDate(_ text: ScalarText, _ index: Int) -> Reading? {
        guard text.isUpper(index), let (month, monthEnd) = monthName(text, index), text[monthEnd] == " " else { return nil }
        let dayStart = monthEnd + 1
        let dayEnd = text.digitsEnd(from: dayStart)
        if dayEnd - dayStart == 4, text.endsToken(dayEnd), !(text.is(dayEnd, oneOf: ":,.") && text.isDigit(dayEnd + 1)),
           case let year = text.value(dayStart..<dayEnd), (1000...2099).contains(year) {
            return Reading(end: dayEnd, spoken: Lexicon.months[month - 1] + " " + NumberWords.year(year))
        }
        guard (1...2).contains(dayEnd - dayStart), case let day = text.value(dayStart..<dayEnd), (1...31).contains(day) else {
            return nil
        }
        var end = dayEnd
        if let suffixEnd = ordinalSuffixEnd(text, end) { end = suffixEnd }
        guard text.endsToken(end), !(text.is(end, oneOf: ":/-.") && text.isDigit(end + 1)) else { return nil }
        var spoken = Lexicon.months[month - 1] + " " + NumberWords.ordinal(day)
        if let (year, yearEnd) = yearAfterDay(text, end) {
            spoken += ", " + NumberWords.year(year)
            end = yearEnd
        }
        return Reading(end: end, spoken: spoken)
    }

    /// "1 May", "1st May 2024", "21 Sept. 2024" → "the first of May, twenty twenty-four".
    static func readDayFirstDate(_ text: ScalarText, _ index: Int) -> Reading? {
        let dayEnd = text.digitsEnd(from: index)
        guard (1...2).contains(dayEnd - index), case let day = text.value(index..<dayEnd), (1...31).contains(day) else {
            return nil
        }
        let end = ordinalSuffixEnd(text, dayEnd) ?? dayEnd
        guard text[end] == " ", text.isUpper(end + 1), let (month, monthEnd) = monthName(text, end + 1) else { return nil }
        var spoken = "the " + NumberWords.ordinal(day) + " of " + Lexicon.months[month - 1]
        var readEnd = monthEnd
        if let (year, yearEnd) = yearAfterDay(text, monthEnd) {
            spoken += ", " + NumberWords.year(year)
            readEnd = yearEnd
        }
        return Reading(end: readEnd, spoken: spoken)
    }

    /// A month name or its abbreviation ("Jan", "Jan.", "Sept") at `index`, ending a word:
    /// its number and where it ends.
    static func monthName(_ text: ScalarText, _ index: Int) -> (Int, Int)? {
        let wordEnd = text.lettersEnd(from: index)
        guard let month = Lexicon.monthNames[text.string(index..<wordEnd)], !text.isDigit(wordEnd) else { return nil }
        let isAbbreviated = wordEnd - index < Lexicon.months[month - 1].count
        return (month, isAbbreviated && text[wordEnd] == "." ? wordEnd + 1 : wordEnd)
    }

    /// ", 2024" or " 2024" after a day: the year and where it ends.
    static func yearAfterDay(_ text: ScalarText, _ index: Int) -> (Int, Int)? {
        var start = index
        if text[start] == "," { start += 1 }
        guard text[start] == " " else { return nil }
        start += 1
        let end = text.digitsEnd(from: start)
        guard end - start == 4, text.endsToken(end), !(text.is(end, oneOf: ":.,") && text.isDigit(end + 1)) else {
            return nil
        }
        let year = text.value(start..<end)
        return (1000...2099).contains(year) ? (year, end) : nil
    }
}
