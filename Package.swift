// swift-tools-version: 6.0
// PocketTTS-Swift: Kyutai's Pocket TTS (pocket-tts 1.1.1, model b6369a24) in Swift,
// served as a real-time WebSocket speech service.
//
// Targets, dependencies pointing downward only:
//   C libraries (COpenBLAS, COpus, CWebSockets, CSentencePiece)
//   CKernels                          hot C kernels (AVX-512 with run-time dispatch, scalar fallback)
//   Kernels   -> COpenBLAS, CKernels  tensors and math, knows nothing about the model
//   PocketTTS -> Kernels, CSentencePiece, Yams   the model: pure compute
//   TTSEngine -> PocketTTS            producer/consumer threads, streams
//   TTSServer -> TTSEngine, Kernels (Precision), COpus, COpusEnc, CWebSockets, Yams   event loop, protocols, encoders
//   pocket-tts (executable) -> all of the above   the command line
//   pocket-tts-bench (executable) -> TTSEngine, PocketTTS   speed (Benchmarks/), not a test
import PackageDescription

let package = Package(
    name: "PocketTTS",
    platforms: [.macOS(.v14)],
    products: [
        .executable(name: "pocket-tts", targets: ["PocketTTSCLI"]),
        .executable(name: "pocket-tts-bench", targets: ["PocketTTSBench"]),
        .library(name: "PocketTTS", targets: ["PocketTTS"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        .package(url: "https://github.com/apple/swift-log", from: "1.6.0"),
        .package(url: "https://github.com/jpsim/Yams", from: "6.0.0"),
    ],
    targets: [
        // MARK: C libraries: a modulemap and a shim header each, nothing else.
        .systemLibrary(name: "COpenBLAS", pkgConfig: "openblas", providers: [.apt(["libopenblas-dev"])]),
        .systemLibrary(name: "COpus", pkgConfig: "opus", providers: [.apt(["libopus-dev"])]),
        .systemLibrary(name: "CWebSockets", pkgConfig: "libwebsockets", providers: [.apt(["libwebsockets-dev"])]),
        .systemLibrary(name: "CSndFile", pkgConfig: "sndfile", providers: [.apt(["libsndfile1-dev"])]),
        .systemLibrary(name: "CSoxr", pkgConfig: "soxr", providers: [.apt(["libsoxr-dev"])]),
        .systemLibrary(name: "COpusEnc", pkgConfig: "libopusenc", providers: [.apt(["libopusenc-dev"])]),
        .systemLibrary(name: "COpusFile", pkgConfig: "opusfile", providers: [.apt(["libopusfile-dev"])]),
        // SentencePiece is C++: a small target exposing a plain extern "C" API.
        .target(
            name: "CSentencePiece",
            cxxSettings: [.unsafeFlags(["-std=c++17"])],
            linkerSettings: [.linkedLibrary("sentencepiece"), .linkedLibrary("stdc++")]
        ),

        // Plain C kernels Swift cannot express (AVX-512 intrinsics), dispatched at run time.
        .target(name: "CKernels"),

        // MARK: Swift targets
        .target(name: "Kernels", dependencies: ["COpenBLAS", "CKernels"]),
        .target(
            name: "PocketTTS",
            dependencies: ["Kernels", "CSentencePiece", "CSndFile", "CSoxr", .product(name: "Yams", package: "Yams")]
        ),
        .target(
            name: "TTSEngine",
            dependencies: ["PocketTTS", "Kernels", .product(name: "Logging", package: "swift-log")]
        ),
        .target(
            name: "TTSServer",
            dependencies: [
                "TTSEngine", "Kernels", "COpus", "COpusEnc", "CWebSockets",
                .product(name: "Logging", package: "swift-log"), .product(name: "Yams", package: "Yams"),
            ]
        ),
        .executableTarget(
            name: "PocketTTSCLI",
            dependencies: [
                "PocketTTS", "TTSEngine", "TTSServer",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),

        // MARK: Benchmarks (Benchmarks/README.md)
        .executableTarget(name: "kernel-bench", dependencies: ["PocketTTS", "Kernels", "TTSEngine"], path: "Benchmarks/KernelBench"),
        // Speed of the engine on full-size random weights (Benchmarks/run.sh); not a test.
        .executableTarget(
            name: "PocketTTSBench",
            dependencies: [
                "PocketTTS", "TTSEngine", "Kernels", .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            path: "Benchmarks/Sources/PocketTTSBench"
        ),

        // MARK: Tests (swift-testing), mirroring the sources
        .testTarget(name: "KernelsTests", dependencies: ["Kernels"], resources: [.copy("Fixtures")]),
        .testTarget(name: "PocketTTSTests", dependencies: ["PocketTTS"], resources: [.copy("Fixtures")]),
        .testTarget(name: "TTSEngineTests", dependencies: ["TTSEngine"]),
        .testTarget(name: "TTSServerTests", dependencies: ["TTSServer", "COpusFile"], resources: [.copy("Fixtures")]),
    ]
)
