// swift-tools-version: 6.0
// PocketTTS-Swift: Kyutai's Pocket TTS (pocket-tts 1.1.1, model b6369a24) in Swift,
// served as a real-time WebSocket speech service.
//
// Targets, one concern each, dependencies pointing downward only (README "Layout"):
//
//   pocket-tts (PocketTTSCLI)   the command line: thin
//     TTSServer      libwebsockets event loop, protocols, sessions, encoders, /metrics -> TTSEngine,
//                    AudioIO, PocketTTS, TextNormalization, COpus, COpusEnc, CWebSockets, CFrameGuard,
//                    swift-log, Yams, swift-metrics + swift-prometheus
//       TTSEngine    producer/consumer threads, streams, the voice library -> PocketTTS, ModelHub,
//                    AudioIO, Kernels, swift-crypto
//         PocketTTS  the model: config, precision, weights, tokenizer, text, FlowLM, Mimi, voice
//                    states; reads model files, nothing else -> Kernels, CSentencePiece, Yams
//           Kernels  tensors and math (BLAS, skinny GEMM, vector ELU, AVX-512 linear, the worker
//                    pool its caller owns); knows nothing about the model -> COpenBLAS, CKernels
//         TextNormalization  numbers, money, dates, units, abbreviations read as words in each
//                    supported language; pronunciations; not the model -> Yams (ICU via Foundation)
//         ModelHub   Hugging Face cache, download, checksums, progress -> swift-crypto, Yams
//         AudioIO    audio files, resampling, time stretching -> CSndFile, CSoxr, CRubberBand
//   C: COpenBLAS COpus COpusEnc COpusFile CWebSockets CMsgPack CSndFile CSoxr CLame CRubberBand (system libraries),
//      CSentencePiece (extern "C" over libsentencepiece), CKernels (AVX-512 kernels),
//      CFrameGuard (an interposed recv that sees client frames' mask bit)
//   Benchmarks/: engine-bench and kernel-bench (speed, not tests); pocket-tts-bench is the Python client's
import PackageDescription

let package = Package(
    name: "PocketTTS",
    platforms: [.macOS(.v14)],
    products: [
        .executable(name: "pocket-tts", targets: ["PocketTTSCLI"]),
        .executable(name: "engine-bench", targets: ["PocketTTSBench"]),
        .library(name: "PocketTTS", targets: ["PocketTTS"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        .package(url: "https://github.com/apple/swift-crypto", from: "3.12.3"),
        .package(url: "https://github.com/apple/swift-log", from: "1.6.0"),
        .package(url: "https://github.com/apple/swift-metrics", from: "2.13.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus", from: "2.4.1"),
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
        .systemLibrary(name: "CMsgPack", pkgConfig: "msgpack", providers: [.apt(["libmsgpack-dev"])]),
        .systemLibrary(name: "CLame", pkgConfig: "lame", providers: [.apt(["libmp3lame-dev"])]),
        .systemLibrary(name: "CRubberBand", pkgConfig: "rubberband", providers: [.apt(["librubberband-dev"])]),
        // SentencePiece is C++: a small target exposing a plain extern "C" API.
        .target(
            name: "CSentencePiece",
            cxxSettings: [.unsafeFlags(["-std=c++17"])],
            linkerSettings: [.linkedLibrary("sentencepiece"), .linkedLibrary("stdc++")]
        ),

        // Plain C kernels Swift cannot express (AVX-512 intrinsics), dispatched at run time.
        .target(name: "CKernels"),
        // Plain C: an interposed `recv` that sees the mask bit of client frames, which
        // libwebsockets keeps private (FrameMaskGuard.swift).
        .target(name: "CFrameGuard", linkerSettings: [.linkedLibrary("dl")]),

        // MARK: Swift targets
        .target(name: "Kernels", dependencies: ["COpenBLAS", "CKernels"]),
        .target(name: "PocketTTS", dependencies: ["Kernels", "CSentencePiece", .product(name: "Yams", package: "Yams")]),
        // Text read the way people say it, per language (not the model): ICU spell-out through Foundation.
        .target(name: "TextNormalization", dependencies: [.product(name: "Yams", package: "Yams")]),
        // I/O beside the model: model files from the Hugging Face hub; audio files and resampling.
        .target(
            name: "ModelHub",
            dependencies: [.product(name: "Crypto", package: "swift-crypto"), .product(name: "Yams", package: "Yams")]
        ),
        .target(name: "AudioIO", dependencies: ["CSndFile", "CSoxr", "CRubberBand"]),
        .target(
            name: "TTSEngine",
            dependencies: [
                "PocketTTS", "Kernels", "ModelHub", "AudioIO", .product(name: "Crypto", package: "swift-crypto"),
            ]
        ),
        .target(
            name: "TTSServer",
            dependencies: [
                "TTSEngine", "PocketTTS", "TextNormalization", "AudioIO", "COpus", "COpusEnc", "CWebSockets", "CMsgPack", "CLame", "CFrameGuard",
                .product(name: "Logging", package: "swift-log"), .product(name: "Yams", package: "Yams"),
                .product(name: "CoreMetrics", package: "swift-metrics"),
                .product(name: "Prometheus", package: "swift-prometheus"),
            ]
        ),
        .executableTarget(
            name: "PocketTTSCLI",
            dependencies: [
                "PocketTTS", "TextNormalization", "Kernels", "ModelHub", "AudioIO", "TTSEngine", "TTSServer",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),

        // MARK: Benchmarks (Benchmarks/README.md)
        .executableTarget(name: "kernel-bench", dependencies: ["PocketTTS", "Kernels", "TTSEngine", "AudioIO"], path: "Benchmarks/KernelBench"),
        // Speed of the engine on full-size random weights (Benchmarks/run.sh); not a test.
        .executableTarget(
            name: "PocketTTSBench",
            dependencies: [
                "PocketTTS", "TTSEngine", "Kernels", "AudioIO", .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            path: "Benchmarks/Sources/PocketTTSBench"
        ),

        // MARK: Tests (swift-testing), mirroring the sources
        .testTarget(name: "KernelsTests", dependencies: ["Kernels"], resources: [.copy("Fixtures")]),
        .testTarget(
            name: "PocketTTSTests",
            dependencies: ["PocketTTS", "Kernels", .product(name: "Yams", package: "Yams")],
            resources: [.copy("Fixtures")]
        ),
        .testTarget(name: "TextNormalizationTests", dependencies: ["TextNormalization"], resources: [.copy("Fixtures")]),
        .testTarget(name: "ModelHubTests", dependencies: ["ModelHub", .product(name: "Crypto", package: "swift-crypto")]),
        .testTarget(name: "AudioIOTests", dependencies: ["AudioIO"]),
        // TTSEngineTests and TTSServerTests read the tiny model from Tests/PocketTTSTests/Fixtures.
        .testTarget(name: "TTSEngineTests", dependencies: ["TTSEngine", "PocketTTS", "Kernels", "AudioIO"]),
        .testTarget(
            name: "TTSServerTests",
            dependencies: [
                "TTSServer", "TTSEngine", "PocketTTS", "TextNormalization", "AudioIO", "COpusFile",
                .product(name: "Prometheus", package: "swift-prometheus"),
            ],
            resources: [.copy("Fixtures")]
        ),
    ]
)
