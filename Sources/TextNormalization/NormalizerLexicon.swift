// NormalizerLexicon.swift: the word lists of the text normalizer — abbreviations, units,
// currencies, months, acronyms — each entry with what it is said as.

/// A written abbreviation and how it is said.
struct Abbreviation: Sendable {
    enum Kind: Sendable {
        /// Precedes a name ("Dr. Smith"); its dot never ends a sentence.
        case title
        /// Read only before a number ("No. 5", "Fig. 3"); its dot does not end a sentence.
        case beforeNumber
        /// Inside a sentence ("e.g.", "vs."); its dot does not end a sentence.
        case inner
        /// May end a sentence ("etc.", "Inc."): the dot is kept when a capital or the end follows.
        case mayEndSentence
    }

    let written: String
    let spoken: String
    let kind: Kind
    /// Said instead after a capitalized word, not before one ("Baker St." → "Street").
    var afterName: String? = nil

    var mayEndSentence: Bool { kind == .mayEndSentence }

    static let table: [Abbreviation] = [
        Abbreviation(written: "Mr.", spoken: "Mister", kind: .title),
        Abbreviation(written: "Mrs.", spoken: "Missus", kind: .title),
        Abbreviation(written: "Ms.", spoken: "Miz", kind: .title),
        Abbreviation(written: "Dr.", spoken: "Doctor", kind: .title, afterName: "Drive"),
        Abbreviation(written: "St.", spoken: "Saint", kind: .title, afterName: "Street"),
        Abbreviation(written: "Prof.", spoken: "Professor", kind: .title),
        Abbreviation(written: "Mt.", spoken: "Mount", kind: .title),
        Abbreviation(written: "Gen.", spoken: "General", kind: .title),
        Abbreviation(written: "Capt.", spoken: "Captain", kind: .title),
        Abbreviation(written: "Lt.", spoken: "Lieutenant", kind: .title),
        Abbreviation(written: "Sgt.", spoken: "Sergeant", kind: .title),
        Abbreviation(written: "Col.", spoken: "Colonel", kind: .title),
        Abbreviation(written: "Rev.", spoken: "Reverend", kind: .title),
        Abbreviation(written: "Gov.", spoken: "Governor", kind: .title),
        Abbreviation(written: "Sen.", spoken: "Senator", kind: .title),
        Abbreviation(written: "Rep.", spoken: "Representative", kind: .title),
        Abbreviation(written: "Pres.", spoken: "President", kind: .title),
        // British style, no dot: only before a capitalized name.
        Abbreviation(written: "Mr", spoken: "Mister", kind: .title),
        Abbreviation(written: "Mrs", spoken: "Missus", kind: .title),
        Abbreviation(written: "Ms", spoken: "Miz", kind: .title),
        Abbreviation(written: "Dr", spoken: "Doctor", kind: .title),
        Abbreviation(written: "No.", spoken: "number", kind: .beforeNumber),
        Abbreviation(written: "no.", spoken: "number", kind: .beforeNumber),
        Abbreviation(written: "Nos.", spoken: "numbers", kind: .beforeNumber),
        Abbreviation(written: "Fig.", spoken: "figure", kind: .beforeNumber),
        Abbreviation(written: "fig.", spoken: "figure", kind: .beforeNumber),
        Abbreviation(written: "Vol.", spoken: "volume", kind: .beforeNumber),
        Abbreviation(written: "vol.", spoken: "volume", kind: .beforeNumber),
        Abbreviation(written: "p.", spoken: "page", kind: .beforeNumber),
        Abbreviation(written: "pp.", spoken: "pages", kind: .beforeNumber),
        Abbreviation(written: "ca.", spoken: "circa", kind: .beforeNumber),
        Abbreviation(written: "e.g.", spoken: "for example", kind: .inner),
        Abbreviation(written: "E.g.", spoken: "For example", kind: .inner),
        Abbreviation(written: "i.e.", spoken: "that is", kind: .inner),
        Abbreviation(written: "I.e.", spoken: "That is", kind: .inner),
        Abbreviation(written: "vs.", spoken: "versus", kind: .inner),
        Abbreviation(written: "vs", spoken: "versus", kind: .inner),
        Abbreviation(written: "cf.", spoken: "compare", kind: .inner),
        Abbreviation(written: "approx.", spoken: "approximately", kind: .inner),
        Abbreviation(written: "Approx.", spoken: "Approximately", kind: .inner),
        Abbreviation(written: "etc.", spoken: "et cetera", kind: .mayEndSentence),
        Abbreviation(written: "etc", spoken: "et cetera", kind: .mayEndSentence),
        Abbreviation(written: "et al.", spoken: "et al", kind: .mayEndSentence),
        Abbreviation(written: "Inc.", spoken: "Incorporated", kind: .mayEndSentence),
        Abbreviation(written: "Ltd.", spoken: "Limited", kind: .mayEndSentence),
        Abbreviation(written: "Co.", spoken: "Company", kind: .mayEndSentence),
        Abbreviation(written: "Corp.", spoken: "Corporation", kind: .mayEndSentence),
        Abbreviation(written: "Bros.", spoken: "Brothers", kind: .mayEndSentence),
        Abbreviation(written: "Dept.", spoken: "Department", kind: .mayEndSentence),
        Abbreviation(written: "Jr.", spoken: "Junior", kind: .mayEndSentence),
        Abbreviation(written: "Sr.", spoken: "Senior", kind: .mayEndSentence),
        Abbreviation(written: "Ave.", spoken: "Avenue", kind: .mayEndSentence),
        Abbreviation(written: "Rd.", spoken: "Road", kind: .mayEndSentence),
        Abbreviation(written: "Blvd.", spoken: "Boulevard", kind: .mayEndSentence),
        Abbreviation(written: "U.S.", spoken: "U S", kind: .mayEndSentence),
        Abbreviation(written: "U.K.", spoken: "U K", kind: .mayEndSentence),
        Abbreviation(written: "U.N.", spoken: "U N", kind: .mayEndSentence),
        Abbreviation(written: "E.U.", spoken: "E U", kind: .mayEndSentence),
        Abbreviation(written: "Ph.D.", spoken: "P H D", kind: .mayEndSentence),
        Abbreviation(written: "a.m.", spoken: "A M", kind: .mayEndSentence),
        Abbreviation(written: "p.m.", spoken: "P M", kind: .mayEndSentence),
    ]
}

