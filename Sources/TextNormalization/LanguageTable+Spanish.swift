// LanguageTable+Spanish.swift: Spanish ("doce euros con cincuenta", "las quince y treinta",
// "el tres de mayo de dos mil veinticuatro", "primer", "señora").

extension LanguageTable {
    static let spanishMonths = ["enero", "febrero", "marzo", "abril", "mayo", "junio", "julio", "agosto", "septiembre", "octubre",
                 "noviembre", "diciembre"]

    static let spanish = LanguageTable(
        locale: "es_ES",
        decimalWord: "coma",
        percentWord: "por ciento",
        andWord: "y",
        months: spanishMonths,
        currencies: [
            LocaleCurrency(written: ["€", "EUR"], singular: "euro", plural: "euros", feminine: false,
                           minorSingular: "céntimo", minorPlural: "céntimos"),
            LocaleCurrency(written: ["$", "USD", "US$"], singular: "dólar", plural: "dólares", feminine: false,
                           minorSingular: "centavo", minorPlural: "centavos"),
            LocaleCurrency(written: ["£", "GBP"], singular: "libra", plural: "libras", feminine: true,
                           minorSingular: "penique", minorPlural: "peniques"),
            LocaleCurrency(written: ["CHF"], singular: "franco suizo", plural: "francos suizos", feminine: false,
                           minorSingular: "céntimo", minorPlural: "céntimos"),
        ],
        minorJoiner: "con",
        units: sortedUnits([
            LocaleUnit("km/h", "kilómetro por hora", "kilómetros por hora"), LocaleUnit("km", "kilómetro", "kilómetros"),
            LocaleUnit("m", "metro", "metros"), LocaleUnit("cm", "centímetro", "centímetros"),
            LocaleUnit("mm", "milímetro", "milímetros"), LocaleUnit("kg", "kilo", "kilos"),
            LocaleUnit("g", "gramo", "gramos"), LocaleUnit("mg", "miligramo", "miligramos"),
            LocaleUnit("l", "litro", "litros"), LocaleUnit("L", "litro", "litros"), LocaleUnit("ml", "mililitro", "mililitros"),
            LocaleUnit("°C", "grado centígrado", "grados centígrados"), LocaleUnit("° C", "grado centígrado", "grados centígrados"),
            LocaleUnit("°F", "grado Fahrenheit", "grados Fahrenheit"), LocaleUnit("°", "grado", "grados"),
            LocaleUnit("min", "minuto", "minutos"), LocaleUnit("s", "segundo", "segundos"), LocaleUnit("h", "hora", "horas", feminine: true),
            LocaleUnit("m²", "metro cuadrado", "metros cuadrados"), LocaleUnit("km²", "kilómetro cuadrado", "kilómetros cuadrados"),
            LocaleUnit("GB", "gigabyte", "gigabytes"),
        ]),
        abbreviations: sortedAbbreviations([
            Abbreviation(written: "Sr.", spoken: "señor", kind: .title),
            Abbreviation(written: "Sra.", spoken: "señora", kind: .title),
            Abbreviation(written: "Srta.", spoken: "señorita", kind: .title),
            Abbreviation(written: "Sres.", spoken: "señores", kind: .title),
            Abbreviation(written: "Dr.", spoken: "doctor", kind: .title),
            Abbreviation(written: "Dra.", spoken: "doctora", kind: .title),
            Abbreviation(written: "Prof.", spoken: "profesor", kind: .title),
            Abbreviation(written: "Dña.", spoken: "doña", kind: .title),
            Abbreviation(written: "D.", spoken: "don", kind: .title),
            Abbreviation(written: "Ud.", spoken: "usted", kind: .inner),
            Abbreviation(written: "Uds.", spoken: "ustedes", kind: .inner),
            Abbreviation(written: "Vd.", spoken: "usted", kind: .inner),
            Abbreviation(written: "etc.", spoken: "etcétera", kind: .mayEndSentence),
            Abbreviation(written: "p. ej.", spoken: "por ejemplo", kind: .inner),
            Abbreviation(written: "p.ej.", spoken: "por ejemplo", kind: .inner),
            Abbreviation(written: "aprox.", spoken: "aproximadamente", kind: .inner),
            Abbreviation(written: "Avda.", spoken: "avenida", kind: .inner),
            Abbreviation(written: "EE. UU.", spoken: "Estados Unidos", kind: .mayEndSentence),
            Abbreviation(written: "EE.UU.", spoken: "Estados Unidos", kind: .mayEndSentence),
            Abbreviation(written: "núm.", spoken: "número", kind: .beforeNumber),
            Abbreviation(written: "n.º", spoken: "número", kind: .beforeNumber),
            Abbreviation(written: "nº", spoken: "número", kind: .beforeNumber),
            Abbreviation(written: "pág.", spoken: "página", kind: .beforeNumber),
        ]),
        beforeNoun: { words, feminine in
            if feminine { return words.replacingSuffix("uno", with: "una") }
            return words.replacingSuffix("veintiuno", with: "veintiún").replacingSuffix("uno", with: "un")
        },
        ordinal: { value, form, _ in romanceOrdinal(value, form: form, words: spanishOrdinalWords, locale: "es_ES") },
        ordinalSuffixes: [(".er", .short), (".º", .masculine), (".ª", .feminine), ("er", .short), ("º", .masculine), ("ª", .feminine)],
        year: nil,
        time: { hours, minutes in
            let hourWords = LocaleNumberWords.cardinal(hours, locale: "es_ES").replacingSuffix("uno", with: "una")
            return minutes == 0 ? hourWords + " en punto" : hourWords + " y " + LocaleNumberWords.cardinal(minutes, locale: "es_ES")
        },
        hourMarkers: ["h"],
        date: { day, month, year, _ in
            let said = LocaleNumberWords.cardinal(day, locale: "es_ES") + " de " + spanishMonths[month - 1]
            return year.map { said + " de " + LocaleNumberWords.cardinal($0, locale: "es_ES") } ?? said
        },
        beforeYear: "de",
        dayMonthJoiners: ["de"]
    )

