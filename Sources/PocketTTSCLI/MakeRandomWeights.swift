import ArgumentParser

struct MakeRandomWeights: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "make-random-weights",
        abstract: "Write seeded random weights with the official tensor names, shapes and dtypes."
    )
    func run() throws {
        throw ValidationError("make-random-weights: not built yet")
    }
}
