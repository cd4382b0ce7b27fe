"""Texts for the tokenizer.json parity fixtures: training text for the small test models and the
test corpus (>= 300 texts in English, French, German, Spanish, Italian, Portuguese and Dutch, with
numbers, punctuation, repeated spaces, tabs, newlines, emoji, combining marks, NFC/NFD variants and
rare characters that hit byte fallback). Everything is written here or generated from a fixed seed,
so the outputs are reproducible. Shared by make_tokenizer_json_fixtures.py and check_tokenizer_json.py.
"""
import random
import unicodedata

WORDS = {
    "en": "the of and to in is you that it he was for on are as with his they at be this have from "
          "one had word but not what all were we when your can said there use each which she do how "
          "their if will up other about out many then them these so some her would make like him into "
          "time has look two more write go see number way could people than first water been call who "
          "voice morning weather river mountain kitchen window computer yesterday tomorrow speech".split(),
    "fr": "le la les de des du un une et est dans que qui pour pas sur avec il elle nous vous ils "
          "être avoir faire dire pouvoir aller voir savoir vouloir venir très après déjà où là ça "
          "français école été été forêt château hôpital garçon cœur œuvre noël naïve élève fenêtre "
          "matin soir demain hier rivière montagne cuisine ordinateur voix parole".split(),
    "de": "der die das und ist nicht ein eine zu den mit sich des auf für im dem von sie es auch "
          "werden haben sein können müssen über schön größe straße mädchen übung äpfel öl fußball "
          "morgen abend gestern fluss berg küche fenster rechner stimme sprache wetter".split(),
    "es": "el la los las de que y en un una es por con no se lo para su al más como pero sus le ya "
          "años mañana niño señor corazón canción árbol también después está qué cómo dónde "
          "ayer río montaña cocina ventana ordenador voz habla tiempo".split(),
    "it": "il la di che e è un una per non in con si da del della sono anche come più ma questo "
          "città perché così già può però università caffè felicità virtù domani ieri fiume "
          "montagna cucina finestra voce parola tempo mattina sera".split(),
    "pt": "o a os as de que e do da em um uma para com não se na por mais como mas foi ao ele ela "
          "são coração ação nação irmã pão mãe avô avó você também está então amanhã ontem rio "
          "montanha cozinha janela computador voz fala tempo manhã".split(),
    "nl": "de het een en van in is dat op te zijn met voor niet aan er ook als bij maar om dan "
          "zou wat mijn hij zij wij geen kunnen moeten hebben huis ijs fiets gezellig één twee "
          "morgen gisteren rivier berg keuken raam computer stem spraak weer".split(),
}