    static let spanishOrdinalWords = RomanceOrdinalWords(
        units: ["", "primero", "segundo", "tercero", "cuarto", "quinto", "sexto", "séptimo", "octavo", "noveno"],
        tens: ["", "décimo", "vigésimo", "trigésimo", "cuadragésimo", "quincuagésimo", "sexagésimo", "septuagésimo",
               "octogésimo", "nonagésimo"],
        hundred: "centésimo", teens: [11: "undécimo", 12: "duodécimo"],
        apocopes: ["primero": "primer", "tercero": "tercer"])

    /// "primero", "vigésimo primero", "primera"; "primer" for "1.er"; past 100, the cardinal.
    static func romanceOrdinal(_ value: Int, form: OrdinalForm, words: RomanceOrdinalWords, locale: String) -> String {
        var said: [String]
        if value == 100 {
            said = [words.hundred]
        } else if (1...99).contains(value) {
            if let teen = words.teens[value] {
                said = [teen]
            } else {
                said = [words.tens[value / 10], words.units[value % 10]].filter { !$0.isEmpty }
            }
        } else {
            return LocaleNumberWords.cardinal(value, locale: locale)
        }
        if form == .feminine { said = said.map { $0.hasSuffix("o") ? $0.dropLast() + "a" : $0 } }
        if form == .short, let last = said.last, let short = words.apocopes[last] { said[said.count - 1] = short }
        return said.joined(separator: " ")
    }
}

/// Ordinal words of Spanish, Portuguese and Italian below a hundred.
struct RomanceOrdinalWords: Sendable {
    let units: [String]
    let tens: [String]
    let hundred: String
    let teens: [Int: String]
    let apocopes: [String: String]
}