/// A unit written after a number, said in the singular after exactly 1.
struct Unit: Sendable {
    let written: String
    let singular: String
    let plural: String
    /// Only right after the number ("5s" would be a plural), never after a space; or the
    /// reverse for units that are words when glued ("5 s").
    var needsSpace = false
    var noSpace = false

    init(_ written: String, _ singular: String, _ plural: String? = nil, needsSpace: Bool = false, noSpace: Bool = false) {
        self.written = written
        self.singular = singular
        self.plural = plural ?? singular + "s"
        self.needsSpace = needsSpace
        self.noSpace = noSpace
    }

    /// Longest units first, so "km/h" wins over "km" and "kWh" over "kW".
    static let table: [Unit] = [
        Unit("%", "percent", "percent"), Unit("‰", "per mille", "per mille"),
        Unit("°C", "degree Celsius", "degrees Celsius"), Unit("°F", "degree Fahrenheit", "degrees Fahrenheit"),
        Unit("° C", "degree Celsius", "degrees Celsius"), Unit("° F", "degree Fahrenheit", "degrees Fahrenheit"),
        Unit("°", "degree"),
        Unit("mm", "millimeter"), Unit("cm", "centimeter"), Unit("km", "kilometer"), Unit("m", "meter"),
        Unit("µm", "micrometer"), Unit("μm", "micrometer"), Unit("nm", "nanometer"),
        Unit("m²", "square meter"), Unit("km²", "square kilometer"), Unit("cm²", "square centimeter"),
        Unit("m³", "cubic meter"), Unit("cm³", "cubic centimeter"),
        Unit("sq ft", "square foot", "square feet"), Unit("ft", "foot", "feet"), Unit("mi", "mile"),
        Unit("yd", "yard"),
        Unit("km/h", "kilometer per hour", "kilometers per hour"), Unit("kph", "kilometer per hour", "kilometers per hour"),
        Unit("mph", "mile per hour", "miles per hour"), Unit("m/s", "meter per second", "meters per second"),
        Unit("mg", "milligram"), Unit("kg", "kilogram"), Unit("g", "gram"),
        Unit("lbs", "pound"), Unit("lb", "pound"), Unit("oz", "ounce"),
        Unit("ml", "milliliter"), Unit("mL", "milliliter"), Unit("L", "liter"), Unit("l", "liter", noSpace: true),
        Unit("gal", "gallon"),
        Unit("KB", "kilobyte"), Unit("kB", "kilobyte"), Unit("MB", "megabyte"), Unit("GB", "gigabyte"),
        Unit("TB", "terabyte"), Unit("PB", "petabyte"), Unit("KiB", "kibibyte"), Unit("MiB", "mebibyte"),
        Unit("GiB", "gibibyte"), Unit("TiB", "tebibyte"),
        Unit("kbps", "kilobit per second", "kilobits per second"), Unit("Kbps", "kilobit per second", "kilobits per second"),
        Unit("Mbps", "megabit per second", "megabits per second"), Unit("Gbps", "gigabit per second", "gigabits per second"),
        Unit("ms", "millisecond"), Unit("µs", "microsecond"), Unit("μs", "microsecond"), Unit("ns", "nanosecond"),
        Unit("sec", "second"), Unit("secs", "second"), Unit("s", "second", needsSpace: true),
        Unit("min", "minute"), Unit("mins", "minute"), Unit("hrs", "hour"), Unit("hr", "hour"), Unit("h", "hour"),
        Unit("yrs", "year"), Unit("yr", "year"),
        Unit("Hz", "hertz", "hertz"), Unit("kHz", "kilohertz", "kilohertz"), Unit("MHz", "megahertz", "megahertz"),
        Unit("GHz", "gigahertz", "gigahertz"),
        Unit("kWh", "kilowatt hour"), Unit("kW", "kilowatt"), Unit("MW", "megawatt"), Unit("W", "watt"),
        Unit("mAh", "milliamp hour"), Unit("mA", "milliamp"), Unit("V", "volt"),
        Unit("dB", "decibel"), Unit("px", "pixel"),
        Unit("k", "thousand", "thousand", noSpace: true), Unit("bn", "billion", "billion", noSpace: true),
        Unit("USD", "U S dollar"), Unit("EUR", "euro"), Unit("GBP", "British pound"), Unit("€", "euro"),
    ].sorted { $0.written.unicodeScalars.count > $1.written.unicodeScalars.count }
}

