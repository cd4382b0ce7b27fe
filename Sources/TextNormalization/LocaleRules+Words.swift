// LocaleRules+Words.swift: dates, times and abbreviations of the languages other than English.

extension LocaleRules {
    // MARK: Dates

    /// "03/05/2024", "3.5.2024", "2024-05-03" (day first, as all these languages write it),
    /// "3 mai 2024", "1er mai", "3. Mai 2024", "3 de mayo de 2024", "1º de maio".
    func readDate(_ text: ScalarText, _ index: Int) -> Reading? {
        guard text.isDigit(index), !text.isAlnum(index - 1), !text.is(index - 1, oneOf: "-−./:,") else { return nil }
        let previous = text.previousWord(before: index)
        let firstEnd = text.digitsEnd(from: index)
        guard firstEnd - index <= 4 else { return nil }
        let first = text.value(index..<firstEnd)
        // ISO: 2024-05-03.
        if firstEnd - index == 4, text[firstEnd] == "-", let (month, monthEnd) = twoDigits(text, firstEnd + 1),
           text[monthEnd] == "-", let (day, dayEnd) = twoDigits(text, monthEnd + 1), !text.isAlnum(dayEnd),
           isDate(day, month) {
            return Reading(end: dayEnd, spoken: table.date(day, month, first, previous))
        }
        // Numeric, day first: 03/05/2024, 3.5.2024, 03-05-2024.
        if firstEnd - index <= 2, let separator = text[firstEnd], "/.-".unicodeScalars.contains(separator),
           text.isDigit(firstEnd + 1) {
            let monthEnd = text.digitsEnd(from: firstEnd + 1)
            if monthEnd - firstEnd - 1 <= 2, text[monthEnd] == separator, text.isDigit(monthEnd + 1) {
                let yearEnd = text.digitsEnd(from: monthEnd + 1)
                let month = text.value(firstEnd + 1..<monthEnd)
                let yearDigits = yearEnd - monthEnd - 1
                if yearDigits == 4 || yearDigits == 2, !text.isAlnum(yearEnd), !(text[yearEnd] == "." && text.isDigit(yearEnd + 1)),
                   isDate(first, month) {
                    var year = text.value(monthEnd + 1..<yearEnd)
                    if yearDigits == 2 { year += 2000 }
                    return Reading(end: yearEnd, spoken: table.date(first, month, year, previous))
                }
            }
        }
        // A day before a month name: "3 mai", "1er mai", "3. Mai", "3 de mayo", "1º de maio".
        guard firstEnd - index <= 2, (1...31).contains(first) else { return nil }
        var end = firstEnd
        for suffix in table.ordinalSuffixes.map(\.written) + [".", "°"] {
            if let suffixEnd = text.match(suffix, at: end), !text.isAlnum(suffixEnd) { end = suffixEnd; break }
        }
        guard text.is(end, oneOf: ScalarText.inlineSpaces) else { return nil }
        end += 1
        for joiner in table.dayMonthJoiners {
            if let joinerEnd = text.match(joiner + " ", at: end) { end = joinerEnd; break }
        }
        let monthEnd = text.lettersEnd(from: end)
        guard monthEnd > end, !text.isAlnum(monthEnd), let month = table.month(named: text.string(end..<monthEnd)) else {
            return nil
        }
        end = monthEnd
        var year: Int?
        // A year after it: "mai 2024", "mayo de 2024".
        var yearStart = end
        if text.is(yearStart, oneOf: ScalarText.inlineSpaces) { yearStart += 1 }
        if !table.beforeYear.isEmpty, let joinerEnd = text.match(table.beforeYear + " ", at: yearStart) { yearStart = joinerEnd }
        let yearEnd = text.digitsEnd(from: yearStart)
        if yearStart > end, yearEnd - yearStart == 4, !text.isAlnum(yearEnd), !text.is(yearEnd, oneOf: ":"),
           !(text.is(yearEnd, oneOf: ",.") && text.isDigit(yearEnd + 1)) {
            year = text.value(yearStart..<yearEnd)
            end = yearEnd
        }
        return Reading(end: end, spoken: table.date(first, month, year, previous))
    }

    private func twoDigits(_ text: ScalarText, _ index: Int) -> (Int, Int)? {
        guard text.isDigit(index), text.isDigit(index + 1), !text.isDigit(index + 2) else { return nil }
        return (text.value(index..<index + 2), index + 2)
    }

