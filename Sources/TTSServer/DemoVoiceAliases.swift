// DemoVoiceAliases.swift: in demo mode (random weights) the official voice names stand for the
// demo voice, so clients that ask for `alba` (the reference's default) work against `make run`.

public enum DemoVoiceAliases {
    /// `names` (e.g. the predefined voices) that `offered` lacks, each mapped to `demoVoice`.
    /// Empty when `demoVoice` is not offered itself.
    public static func aliases(for names: [String], offered: Set<String>, demoVoice: String) -> [String: String] {
        guard offered.contains(demoVoice) else { return [:] }
        var aliases: [String: String] = [:]
        for name in names where !offered.contains(name) { aliases[name] = demoVoice }
        return aliases
    }
}
