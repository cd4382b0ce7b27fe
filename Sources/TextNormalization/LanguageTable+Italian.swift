// LanguageTable+Italian.swift: Italian ("dodici euro e cinquanta", "alle quindici e trenta",
// "primo maggio duemilaventiquattro", "ventitreesimo", "signora").

extension LanguageTable {
    static let italianMonths = ["gennaio", "febbraio", "marzo", "aprile", "maggio", "giugno", "luglio", "agosto", "settembre", "ottobre",
                 "novembre", "dicembre"]

    static let italian = LanguageTable(
        locale: "it_IT",
        decimalWord: "virgola",
        percentWord: "per cento",
        andWord: "e",
        months: italianMonths,
        currencies: [
            LocaleCurrency(written: ["€", "EUR"], singular: "euro", plural: "euro", feminine: false,
                           minorSingular: "centesimo", minorPlural: "centesimi"),
            LocaleCurrency(written: ["$", "USD", "US$"], singular: "dollaro", plural: "dollari", feminine: false,
                           minorSingular: "centesimo", minorPlural: "centesimi"),
            LocaleCurrency(written: ["£", "GBP"], singular: "sterlina", plural: "sterline", feminine: true,
                           minorSingular: "penny", minorPlural: "pence"),
            LocaleCurrency(written: ["CHF"], singular: "franco svizzero", plural: "franchi svizzeri", feminine: false,
                           minorSingular: "centesimo", minorPlural: "centesimi"),
        ],
        minorJoiner: "e",
        units: sortedUnits([
            LocaleUnit("km/h", "chilometro orario", "chilometri orari"), LocaleUnit("km", "chilometro", "chilometri"),
            LocaleUnit("m", "metro", "metri"), LocaleUnit("cm", "centimetro", "centimetri"),
            LocaleUnit("mm", "millimetro", "millimetri"), LocaleUnit("kg", "chilo", "chili"),
            LocaleUnit("g", "grammo", "grammi"), LocaleUnit("mg", "milligrammo", "milligrammi"),
            LocaleUnit("l", "litro", "litri"), LocaleUnit("L", "litro", "litri"), LocaleUnit("ml", "millilitro", "millilitri"),
            LocaleUnit("°C", "grado centigrado", "gradi centigradi"), LocaleUnit("° C", "grado centigrado", "gradi centigradi"),
            LocaleUnit("°F", "grado Fahrenheit", "gradi Fahrenheit"), LocaleUnit("°", "grado", "gradi"),
            LocaleUnit("min", "minuto", "minuti"), LocaleUnit("s", "secondo", "secondi"),
            LocaleUnit("m²", "metro quadrato", "metri quadrati"), LocaleUnit("km²", "chilometro quadrato", "chilometri quadrati"),
            LocaleUnit("GB", "gigabyte", "gigabyte"),
        ]),
        abbreviations: sortedAbbreviations([
            Abbreviation(written: "Sig.", spoken: "signor", kind: .title),
            Abbreviation(written: "Sig.ra", spoken: "signora", kind: .title),
            Abbreviation(written: "Sig.na", spoken: "signorina", kind: .title),
            Abbreviation(written: "Sigg.", spoken: "signori", kind: .title),
            Abbreviation(written: "Dott.", spoken: "dottor", kind: .title),
            Abbreviation(written: "Dott.ssa", spoken: "dottoressa", kind: .title),
            Abbreviation(written: "Dr.", spoken: "dottor", kind: .title),
            Abbreviation(written: "Prof.", spoken: "professor", kind: .title),
            Abbreviation(written: "Prof.ssa", spoken: "professoressa", kind: .title),
            Abbreviation(written: "Avv.", spoken: "avvocato", kind: .title),
            Abbreviation(written: "Ing.", spoken: "ingegner", kind: .title),
            Abbreviation(written: "ecc.", spoken: "eccetera", kind: .mayEndSentence),
            Abbreviation(written: "etc.", spoken: "eccetera", kind: .mayEndSentence),
            Abbreviation(written: "ca.", spoken: "circa", kind: .inner),
            Abbreviation(written: "es.", spoken: "esempio", kind: .inner),
            Abbreviation(written: "pag.", spoken: "pagina", kind: .beforeNumber),
            Abbreviation(written: "n.", spoken: "numero", kind: .beforeNumber),
            Abbreviation(written: "nº", spoken: "numero", kind: .beforeNumber),
        ]),
        beforeNoun: { words, feminine in words == "uno" ? (feminine ? "una" : "un") : words },
        ordinal: { value, form, _ in italianOrdinal(value, feminine: form == .feminine) },
        ordinalSuffixes: [("º", .masculine), ("ª", .feminine)],
        year: nil,
        time: { hours, minutes in
            let hourWords = hours == 1 ? "una" : LocaleNumberWords.cardinal(hours, locale: "it_IT")
            return minutes == 0 ? hourWords : hourWords + " e " + LocaleNumberWords.cardinal(minutes, locale: "it_IT")
        },
        hourMarkers: [],
        date: { day, month, year, _ in
            let dayWords = day == 1 ? "primo" : LocaleNumberWords.cardinal(day, locale: "it_IT")
            let said = dayWords + " " + italianMonths[month - 1]
            return year.map { said + " " + LocaleNumberWords.cardinal($0, locale: "it_IT") } ?? said
        },
        beforeYear: "",
        dayMonthJoiners: [],
        timeWordsBefore: ["alle", "dalle", "ore", "verso", "entro", "le"]
    )

    /// "primo" ... "decimo", then the cardinal without its last vowel and "-esimo"
    /// ("undicesimo", "ventitreesimo", "trentaseiesimo", "centesimo").
    static func italianOrdinal(_ value: Int, feminine: Bool) -> String {
        let small = ["", "primo", "secondo", "terzo", "quarto", "quinto", "sesto", "settimo", "ottavo", "nono", "decimo"]
        var said: String
        if (1...10).contains(value) {
            said = small[value]
        } else {
            let words = LocaleNumberWords.cardinal(value, locale: "it_IT")
            if words.hasSuffix("tré") { said = words.dropLast() + "eesimo" }
            else if words.hasSuffix("sei") { said = words + "esimo" }
            else if let last = words.last, "aeio".contains(last) { said = words.dropLast() + "esimo" }
            else { said = words + "esimo" }
        }
        return feminine ? said.dropLast() + "a" : said
    }
}
