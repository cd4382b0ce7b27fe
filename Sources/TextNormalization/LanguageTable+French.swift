// LanguageTable+French.swift: French ("douze euros cinquante", "quinze heures trente",
// "premier mai deux mille vingt-quatre", "Monsieur Dupont").

extension LanguageTable {
    static let frenchMonths = ["janvier", "février", "mars", "avril", "mai", "juin", "juillet", "août", "septembre", "octobre",
                 "novembre", "décembre"]

    static let french = LanguageTable(
        locale: "fr_FR",
        decimalWord: "virgule",
        percentWord: "pour cent",
        andWord: "et",
        months: frenchMonths,
        currencies: [
            LocaleCurrency(written: ["€", "EUR"], singular: "euro", plural: "euros", feminine: false,
                           minorSingular: "centime", minorPlural: "centimes"),
            LocaleCurrency(written: ["$", "USD", "US$"], singular: "dollar", plural: "dollars", feminine: false,
                           minorSingular: "cent", minorPlural: "cents"),
            LocaleCurrency(written: ["£", "GBP"], singular: "livre", plural: "livres", feminine: true,
                           minorSingular: "penny", minorPlural: "pence"),
            LocaleCurrency(written: ["CHF"], singular: "franc suisse", plural: "francs suisses", feminine: false,
                           minorSingular: "centime", minorPlural: "centimes"),
        ],
        minorJoiner: "",
        units: sortedUnits([
            LocaleUnit("km/h", "kilomètre heure", "kilomètres heure"), LocaleUnit("km", "kilomètre", "kilomètres"),
            LocaleUnit("m", "mètre", "mètres"), LocaleUnit("cm", "centimètre", "centimètres"),
            LocaleUnit("mm", "millimètre", "millimètres"), LocaleUnit("kg", "kilo", "kilos"),
            LocaleUnit("g", "gramme", "grammes"), LocaleUnit("mg", "milligramme", "milligrammes"),
            LocaleUnit("l", "litre", "litres"), LocaleUnit("L", "litre", "litres"), LocaleUnit("ml", "millilitre", "millilitres"),
            LocaleUnit("°C", "degré Celsius", "degrés Celsius"), LocaleUnit("° C", "degré Celsius", "degrés Celsius"),
            LocaleUnit("°F", "degré Fahrenheit", "degrés Fahrenheit"), LocaleUnit("°", "degré", "degrés"),
            LocaleUnit("min", "minute", "minutes", feminine: true), LocaleUnit("s", "seconde", "secondes", feminine: true),
            LocaleUnit("m²", "mètre carré", "mètres carrés"), LocaleUnit("km²", "kilomètre carré", "kilomètres carrés"),
            LocaleUnit("kWh", "kilowattheure", "kilowattheures"), LocaleUnit("Go", "gigaoctet", "gigaoctets"),
            LocaleUnit("Mo", "mégaoctet", "mégaoctets"),
        ]),
        abbreviations: sortedAbbreviations([
            Abbreviation(written: "M.", spoken: "Monsieur", kind: .title),
            Abbreviation(written: "MM.", spoken: "Messieurs", kind: .title),
            Abbreviation(written: "Mme", spoken: "Madame", kind: .title),
            Abbreviation(written: "Mmes", spoken: "Mesdames", kind: .title),
            Abbreviation(written: "Mlle", spoken: "Mademoiselle", kind: .title),
            Abbreviation(written: "Dr", spoken: "Docteur", kind: .title),
            Abbreviation(written: "Dr.", spoken: "Docteur", kind: .title),
            Abbreviation(written: "Pr", spoken: "Professeur", kind: .title),
            Abbreviation(written: "Me", spoken: "Maître", kind: .title),
            Abbreviation(written: "St", spoken: "Saint", kind: .title),
            Abbreviation(written: "Ste", spoken: "Sainte", kind: .title),
            Abbreviation(written: "etc.", spoken: "et cetera", kind: .mayEndSentence),
            Abbreviation(written: "p. ex.", spoken: "par exemple", kind: .inner),
            Abbreviation(written: "p.ex.", spoken: "par exemple", kind: .inner),
            Abbreviation(written: "c.-à-d.", spoken: "c'est-à-dire", kind: .inner),
            Abbreviation(written: "env.", spoken: "environ", kind: .inner),
            Abbreviation(written: "av.", spoken: "avenue", kind: .inner),
            Abbreviation(written: "bd", spoken: "boulevard", kind: .inner),
            Abbreviation(written: "n°", spoken: "numéro", kind: .beforeNumber),
            Abbreviation(written: "N°", spoken: "numéro", kind: .beforeNumber),
            Abbreviation(written: "J.-C.", spoken: "Jésus-Christ", kind: .mayEndSentence),
        ]),
        beforeNoun: { words, feminine in feminine ? words.replacingSuffix("un", with: "une", wholeWord: true) : words },
        ordinal: { value, form, _ in frenchOrdinal(value, feminine: form == .feminine) },
        ordinalSuffixes: [("ème", .masculine), ("ère", .feminine), ("eme", .masculine), ("ere", .feminine),
                          ("nde", .feminine), ("er", .masculine), ("re", .feminine), ("nd", .masculine), ("e", .masculine)],
        year: nil,
        time: { hours, minutes in
            let hourWords = LanguageTable.frenchFeminine(LocaleNumberWords.cardinal(hours, locale: "fr_FR"))
            let said = hourWords + (hours <= 1 ? " heure" : " heures")
            return minutes == 0 ? said : said + " " + LocaleNumberWords.cardinal(minutes, locale: "fr_FR")
        },
        hourMarkers: ["h"],
        date: { day, month, year, _ in
            let dayWords = day == 1 ? "premier" : LocaleNumberWords.cardinal(day, locale: "fr_FR")
            let said = dayWords + " " + frenchMonths[month - 1]
            return year.map { said + " " + LocaleNumberWords.cardinal($0, locale: "fr_FR") } ?? said
        },
        beforeYear: "",
        dayMonthJoiners: [],
        singularBelowTwo: true
    )

    static func frenchFeminine(_ words: String) -> String { words.replacingSuffix("un", with: "une", wholeWord: true) }

    /// "premier", "deuxième", "vingt-et-unième", "quatre-vingtième", "centième".
    static func frenchOrdinal(_ value: Int, feminine: Bool) -> String {
        if value == 1 { return feminine ? "première" : "premier" }
        if value == 2, feminine { return "deuxième" }
        var words = LocaleNumberWords.cardinal(value, locale: "fr_FR")
        if words.hasSuffix("cents") || words.hasSuffix("vingts") { words.removeLast() }
        if words.hasSuffix("cinq") { return words + "uième" }
        if words.hasSuffix("neuf") { return words.dropLast() + "vième" }
        if words.hasSuffix("e") { return words.dropLast() + "ième" }
        return words + "ième"
    }

    static func sortedUnits(_ units: [LocaleUnit]) -> [LocaleUnit] {
        units.sorted { $0.written.unicodeScalars.count > $1.written.unicodeScalars.count }
    }

    static func sortedAbbreviations(_ abbreviations: [Abbreviation]) -> [Abbreviation] {
        abbreviations.sorted { $0.written.unicodeScalars.count > $1.written.unicodeScalars.count }
    }
}