SENTENCES = {
    "en": [
        "Hello world.",
        "Hello, this is a test.",
        "The quick brown fox jumps over the lazy dog!",
        "It's 7:45 a.m. and the temperature is 21.5 degrees.",
        "Wait -- really?! Yes; really: twice.",
        "She paid $1,234.56 for 3 tickets (about 20% off).",
        "\"Quoted text,\" he said, 'and more.'",
        "Call 555-0123 or e-mail info@example.com before 2024-05-17.",
        "Dr. Smith's 2nd-floor office is at 10 Downing St.",
        "I can't believe it's already 2025... Time flies!",
    ],
    "fr": [
        "Bonjour, comment ça va aujourd'hui ?",
        "L'été dernier, nous sommes allés à la plage à 8 h 30.",
        "Le cœur a ses raisons que la raison ne connaît point.",
        "« Où est la bibliothèque ? » demanda l'élève.",
        "Il coûte 12,50 € — c'est très cher !",
        "Noël approche ; les enfants sont impatients.",
        "Ça fait déjà trois ans qu'il habite à Besançon.",
        "Château, forêt, hôpital : des mots avec des accents circonflexes.",
        "Qu'est-ce que tu veux faire demain matin ?",
        "Les œuvres complètes de Molière, 1666–1673.",
    ],
    "de": [
        "Guten Morgen! Wie geht es Ihnen?",
        "Die Straße ist 3,5 km lang und sehr schön.",
        "Größe, Übung, Äpfel und Öl: Umlaute überall.",
        "„Das ist nicht dein Ernst“, sagte sie.",
        "Am 3. Oktober 1990 wurde Deutschland wiedervereinigt.",
        "Der Fußballplatz liegt hinter dem Bahnhof.",
        "Können Sie mir bitte helfen? Ich habe mich verlaufen.",
        "Donaudampfschifffahrtsgesellschaftskapitän ist ein langes Wort.",
        "Das Mädchen liest ein Buch über Schmetterlinge.",
        "Es kostet 19,99 € – inklusive Mehrwertsteuer.",
    ],
    "es": [
        "¿Qué hora es? Son las 10:15.",
        "¡Hola! ¿Cómo estás, señor García?",
        "El niño comió una manzana en el jardín.",
        "Mañana iremos a la montaña con mis años de experiencia.",
        "La canción tiene 3 minutos y 45 segundos.",
        "El corazón del árbol está podrido, dijo el jardinero.",
        "Pagué 25,30 € por dos entradas de cine.",
        "¿Dónde está la estación de tren más cercana?",
        "España ganó el partido 2-1 en el último minuto.",
        "Él también quería ir, pero no pudo.",
    ],
    "it": [
        "Buongiorno! Come stai oggi?",
        "La città è bellissima di sera.",
        "Perché non vieni con noi al caffè?",
        "L'università apre alle 8:30 di mattina.",
        "Così è la vita: un po' di felicità e un po' di virtù.",
        "Il treno per Firenze parte dal binario 4.",
        "Ho comprato 2 chili di pane e 1,5 litri di latte.",
        "Può darsi che piova domani, però non è sicuro.",
        "Quest'estate andremo in Sicilia per 15 giorni.",
        "Il 25 aprile è la Festa della Liberazione.",
    ],
    "pt": [
        "Olá! Tudo bem com você?",
        "O coração da nação bate forte.",
        "Minha mãe e minha irmã foram ao mercado comprar pão.",
        "São 14h30 e ainda não almoçamos.",
        "A ação começou às 9 horas da manhã.",
        "Você também vai à praia amanhã?",
        "O avô e a avó moram em Lisboa há 40 anos.",
        "Custa R$ 49,90 ou € 12,00, depende da loja.",
        "Não sei se ele está em casa agora.",
        "Então, vamos começar a reunião?",
    ],
    "nl": [
        "Goedemorgen! Hoe gaat het met je?",
        "Het is een gezellige avond in Amsterdam.",
        "Ik fiets elke dag 12 kilometer naar mijn werk.",
        "Het ijs op de gracht is 5 cm dik.",
        "Wij hebben één kat en twee honden.",
        "Zou je me morgen kunnen helpen met verhuizen?",
        "De trein van 8.15 uur naar Utrecht is vertraagd.",
        "Het kost € 3,50 voor een kopje koffie.",
        "Geen idee wat hij bedoelt, eerlijk gezegd.",
        "Rijst, fijn, ijverig: de ij komt vaak voor.",
    ],
}

NUMBERS = ["0", "1", "2", "7", "10", "12", "42", "99", "100", "365", "2024", "3.14", "1,000", "12,5", "1.000.000", "50%"]
PUNCT_END = [".", ".", ".", "!", "?", "...", "?!", " !", " ?", "…"]
PUNCT_MID = [",", ",", ";", ":", " -", " –", " —"]
QUOTES = [('"', '"'), ("'", "'"), ("«\u00a0", "\u00a0»"), ("„", "“"), ("“", "”"), ("‘", "’"), ("(", ")")]
EMOJI = ["😀", "🎉", "👍🏽", "👨‍👩‍👧‍👦", "🇫🇷", "🇩🇪", "❤️", "🤖", "☕", "🌍", "✨", "🙂"]
RARE = ["ﬁ", "™", "①", "Ⅻ", "㎏", "ｆｕｌｌ", "½", "²", "Ω", "Å", "µ", "ǅ", "ẞ", "ß", "ĳ", "Ǆ", "ﬀ", "㍻",
        "𝔘𝔫𝔦𝔠𝔬𝔡𝔢", "𝟙𝟚𝟛", "漢字", "日本語", "한국어", "Ελληνικά", "Русский", "עברית", "العربية", "हिन्दी",
        "ไทย", "∑∫√∞", "⟨x⟩", "♪♫", "€£¥₹₿", "§¶†‡", "\u00ad", "\u2028", "\ufeff", "\U0001f9ec", "𓀀"]
WHITESPACE = ["  ", "   ", "\t", "\t\t", "\n", "\n\n", "\r\n", " \t ", "\u00a0", "\u2009", "\u3000", "\u200b"]