/// A currency written before an amount ("$4.50").
struct Currency: Sendable {
    let symbol: String
    let singular: String
    let plural: String
    /// The hundredth part, for two decimals ("fifty cents"); nil: said as a decimal.
    let cent: (singular: String, plural: String)?

    static let table: [Currency] = [
        Currency(symbol: "US$", singular: "U S dollar", plural: "U S dollars", cent: ("cent", "cents")),
        Currency(symbol: "$", singular: "dollar", plural: "dollars", cent: ("cent", "cents")),
        Currency(symbol: "€", singular: "euro", plural: "euros", cent: ("cent", "cents")),
        Currency(symbol: "£", singular: "pound", plural: "pounds", cent: ("penny", "pence")),
        Currency(symbol: "¥", singular: "yen", plural: "yen", cent: nil),
        Currency(symbol: "₹", singular: "rupee", plural: "rupees", cent: ("paisa", "paise")),
        Currency(symbol: "₩", singular: "won", plural: "won", cent: nil),
        Currency(symbol: "₽", singular: "ruble", plural: "rubles", cent: ("kopek", "kopeks")),
        Currency(symbol: "₿", singular: "bitcoin", plural: "bitcoins", cent: nil),
    ]

    /// The first code points of the symbols (a cheap test before the table).
    static let firstScalars = String(String.UnicodeScalarView(table.map { $0.symbol.unicodeScalars.first! }))