    private func isDate(_ day: Int, _ month: Int) -> Bool { (1...31).contains(day) && (1...12).contains(month) }

    // MARK: Times

    /// "15:30", "15h30", "15 h 30", "15 h", "15.30 Uhr", "9:05 uur".
    func readTime(_ text: ScalarText, _ index: Int) -> Reading? {
        guard text.isDigit(index), !text.isAlnum(index - 1), !text.is(index - 1, oneOf: "-−./:,") else { return nil }
        let hoursEnd = text.digitsEnd(from: index)
        guard hoursEnd - index <= 2 else { return nil }
        let hours = text.value(index..<hoursEnd)
        guard hours < 24 else { return nil }
        // "15:30", "15.30" (the dot only before an hour marker).
        if text.is(hoursEnd, oneOf: ":."), let (minutes, minutesEnd) = twoDigits(text, hoursEnd + 1), minutes < 60,
           !text.is(minutesEnd, oneOf: ":"), !(text.is(minutesEnd, oneOf: ".,") && text.isDigit(minutesEnd + 1)), !text.isAlnum(minutesEnd) {
            let marker = hourMarker(text, afterInlineSpace(text, minutesEnd))
            if text[hoursEnd] == ".", marker == nil,
               !table.timeWordsBefore.contains(text.previousWord(before: index)?.lowercased() ?? "") { return nil }
            return Reading(end: marker ?? minutesEnd, spoken: table.time(hours, minutes))
        }
        // "15h30", "15 h 30", "15h", "15 h".
        let markerStart = afterInlineSpace(text, hoursEnd)
        guard let marker = table.hourMarkers.first, marker == "h", let markerEnd = text.match("h", at: markerStart) else { return nil }
        let minutesStart = afterInlineSpace(text, markerEnd)
        if let (minutes, minutesEnd) = twoDigits(text, minutesStart), minutes < 60, !text.isAlnum(minutesEnd),
           minutesStart == markerEnd || markerStart > hoursEnd {
            return Reading(end: minutesEnd, spoken: table.time(hours, minutes))
        }
        guard !text.isAlnum(markerEnd) else { return nil }
        return Reading(end: markerEnd, spoken: table.time(hours, 0))
    }

    /// The end of an hour marker ("Uhr", "h", "uur") at `index`.
    private func hourMarker(_ text: ScalarText, _ index: Int) -> Int? {
        for marker in table.hourMarkers {
            if let end = text.match(marker, at: index), !text.isAlnum(end) { return end }
        }
        return nil
    }

    // MARK: Abbreviations

    /// The abbreviation rule: titles ("M. Dupont", "Mme", "Sr.", "Dhr."), short forms ("z. B.",
    /// "p. ex.", "etc.", "ca."), forms read before a number ("Nr. 5", "n° 3"). A form whose dot
    /// may end the sentence ("etc.", "usw.") keeps a "." when a capital or the end follows.
    func readAbbreviation(_ text: ScalarText, _ index: Int) -> Reading? {
        guard text.isLetter(index), text.startsToken(index), !text.is(index - 1, oneOf: ".'’@/") else { return nil }
        for abbreviation in table.abbreviations {
            guard let end = text.match(abbreviation.written, at: index) else { continue }
            if abbreviation.written.hasSuffix(".") {
                guard !text.isAlnum(end) else { continue }
            } else {
                guard !text.isAlnum(end), text[end] != "." else { continue }
            }
            let next = text.nextWord(after: end)
            switch abbreviation.kind {
            case .beforeNumber:
                guard text.isDigit(text.afterOptionalSpace(end)) else { continue }
                return Reading(end: end, spoken: abbreviation.spoken)
            case .inner:
                return Reading(end: end, spoken: abbreviation.spoken)
            case .title:
                // "M." or "Mme" alone may be an initial or a word: only before a name.
                let isShort = abbreviation.written.unicodeScalars.count <= 2 || !abbreviation.written.hasSuffix(".")
                if isShort {
                    guard text.is(end, oneOf: ScalarText.inlineSpaces), next?.start == end + 1,
                          next?.word.first?.isUppercase == true else { continue }
                }
                return Reading(end: end, spoken: abbreviation.spoken)
            case .mayEndSentence:
                let dot = abbreviation.written.hasSuffix(".") && text.sentenceMayEnd(at: end) ? "." : ""
                return Reading(end: end, spoken: abbreviation.spoken + dot)
            }
        }
        return nil
    }
}