def sentence(rng: random.Random, lang: str) -> str:
    words = []
    for i in range(rng.randint(3, 14)):
        word = rng.choice(NUMBERS) if rng.random() < 0.07 else rng.choice(WORDS[lang])
        if rng.random() < 0.06:
            left, right = rng.choice(QUOTES)
            word = left + word + right
        if i and rng.random() < 0.1:
            word += rng.choice(PUNCT_MID)
        words.append(word)
    text = " ".join(words)
    return text[0].upper() + text[1:] + rng.choice(PUNCT_END)


def training_lines(seed: int = 1234, count: int = 6000) -> list[str]:
    """Training text for the small SentencePiece and BPE models (all seven languages)."""
    rng = random.Random(seed)
    langs = sorted(WORDS)
    lines = [s for lang in langs for s in SENTENCES[lang]] * 3
    for _ in range(count):
        lang = rng.choice(langs)
        lines.append(" ".join(sentence(rng, lang) for _ in range(rng.randint(1, 3))))
    return lines


def _decorate(rng: random.Random, text: str) -> str:
    """One or two of the hard features, at random places."""
    words = text.split(" ")
    for _ in range(rng.randint(1, 2)):
        kind = rng.choice(["space", "space", "emoji", "rare", "nfd", "edge", "number"])
        i = rng.randrange(len(words))
        if kind == "space":
            words[i] = words[i] + rng.choice(WHITESPACE)
        elif kind == "emoji":
            words[i] = words[i] + rng.choice(["", " "]) + rng.choice(EMOJI)
        elif kind == "rare":
            words.insert(i, rng.choice(RARE))
        elif kind == "nfd":
            words[i] = unicodedata.normalize("NFD", words[i])
        elif kind == "number":
            words.insert(i, rng.choice(NUMBERS))
        else:
            words[i] = rng.choice(["  ", " ", "\t", "\n"]) + words[i] if i == 0 else words[i] + rng.choice(["  ", " ", "\n"])
    return " ".join(words)


EDGE_TEXTS = [
    "", " ", "  ", "   ", "\t", "\n", "\r\n", " \n ", "a", "I", ".", "!?...", "▁", "▁▁", " ▁", "a▁b", "▁hello",
    "  leading spaces", "trailing spaces  ", "  both  ", "multiple     inner      spaces",
    "tab\tseparated\tvalues", "line one\nline two\nline three", "windows\r\nline\r\nends",
    "mixed \t \n whitespace", "\u00a0non-breaking\u00a0space\u00a0", "ideographic\u3000space",
    "zero\u200bwidth\u200bspace", "soft\u00adhyphen", "bom\ufeffinside", "line\u2028separator",
    "<s>", "</s>", "<unk>", "<pad>", "<s>Hello</s>", "Hello <s> world </s> end", "a<unk>b", "<0x41>",
    "[laugh]", "She said [laugh] and left.", "[laugh][laugh]", " [laugh] ", "pocket", "Pocket TTS pocket",
    "<laugh>", "I <laugh> you", "<laugh>   <laugh>",
    "café", "cafe\u0301", "Café Crème", "Cafe\u0301 Cre\u0300me", "naïve", "nai\u0308ve",
    "Å Å Å", "Ω Ω", "ﬁnancial ﬂower", "™ ® ©", "①②③", "Ⅻ o'clock", "㎏ ㎞ ㍻", "ｆｕｌｌｗｉｄｔｈ　ｔｅｘｔ",
    "x²+y²=z²", "½ ¼ ¾", "e\u0301\u0301\u0301", "a\u0308\u0304", "q\u0307\u0323", "ǅemal", "straße STRASSE ẞ",
    "İstanbul ı", "ΣΊΣΥΦΟΣ σίσυφος", "ĳssel IJssel",
    "😀", "😀😀😀", "👨‍👩‍👧‍👦 family", "👍🏽👍🏿", "🇫🇷🇩🇪🇪🇸🇮🇹🇵🇹🇳🇱", "❤️ love ❤", "I ❤️ NY", "🤖 robot 🤖",
    "漢字 and 日本語", "한국어 텍스트", "Ελληνικά κείμενα", "Русский текст", "עברית", "العربية", "हिन्दी",
    "ไทย", "∑∫√∞", "𝔘𝔫𝔦𝔠𝔬𝔡𝔢 𝟙𝟚𝟛", "𓀀𓀁", "\U0001f9ec dna", "ÿ", "\u0000nul", "bell\u0007", "del\u007f",
    "\u0085next line", "control\u001fchar", "\ufffd replacement", "\U0010fffd",
    "1234567890", "3.14159265358979", "1,000,000.00", "-42", "+33 1 23 45 67 89", "2024-05-17T10:30:00Z",
    "100%", "$5", "5€", "£10", "¥1000", "₹500", "#1", "@user", "https://example.com/a?b=c&d=e#f",
    "C:\\path\\to\\file.txt", "~/dir/file", "snake_case camelCase kebab-case", "ALLCAPS", "MiXeD",
    "Mr. & Mrs. O'Neil", "rock 'n' roll", "l'homme d'affaires", "aujourd'hui", "it's", "don’t",
    "wow!!!", "really???", "...", "—", "–", "- - -", "a-b-c", "(a)", "[b]", "{c}", "<d>", "\"e\"",
    "x" * 200, "ab" * 150, "é" * 100, "😀" * 50, "word " * 60, " " * 50, "\n" * 20,
    "Ünïcödé wïth äll thë dïäcrïtïcs", "Ångström", "Ærøskøbing", "Łódź", "Ğğ Şş", "Čeština",
]


