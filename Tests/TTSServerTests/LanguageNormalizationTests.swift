import Foundation
import PocketTTS
import Testing
import TextNormalization
@testable import TTSServer

/// A turn's language picks its normalization rules (issue 23): its `language`, else the
/// language of the model it speaks on; English without either. End to end through the service
/// with several models, and in the session machine.
@Suite(.serialized) struct LanguageNormalizationTests {
    static let models: [MultiModelFixture.Model] = [
        .init(name: "english", voices: ["alba"]), .init(name: "french", voices: ["estelle"]),
        .init(name: "german", voices: ["juergen"]),
    ]

    /// Sends `text` in one turn with `config` and returns what the model `model` was handed.
    func spoken(_ text: String, config: String, model: String, fixture: MultiModelFixture) throws -> String {
        let before = fixture.chunks(model).count
        let client = try TTSTestClient.connect(port: fixture.port)
        try client.config(config)
        _ = try client.expectAccepted()
        try client.text(text)
        try client.flush()
        _ = try client.collectTurn()
        return fixture.chunks(model).dropFirst(before).joined(separator: " ")
    }

    @Test func aFrenchSessionGetsFrenchNormalizationAndAnEnglishOneEnglish() throws {
        let fixture = try MultiModelFixture(Self.models, wyoming: false)
        defer { fixture.stop() }
        let french = try spoken("Le 3 mai à 15 h 30, M. Dupont a payé 12,50 €.", config: "\"language\":\"fr\",\"temperature\":0",
                                model: "french", fixture: fixture)
        #expect(french.contains("trois mai à quinze heures trente"), "\(french)")
        #expect(french.contains("Monsieur Dupont a payé douze euros cinquante"), "\(french)")
        // The model alone says which language: `model: german`.
        let german = try spoken("Am 3. Mai um 15:30 Uhr kostet es 12,50 €.", config: "\"model\":\"german\",\"temperature\":0",
                                model: "german", fixture: fixture)
        #expect(german.contains("Am dritten Mai um fünfzehn Uhr dreißig"), "\(german)")
        #expect(german.contains("zwölf Euro fünfzig"), "\(german)")
        // No language, no model: the default (English) model and English rules.
        let english = try spoken("It costs $4.50.", config: "\"temperature\":0", model: "english", fixture: fixture)
        #expect(english.contains("four dollars and fifty cents"), "\(english)")
    }

    @Test func theRouterSaysEachTurnsLanguage() throws {
        let fixture = try MultiModelFixture(Self.models, wyoming: false)
        defer { fixture.stop() }
        var config = TurnConfig(voice: "alba")
        #expect(fixture.router.languageCode(for: config) == "en")
        config.model = "french"
        #expect(fixture.router.languageCode(for: config) == "fr")
        config.model = nil
        config.language = "German"
        #expect(fixture.router.languageCode(for: config) == "de")
        config.language = "ja"
        #expect(fixture.router.languageCode(for: config) == nil)  // refused when the turn starts
    }

    func machine(turnLanguage: (@Sendable (TurnConfig) -> String?)? = nil) -> SessionMachine {
        var configuration = SessionMachine.Configuration(voices: ["alba"])
        configuration.turnLanguage = turnLanguage
        return SessionMachine(configuration: configuration, random: SystemRandomNumberGenerator(), now: 0)
    }

    @Test func theMachineNormalizesInTheTurnsLanguage() {
        var session = machine()
        var config = TurnConfig(voice: "alba")
        config.language = "es"
        _ = session.onMessage(.config(config), now: 0)
        #expect(session.spokenText("Son 12,50 €.", turn: 1) == "Son doce euros con cincuenta.")
        var byModel = machine { _ in "nl" }
        _ = byModel.onMessage(.config(TurnConfig(voice: "alba")), now: 0)
        #expect(byModel.spokenText("Het kost € 12,50.", turn: 1) == "Het kost twaalf euro vijftig.")
    }

    @Test func aLanguageWithoutRulesIsAConfigErrorUnlessTheTurnDoesNotNormalize() {
        var session = machine()
        var config = TurnConfig(voice: "alba")
        config.language = "ja"
        let actions = session.onMessage(.config(config), now: 0)
        #expect(actions.contains { action in
            if case .send(.error(.invalidConfig(key: "language", let reason))) = action { return reason.contains("en, fr, de, es, it, pt, nl") }
            return false
        }, "\(actions)")
        config.normalize = false
        let accepted = session.onMessage(.config(config), now: 0)
        #expect(accepted.contains { if case .startTurn = $0 { return true } else { return false } }, "\(accepted)")
    }
}
