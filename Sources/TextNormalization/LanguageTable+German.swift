// LanguageTable+German.swift: German ("zwölf Euro fünfzig", "fünfzehn Uhr dreißig",
// "am dritten Mai zweitausendvierundzwanzig", "neunzehnhundertvierundachtzig", "zum Beispiel").

extension LanguageTable {
    static let germanMonths = ["Januar", "Februar", "März", "April", "Mai", "Juni", "Juli", "August", "September", "Oktober",
                 "November", "Dezember"]

    static let german = LanguageTable(
        locale: "de_DE",
        decimalWord: "Komma",
        percentWord: "Prozent",
        andWord: "und",
        months: germanMonths,
        currencies: [
            LocaleCurrency(written: ["€", "EUR"], singular: "Euro", plural: "Euro", feminine: false,
                           minorSingular: "Cent", minorPlural: "Cent"),
            LocaleCurrency(written: ["$", "USD", "US$"], singular: "Dollar", plural: "Dollar", feminine: false,
                           minorSingular: "Cent", minorPlural: "Cent"),
            LocaleCurrency(written: ["£", "GBP"], singular: "Pfund", plural: "Pfund", feminine: false,
                           minorSingular: "Penny", minorPlural: "Pence"),
            LocaleCurrency(written: ["CHF"], singular: "Franken", plural: "Franken", feminine: false,
                           minorSingular: "Rappen", minorPlural: "Rappen"),
        ],
        minorJoiner: "",
        units: sortedUnits([
            LocaleUnit("km/h", "Kilometer pro Stunde"), LocaleUnit("km", "Kilometer"), LocaleUnit("m", "Meter"),
            LocaleUnit("cm", "Zentimeter"), LocaleUnit("mm", "Millimeter"), LocaleUnit("kg", "Kilogramm"),
            LocaleUnit("g", "Gramm"), LocaleUnit("mg", "Milligramm"), LocaleUnit("l", "Liter"), LocaleUnit("L", "Liter"),
            LocaleUnit("ml", "Milliliter"), LocaleUnit("°C", "Grad Celsius"), LocaleUnit("° C", "Grad Celsius"),
            LocaleUnit("°F", "Grad Fahrenheit"), LocaleUnit("°", "Grad"), LocaleUnit("Uhr", "Uhr", feminine: false),
            LocaleUnit("min", "Minute", "Minuten", feminine: true), LocaleUnit("Min.", "Minute", "Minuten", feminine: true),
            LocaleUnit("Std.", "Stunde", "Stunden", feminine: true), LocaleUnit("s", "Sekunde", "Sekunden", feminine: true),
            LocaleUnit("m²", "Quadratmeter"), LocaleUnit("km²", "Quadratkilometer"), LocaleUnit("kWh", "Kilowattstunde", "Kilowattstunden", feminine: true),
            LocaleUnit("GB", "Gigabyte"), LocaleUnit("MB", "Megabyte"),
        ]),
        abbreviations: sortedAbbreviations([
            Abbreviation(written: "z. B.", spoken: "zum Beispiel", kind: .inner),
            Abbreviation(written: "z.B.", spoken: "zum Beispiel", kind: .inner),
            Abbreviation(written: "d. h.", spoken: "das heißt", kind: .inner),
            Abbreviation(written: "d.h.", spoken: "das heißt", kind: .inner),
            Abbreviation(written: "u. a.", spoken: "unter anderem", kind: .inner),
            Abbreviation(written: "u.a.", spoken: "unter anderem", kind: .inner),
            Abbreviation(written: "usw.", spoken: "und so weiter", kind: .mayEndSentence),
            Abbreviation(written: "etc.", spoken: "et cetera", kind: .mayEndSentence),
            Abbreviation(written: "bzw.", spoken: "beziehungsweise", kind: .inner),
            Abbreviation(written: "ca.", spoken: "circa", kind: .inner),
            Abbreviation(written: "vgl.", spoken: "vergleiche", kind: .inner),
            Abbreviation(written: "evtl.", spoken: "eventuell", kind: .inner),
            Abbreviation(written: "ggf.", spoken: "gegebenenfalls", kind: .inner),
            Abbreviation(written: "inkl.", spoken: "inklusive", kind: .inner),
            Abbreviation(written: "zzgl.", spoken: "zuzüglich", kind: .inner),
            Abbreviation(written: "Dr.", spoken: "Doktor", kind: .title),
            Abbreviation(written: "Prof.", spoken: "Professor", kind: .title),
            Abbreviation(written: "Hr.", spoken: "Herr", kind: .title),
            Abbreviation(written: "Hrn.", spoken: "Herrn", kind: .title),
            Abbreviation(written: "Fr.", spoken: "Frau", kind: .title),
            Abbreviation(written: "St.", spoken: "Sankt", kind: .title),
            Abbreviation(written: "Nr.", spoken: "Nummer", kind: .beforeNumber),
            Abbreviation(written: "Str.", spoken: "Straße", kind: .mayEndSentence),
            Abbreviation(written: "Mio.", spoken: "Millionen", kind: .inner),
            Abbreviation(written: "Mrd.", spoken: "Milliarden", kind: .inner),
        ]),
        beforeNoun: { words, feminine in words.replacingSuffix("eins", with: feminine ? "eine" : "ein") },
        ordinal: { value, _, previous in germanOrdinal(value, previous: previous) },
        ordinalSuffixes: [],
        year: germanYear,
        time: { hours, minutes in
            let said = LocaleNumberWords.cardinal(hours, locale: "de_DE").replacingSuffix("eins", with: "ein") + " Uhr"
            return minutes == 0 ? said : said + " " + LocaleNumberWords.cardinal(minutes, locale: "de_DE")
        },
        hourMarkers: ["Uhr", "h"],
        date: { day, month, year, previous in
            let said = germanOrdinal(day, previous: previous) + " " + germanMonths[month - 1]
            return year.map { said + " " + germanYear($0) } ?? said
        },
        beforeYear: "",
        dayMonthJoiners: [],
        dottedOrdinalAfter: ["der", "die", "das", "den", "dem", "des", "am", "im", "vom", "zum", "zur", "beim", "ab",
                             "bis", "seit", "jeden", "jeder", "ihr", "ihre", "sein", "seine", "mein", "meine"],
        timeWordsBefore: ["um", "gegen", "ab", "bis"]
    )

