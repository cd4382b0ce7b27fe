// Mimi: the audio codec of Pocket TTS (pocket_tts/models/mimi.py `MimiModel`), its
// dimensions (the `mimi:` section of the model yaml) and its errors.

/// Errors of the Mimi codec.
public enum MimiError: Error, Equatable, CustomStringConvertible {
    /// The configuration describes a model this port does not build.
    case unsupportedConfig(String)
    /// `encode` was given no samples.
    case emptyAudio

    public var description: String {
        switch self {
        case .unsupportedConfig(let why): "mimi: unsupported configuration: \(why)"
        case .emptyAudio: "mimi: cannot encode empty audio"
        }
    }
}

/// The Mimi codec: weights only, shared by every stream.
public struct Mimi: Sendable {
    public let config: Config
    public let encoder: MimiEncoder
    public let decoder: MimiDecoder

    public init(config: Config, encoder: MimiEncoder, decoder: MimiDecoder) {
        self.config = config
        self.encoder = encoder
        self.decoder = decoder
    }

    /// Dimensions of the codec, mirroring the yaml `mimi:` section (pocket_tts utils/config.py).
    public struct Config: Sendable, Equatable {
        /// `mimi.seanet` (SEANetConfig).
        public struct SEANet: Sendable, Equatable {
            public var dimension: Int  // dimension
            public var channels: Int  // channels
            public var filterCount: Int  // n_filters
            public var residualLayerCount: Int  // n_residual_layers
            public var ratios: [Int]  // ratios (decoder order; the encoder uses them reversed)
            public var kernelSize: Int  // kernel_size
            public var residualKernelSize: Int  // residual_kernel_size
            public var lastKernelSize: Int  // last_kernel_size
            public var dilationBase: Int  // dilation_base
            public var paddingMode: ConvPaddingMode  // pad_mode
            public var compress: Int  // compress

            public init(
                dimension: Int, channels: Int, filterCount: Int, residualLayerCount: Int, ratios: [Int],
                kernelSize: Int, residualKernelSize: Int, lastKernelSize: Int, dilationBase: Int,
                paddingMode: ConvPaddingMode, compress: Int
            ) {
                self.dimension = dimension
                self.channels = channels
                self.filterCount = filterCount
                self.residualLayerCount = residualLayerCount
                self.ratios = ratios
                self.kernelSize = kernelSize
                self.residualKernelSize = residualKernelSize
                self.lastKernelSize = lastKernelSize
                self.dilationBase = dilationBase
                self.paddingMode = paddingMode
                self.compress = compress
            }

            /// Π ratios.
            public var hopLength: Int { ratios.reduce(1, *) }
        }

        /// `mimi.transformer` (MimiTransformerConfig), shared by both transformers.
        public struct Transformer: Sendable, Equatable {
            public var dModel: Int  // d_model
            public var headCount: Int  // num_heads
            public var layerCount: Int  // num_layers
            public var layerScale: Float  // layer_scale (initial value; the weights hold the learned one)
            public var context: Int  // context
            public var feedForwardDimension: Int  // dim_feedforward
            public var inputDimension: Int  // input_dimension
            public var outputDimensions: [Int]  // output_dimensions (exactly one is used)
            public var maxPeriod: Double  // max_period (default 10000)

            public init(
                dModel: Int, headCount: Int, layerCount: Int, layerScale: Float, context: Int,
                feedForwardDimension: Int, inputDimension: Int, outputDimensions: [Int], maxPeriod: Double = 10_000
            ) {
                self.dModel = dModel
                self.headCount = headCount
                self.layerCount = layerCount
                self.layerScale = layerScale
                self.context = context
                self.feedForwardDimension = feedForwardDimension
                self.inputDimension = inputDimension
                self.outputDimensions = outputDimensions
                self.maxPeriod = maxPeriod
            }
        }

        public var sampleRate: Int  // sample_rate
        public var channels: Int  // channels
        public var frameRate: Double  // frame_rate
        public var seanet: SEANet  // seanet
        public var transformer: Transformer  // transformer
        public var quantizerDimension: Int  // quantizer.dimension (latent size, 32)
        public var quantizerOutputDimension: Int  // quantizer.output_dimension

        public init(
            sampleRate: Int, channels: Int, frameRate: Double, seanet: SEANet, transformer: Transformer,
            quantizerDimension: Int, quantizerOutputDimension: Int
        ) {
            self.sampleRate = sampleRate
            self.channels = channels
            self.frameRate = frameRate
            self.seanet = seanet
            self.transformer = transformer
            self.quantizerDimension = quantizerDimension
            self.quantizerOutputDimension = quantizerOutputDimension
        }

        /// Audio samples per latent frame: sample_rate / frame_rate (1920).
        public var frameLength: Int { Int((Double(sampleRate) / frameRate).rounded()) }

        /// Stride of the up/downsampling between the SEANet rate and the frame rate (16).
        public var resampleStride: Int { frameLength / seanet.hopLength }

        /// `config/b6369a24.yaml`.
        public static let b6369a24 = Config(
            sampleRate: 24_000, channels: 1, frameRate: 12.5,
            seanet: SEANet(dimension: 512, channels: 1, filterCount: 64, residualLayerCount: 1, ratios: [6, 5, 4],
                           kernelSize: 7, residualKernelSize: 3, lastKernelSize: 3, dilationBase: 2,
                           paddingMode: .constant, compress: 2),
            transformer: Transformer(dModel: 512, headCount: 8, layerCount: 2, layerScale: 0.01, context: 250,
                                     feedForwardDimension: 2048, inputDimension: 512, outputDimensions: [512]),
            quantizerDimension: 32, quantizerOutputDimension: 512)

        /// Checks what `MimiModel.__init__` and this port rely on.
        public func validate() throws(MimiError) {
            let hop = seanet.hopLength
            guard channels == 1, seanet.channels == 1 else { throw .unsupportedConfig("only mono (channels = 1)") }
            guard hop > 0, seanet.ratios.allSatisfy({ $0 > 0 }) else { throw .unsupportedConfig("ratios must be positive") }
            guard frameRate > 0, Double(frameLength) == Double(sampleRate) / frameRate, frameLength % hop == 0,
                  resampleStride > 1
            else {
                throw .unsupportedConfig("sample_rate / frame_rate must be a multiple (> 1) of the SEANet hop \(hop)")
            }
            guard transformer.outputDimensions.count == 1 else {
                throw .unsupportedConfig("exactly one transformer output dimension, got \(transformer.outputDimensions)")
            }
            guard transformer.dModel % transformer.headCount == 0, (transformer.dModel / transformer.headCount) % 2 == 0 else {
                throw .unsupportedConfig("d_model must split into heads of even size")
            }
            guard transformer.inputDimension == seanet.dimension, transformer.outputDimensions[0] == seanet.dimension,
                  quantizerOutputDimension == seanet.dimension
            else {
                throw .unsupportedConfig("transformer input/output and quantizer output must equal seanet.dimension")
            }
            guard transformer.context > 0, resampleStride <= transformer.context else {
                throw .unsupportedConfig("context must hold at least one frame of \(resampleStride) steps")
            }
            guard seanet.compress > 0, seanet.filterCount / seanet.compress > 0 else {
                throw .unsupportedConfig("compress must be in 1...n_filters")
            }
        }
    }
}
