// LanguageTable+Dutch.swift: Dutch ("twaalf euro vijftig", "vijftien uur dertig",
// "drie mei tweeduizendvierentwintig", "negentienhonderdvierentachtig", "de heer").

extension LanguageTable {
    static let dutchMonths = ["januari", "februari", "maart", "april", "mei", "juni", "juli", "augustus", "september", "oktober",
                 "november", "december"]

    static let dutch = LanguageTable(
        locale: "nl_NL",
        decimalWord: "komma",
        percentWord: "procent",
        andWord: "en",
        months: dutchMonths,
        currencies: [
            LocaleCurrency(written: ["€", "EUR"], singular: "euro", plural: "euro", feminine: false,
                           minorSingular: "cent", minorPlural: "cent"),
            LocaleCurrency(written: ["$", "USD", "US$"], singular: "dollar", plural: "dollar", feminine: false,
                           minorSingular: "cent", minorPlural: "cent"),
            LocaleCurrency(written: ["£", "GBP"], singular: "pond", plural: "pond", feminine: false,
                           minorSingular: "penny", minorPlural: "pence"),
            LocaleCurrency(written: ["CHF"], singular: "Zwitserse frank", plural: "Zwitserse frank", feminine: false,
                           minorSingular: "rappen", minorPlural: "rappen"),
        ],
        minorJoiner: "",
        units: sortedUnits([
            LocaleUnit("km/h", "kilometer per uur"), LocaleUnit("km", "kilometer"), LocaleUnit("m", "meter"),
            LocaleUnit("cm", "centimeter"), LocaleUnit("mm", "millimeter"), LocaleUnit("kg", "kilo"),
            LocaleUnit("g", "gram"), LocaleUnit("mg", "milligram"), LocaleUnit("l", "liter"), LocaleUnit("L", "liter"),
            LocaleUnit("ml", "milliliter"), LocaleUnit("°C", "graden Celsius"), LocaleUnit("° C", "graden Celsius"),
            LocaleUnit("°F", "graden Fahrenheit"), LocaleUnit("°", "graden"), LocaleUnit("uur", "uur"),
            LocaleUnit("min", "minuut", "minuten"), LocaleUnit("s", "seconde", "seconden"),
            LocaleUnit("m²", "vierkante meter"), LocaleUnit("km²", "vierkante kilometer"), LocaleUnit("GB", "gigabyte"),
        ]),
        abbreviations: sortedAbbreviations([
            Abbreviation(written: "Dhr.", spoken: "de heer", kind: .title),
            Abbreviation(written: "dhr.", spoken: "de heer", kind: .title),
            Abbreviation(written: "Mevr.", spoken: "mevrouw", kind: .title),
            Abbreviation(written: "mevr.", spoken: "mevrouw", kind: .title),
            Abbreviation(written: "Mw.", spoken: "mevrouw", kind: .title),
            Abbreviation(written: "Dr.", spoken: "dokter", kind: .title),
            Abbreviation(written: "Prof.", spoken: "professor", kind: .title),
            Abbreviation(written: "St.", spoken: "Sint", kind: .title),
            Abbreviation(written: "bijv.", spoken: "bijvoorbeeld", kind: .inner),
            Abbreviation(written: "bv.", spoken: "bijvoorbeeld", kind: .inner),
            Abbreviation(written: "b.v.", spoken: "bijvoorbeeld", kind: .inner),
            Abbreviation(written: "d.w.z.", spoken: "dat wil zeggen", kind: .inner),
            Abbreviation(written: "o.a.", spoken: "onder andere", kind: .inner),
            Abbreviation(written: "m.b.t.", spoken: "met betrekking tot", kind: .inner),
            Abbreviation(written: "t.o.v.", spoken: "ten opzichte van", kind: .inner),
            Abbreviation(written: "ca.", spoken: "circa", kind: .inner),
            Abbreviation(written: "enz.", spoken: "enzovoort", kind: .mayEndSentence),
            Abbreviation(written: "etc.", spoken: "et cetera", kind: .mayEndSentence),
            Abbreviation(written: "nr.", spoken: "nummer", kind: .beforeNumber),
            Abbreviation(written: "Nr.", spoken: "nummer", kind: .beforeNumber),
        ]),
        beforeNoun: { words, _ in words },
        ordinal: { value, _, _ in dutchOrdinal(value) },
        ordinalSuffixes: [("ste", .masculine), ("de", .masculine), ("e", .masculine)],
        year: dutchYear,
        time: { hours, minutes in
            let said = LocaleNumberWords.cardinal(hours, locale: "nl_NL") + " uur"
            return minutes == 0 ? said : said + " " + LocaleNumberWords.cardinal(minutes, locale: "nl_NL")
        },
        hourMarkers: ["uur", "u"],
        date: { day, month, year, _ in
            let said = LocaleNumberWords.cardinal(day, locale: "nl_NL") + " " + dutchMonths[month - 1]
            return year.map { said + " " + dutchYear($0) } ?? said
        },
        beforeYear: "",
        dayMonthJoiners: []
    )

    /// "eerste", "tweede", "derde", "achtste", "tiende", "twintigste", "eenentwintigste",
    /// "honderdeerste", "honderdste".
    static func dutchOrdinal(_ value: Int) -> String {
        let rest = value % 100
        let irregular = [1: "eerste", 3: "derde", 8: "achtste"]
        if (1...19).contains(rest) {
            let head = value - rest
            let small = irregular[rest] ?? LocaleNumberWords.cardinal(rest, locale: "nl_NL") + "de"
            return (head == 0 ? "" : LocaleNumberWords.cardinal(head, locale: "nl_NL")) + small
        }
        return LocaleNumberWords.cardinal(value, locale: "nl_NL") + "ste"
    }

    /// Years 1100 to 1999 in hundreds ("neunzehnhundertvierundachtzig"), others as cardinals.
    static func dutchYear(_ value: Int) -> String {
        guard (1100...1999).contains(value) else { return LocaleNumberWords.cardinal(value, locale: "nl_NL") }
        let rest = value % 100
        return LocaleNumberWords.cardinal(value / 100, locale: "nl_NL") + "honderd"
            + (rest == 0 ? "" : LocaleNumberWords.cardinal(rest, locale: "nl_NL"))
    }
}