    /// Scales after an amount: "$3m", "£2.5bn", "$10k", "$4 million".
    static let scales: [(written: String, spoken: String, glued: Bool)] = [
        ("thousand", "thousand", false), ("million", "million", false), ("billion", "billion", false),
        ("trillion", "trillion", false), ("bn", "billion", true), ("tn", "trillion", true),
        ("k", "thousand", true), ("K", "thousand", true), ("m", "million", true), ("M", "million", true),
        ("b", "billion", true), ("B", "billion", true),
    ]
}

enum Lexicon {
    static let months = ["January", "February", "March", "April", "May", "June", "July", "August", "September",
                         "October", "November", "December"]

    /// Month names and abbreviations (with or without a dot) → month number.
    static let monthNames: [String: Int] = {
        var names: [String: Int] = [:]
        for (index, month) in months.enumerated() {
            names[month] = index + 1
            names[String(month.prefix(3))] = index + 1
        }
        names["Sept"] = 9
        return names
    }()

    /// Acronyms said letter by letter although they have vowels (those without vowels, "HTML",
    /// "BBC", are spelled anyway).
    static let spelledAcronyms: Set<String> = [
        "FBI", "CIA", "CPU", "GPU", "TPU", "USA", "US", "UK", "EU", "UN", "AI", "API", "CEO", "CFO", "CTO", "COO",
        "URL", "ID", "IBM", "UFO", "IOU", "OS", "IP", "UI", "UX", "USB", "DVD", "ATM", "IRS", "IQ", "UV",
        "HIV", "ICU", "EV", "AC", "DC", "HR", "PR", "BA", "MA", "MBA", "UAE", "OECD", "IDE", "SDK", "AWS", "OCR",
        "LED", "LCD", "ROM", "CD", "EA", "NYC", "FAQ", "OK", "DIY", "EST",
        "PST", "UTC", "GMT", "SUV", "VIP", "RSVP", "ETA", "AKA", "PS", "TBA", "TBD", "ASAP", "ISO", "JPEG", "MPEG",
    ]

    /// Capitals that are words, never spelled.
    static let wordAcronyms: Set<String> = [
        "NASA", "NATO", "UNESCO", "UNICEF", "OPEC", "FIFA", "AIDS", "SCUBA", "LASER", "RADAR", "COVID", "JSON",
        "YAML", "RAM", "SIM", "PIN", "GIF", "WASP", "NAFTA", "ASCII",
    ]

    /// Top-level domains that mark a bare domain name ("example.com").
    static let domains: Set<String> = [
        "com", "org", "net", "io", "dev", "ai", "app", "co", "uk", "de", "fr", "edu", "gov", "info", "tv",
        "ca", "eu", "ly", "sh", "xyz", "biz",
    ]

    /// How symbols inside URLs and e-mail addresses are said.
    static let urlSymbols: [Unicode.Scalar: String] = [
        ".": "dot", "/": "slash", "-": "dash", "_": "underscore", ":": "colon", "?": "question mark",
        "=": "equals", "&": "and", "#": "hash", "%": "percent", "~": "tilde", "@": "at", "+": "plus",
    ]

    /// Words after a 4-digit number that make it a count, not a year ("1500 people").
    /// Plurals count unless they are listed here.
    static let nonCountWords: Set<String> = [
        "was", "is", "has", "as", "his", "its", "this", "thus", "us", "yes", "plus", "always", "across", "versus",
        "perhaps", "series", "does", "gives", "makes", "marks", "sees", "brings", "ends", "begins",
        "starts", "comes", "seems", "becomes", "remains", "goes",
    ]

    static let scaleWords: Set<String> = ["hundred", "thousand", "million", "billion", "trillion"]
}