    /// "dritte", "dritten", "dritter" by the word before it: an article or preposition that asks
    /// for the weak "-en" ("am", "den", "dem", "vom"), "-e" after "der", "die", "das", else
    /// "-er" (a date as a heading: "dritter Mai").
    static func germanOrdinal(_ value: Int, previous: String?) -> String {
        let rest = value % 100
        let stem: String
        let irregular = [1: "erst", 3: "dritt", 7: "sieb", 8: "acht"]
        if (1...19).contains(rest) {
            let head = value - rest
            let small = irregular[rest] ?? LocaleNumberWords.cardinal(rest, locale: "de_DE") + "t"
            stem = (head == 0 ? "" : LocaleNumberWords.cardinal(head, locale: "de_DE")) + small
        } else {
            stem = LocaleNumberWords.cardinal(value, locale: "de_DE") + "st"
        }
        switch previous?.lowercased() {
        case "der", "die", "das", "jeder", "seine", "meine", "ihre": return stem + "e"
        case nil: return stem + "er"
        case let word? where ["am", "im", "vom", "zum", "zur", "beim", "den", "dem", "des", "ab", "bis", "seit", "jeden"].contains(word):
            return stem + "en"
        default: return stem + "er"
        }
    }

    /// Years 1100 to 1999 in hundreds ("neunzehnhundertvierundachtzig"), others as cardinals.
    static func germanYear(_ value: Int) -> String {
        guard (1100...1999).contains(value) else { return LocaleNumberWords.cardinal(value, locale: "de_DE") }
        let rest = value % 100
        return LocaleNumberWords.cardinal(value / 100, locale: "de_DE") + "hundert"
            + (rest == 0 ? "" : LocaleNumberWords.cardinal(rest, locale: "de_DE"))
    }
}
