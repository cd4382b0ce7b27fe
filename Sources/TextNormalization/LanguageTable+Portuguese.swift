// LanguageTable+Portuguese.swift: Portuguese ("doze euros e cinquenta", "quinze e trinta",
// "primeiro de maio de dois mil e vinte e quatro", "vigésimo primeiro", "senhora").

extension LanguageTable {
    static let portugueseMonths = ["janeiro", "fevereiro", "março", "abril", "maio", "junho", "julho", "agosto", "setembro", "outubro",
                 "novembro", "dezembro"]

    static let portuguese = LanguageTable(
        locale: "pt_PT",
        decimalWord: "vírgula",
        percentWord: "por cento",
        andWord: "e",
        months: portugueseMonths,
        currencies: [
            LocaleCurrency(written: ["€", "EUR"], singular: "euro", plural: "euros", feminine: false,
                           minorSingular: "cêntimo", minorPlural: "cêntimos"),
            LocaleCurrency(written: ["R$", "BRL"], singular: "real", plural: "reais", feminine: false,
                           minorSingular: "centavo", minorPlural: "centavos"),
            LocaleCurrency(written: ["$", "USD", "US$"], singular: "dólar", plural: "dólares", feminine: false,
                           minorSingular: "cêntimo", minorPlural: "cêntimos"),
            LocaleCurrency(written: ["£", "GBP"], singular: "libra", plural: "libras", feminine: true,
                           minorSingular: "péni", minorPlural: "pence"),
            LocaleCurrency(written: ["CHF"], singular: "franco suíço", plural: "francos suíços", feminine: false,
                           minorSingular: "cêntimo", minorPlural: "cêntimos"),
        ],
        minorJoiner: "e",
        units: sortedUnits([
            LocaleUnit("km/h", "quilómetro por hora", "quilómetros por hora"), LocaleUnit("km", "quilómetro", "quilómetros"),
            LocaleUnit("m", "metro", "metros"), LocaleUnit("cm", "centímetro", "centímetros"),
            LocaleUnit("mm", "milímetro", "milímetros"), LocaleUnit("kg", "quilo", "quilos"),
            LocaleUnit("g", "grama", "gramas"), LocaleUnit("mg", "miligrama", "miligramas"),
            LocaleUnit("l", "litro", "litros"), LocaleUnit("L", "litro", "litros"), LocaleUnit("ml", "mililitro", "mililitros"),
            LocaleUnit("°C", "grau Celsius", "graus Celsius"), LocaleUnit("° C", "grau Celsius", "graus Celsius"),
            LocaleUnit("°F", "grau Fahrenheit", "graus Fahrenheit"), LocaleUnit("°", "grau", "graus"),
            LocaleUnit("min", "minuto", "minutos"), LocaleUnit("s", "segundo", "segundos"),
            LocaleUnit("m²", "metro quadrado", "metros quadrados"), LocaleUnit("km²", "quilómetro quadrado", "quilómetros quadrados"),
            LocaleUnit("GB", "gigabyte", "gigabytes"),
        ]),
        abbreviations: sortedAbbreviations([
            Abbreviation(written: "Sr.", spoken: "senhor", kind: .title),
            Abbreviation(written: "Sra.", spoken: "senhora", kind: .title),
            Abbreviation(written: "Srta.", spoken: "senhorita", kind: .title),
            Abbreviation(written: "Dr.", spoken: "doutor", kind: .title),
            Abbreviation(written: "Dra.", spoken: "doutora", kind: .title),
            Abbreviation(written: "Prof.", spoken: "professor", kind: .title),
            Abbreviation(written: "Profa.", spoken: "professora", kind: .title),
            Abbreviation(written: "Eng.", spoken: "engenheiro", kind: .title),
            Abbreviation(written: "etc.", spoken: "etcétera", kind: .mayEndSentence),
            Abbreviation(written: "p. ex.", spoken: "por exemplo", kind: .inner),
            Abbreviation(written: "p.ex.", spoken: "por exemplo", kind: .inner),
            Abbreviation(written: "aprox.", spoken: "aproximadamente", kind: .inner),
            Abbreviation(written: "Av.", spoken: "avenida", kind: .inner),
            Abbreviation(written: "n.º", spoken: "número", kind: .beforeNumber),
            Abbreviation(written: "nº", spoken: "número", kind: .beforeNumber),
            Abbreviation(written: "pág.", spoken: "página", kind: .beforeNumber),
        ]),
        beforeNoun: { words, feminine in feminine ? portugueseFeminine(words) : words },
        ordinal: { value, form, _ in romanceOrdinal(value, form: form, words: portugueseOrdinalWords, locale: "pt_PT") },
        ordinalSuffixes: [(".º", .masculine), (".ª", .feminine), ("º", .masculine), ("ª", .feminine)],
        year: nil,
        time: { hours, minutes in
            let hourWords = portugueseFeminine(LocaleNumberWords.cardinal(hours, locale: "pt_PT"))
            if minutes == 0 { return hourWords + (hours == 1 ? " hora" : " horas") }
            return hourWords + " e " + LocaleNumberWords.cardinal(minutes, locale: "pt_PT")
        },
        hourMarkers: ["h"],
        date: { day, month, year, _ in
            let dayWords = day == 1 ? "primeiro" : LocaleNumberWords.cardinal(day, locale: "pt_PT")
            let said = dayWords + " de " + portugueseMonths[month - 1]
            return year.map { said + " de " + LocaleNumberWords.cardinal($0, locale: "pt_PT") } ?? said
        },
        beforeYear: "de",
        dayMonthJoiners: ["de"]
    )

    /// "um" → "uma", "dois" → "duas" at the end ("vinte e uma", "duas").
    static func portugueseFeminine(_ words: String) -> String {
        words.replacingSuffix("um", with: "uma", wholeWord: true).replacingSuffix("dois", with: "duas", wholeWord: true)
    }

    static let portugueseOrdinalWords = RomanceOrdinalWords(
        units: ["", "primeiro", "segundo", "terceiro", "quarto", "quinto", "sexto", "sétimo", "oitavo", "nono"],
        tens: ["", "décimo", "vigésimo", "trigésimo", "quadragésimo", "quinquagésimo", "sexagésimo", "septuagésimo",
               "octogésimo", "nonagésimo"],
        hundred: "centésimo", teens: [:], apocopes: [:])
}