def test_corpus(seed: int = 2025) -> list[str]:
    """The parity corpus: handwritten sentences, generated ones with hard features, edge cases."""
    rng = random.Random(seed)
    texts = []
    for lang in sorted(SENTENCES):
        for text in SENTENCES[lang]:
            texts.append(text)
            if rng.random() < 0.5:
                texts.append(_decorate(rng, text))
        texts.append(unicodedata.normalize("NFD", SENTENCES[lang][rng.randrange(10)]))
        texts.append("\n".join(SENTENCES[lang][:3]))
        texts.append("  ".join(SENTENCES[lang][3:6]))
        for _ in range(22):
            text = sentence(rng, lang)
            texts.append(_decorate(rng, text) if rng.random() < 0.6 else text)
    texts += EDGE_TEXTS
    return texts


FUZZ_POOLS = [
    list("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"),
    list(".,;:!?'\"()[]{}<>-_/\\@#$%^&*+=|~`"),
    [" ", " ", "  ", "\t", "\n", "\r\n", "\r", "\u00a0", "\u3000", "\u2009", "\u200b", "\u2581", "\ufeff", "\u0085", "\u2028"],
    list("éèêëàâäçîïôöùûüÿñßæœøåÉÀÇÑÜÖÄŁłŒ"),
    [chr(c) for c in range(0x300, 0x370)],
    ["😀", "👍", "🏽", "\u200d", "\ufe0f", "👨", "👩", "🇫", "🇷", "❤", "🤖", "🧬"],
    list("漢字日本語한국어ひらがなカタカナ中文"), list("العربيةעבריתहिन्दीไทยΕλληνικάРусский"),
    ["<s>", "</s>", "<unk>", "<pad>", "[laugh]", "<laugh>", "pocket", "Pocket", "<0x41>", "▁", "▁▁"],
    [chr(c) for c in list(range(0, 0x20)) + [0x7f, 0x80, 0x8f, 0x9f]],
    list("ﬁﬂ™①Ⅻ㎏ｆｕｌ½²ΩÅµǅẞĳ㍻𝔘𝟙Ⓐ⑴"), ["\U0010fffd", "\ue000", "\U0001d165", "\u1100\u1161\u11a8", "ᄀ", "ᅡ"],
]


def fuzz_texts(count: int, seed: int = 99) -> list[str]:
    """Random texts mixing every hard kind of character (for check_tokenizer_json.py --fuzz)."""
    rng = random.Random(seed)
    texts = []
    for _ in range(count):
        parts = []
        for _ in range(rng.randint(0, 40)):
            pool = rng.choice(FUZZ_POOLS)
            parts.append("".join(rng.choice(pool) for _ in range(rng.randint(1, 4))))
            if rng.random() < 0.4:
                parts.append(" ")
        text = "".join(parts)
        texts.append(unicodedata.normalize(rng.choice(["NFC", "NFD", "NFKC", "NFKD"]), text) if rng.random() < 0.2 else text)
    return texts
