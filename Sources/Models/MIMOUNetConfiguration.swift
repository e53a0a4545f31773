/// The constructor arguments of the L3DAS22 Task 1 baseline `MIMO_UNet_Beamforming`
/// (models/MMUB.py), as data.
///
/// Coding keys are PyTorch's argument names, so a parity fixture's `constructor_args` object
/// decodes directly; missing keys take the PyTorch defaults. Kernel sizes and strides are
/// `(frequency, time)` pairs, one per U-Net level, shallowest first. The reference's `device`
/// argument has no counterpart. Every inner size (decoder input channels, the 2·(fft/2)
/// frequency rows of the final Linear) is computed from these values.
public struct MIMOUNetConfiguration: Codable, Sendable, Equatable {
  /// STFT length in samples (`fft_size`), also the Hann window length.
  ///
  /// Must be even.
  public var fftSize: Int
  /// STFT hop in samples (`hop_size`).
  public var hopSize: Int
  /// Input waveform channels (`input_channel`): 4 for one Ambisonics mic, 8 for two.
  public var inputChannel: Int
  /// Output channels of each encoder level (`unet_channel`), shallowest first.
  public var unetChannel: [Int]
  /// `[frequency, time]` kernel of each level (`kernel_size`); the decoder mirrors them.
  public var kernelSize: [[Int]]
  /// `[frequency, time]` stride of each level (`stride`).
  public var stride: [[Int]]

  /// A configuration; the defaults are PyTorch's constructor defaults (the baseline).
  public init(
    fftSize: Int = 512, hopSize: Int = 128, inputChannel: Int = 4,
    unetChannel: [Int] = [32, 32, 32, 64, 64, 96, 96, 96, 128, 256],
    kernelSize: [[Int]] = [
      [7, 1], [1, 7], [8, 6], [7, 6], [6, 5], [5, 5], [6, 3], [5, 3], [6, 3], [5, 3],
    ],
    stride: [[Int]] = [
      [1, 1], [1, 1], [2, 2], [1, 1], [2, 2], [1, 1], [2, 2], [1, 1], [2, 1], [1, 1],
    ]
  ) {
    self.fftSize = fftSize
    self.hopSize = hopSize
    self.inputChannel = inputChannel
    self.unetChannel = unetChannel
    self.kernelSize = kernelSize
    self.stride = stride
  }

  /// The L3DAS22 Task 1 baseline: the constructor (and training script) defaults.
  ///
  /// One Ambisonics mic (4 channels), 5,515,012 parameters. Trained on 76,672-sample inputs
  /// (600 frames).
  public static let l3das22 = MIMOUNetConfiguration()
  /// The baseline on both Ambisonics mics (`input_channel` 8, the scripts' two-mic option),
  /// 5,516,040 parameters.
  public static let twoMics = MIMOUNetConfiguration(inputChannel: 8)
  /// A 35,928-parameter network with every layer kind of the baseline (fft 64, hop 16, the
  /// default kernels and strides), the configuration of the shared parity fixture `mmub_small`.
  public static let tiny = MIMOUNetConfiguration(
    fftSize: 64, hopSize: 16, unetChannel: [4, 4, 4, 6, 6, 8, 8, 8, 10, 12])

  /// The number of U-Net levels.
  public var levelCount: Int { unetChannel.count }
  /// Frequency bins kept from the STFT (`valid_freq` = fft/2: DC kept, Nyquist dropped).
  public var validFrequencyCount: Int { fftSize / 2 }
  /// Rows of the network's feature map: real bins stacked over imaginary bins (= fft).
  public var featureRowCount: Int { 2 * validFrequencyCount }
  /// Input channels of decoder level `j` (j = 0 is the deepest): the previous decoder output
  /// plus the skip connection, `unet_channel[l+1] + unet_channel[l]` with l = levels − 1 − j.
  public func decoderInputChannels(_ j: Int) -> Int {
    let level = levelCount - 1 - j
    return unetChannel[level] + (level + 1 < levelCount ? unetChannel[level + 1] : 0)
  }
  /// `(frequency, time)` kernel of level `i`.
  public func kernel(_ i: Int) -> (Int, Int) { (kernelSize[i][0], kernelSize[i][1]) }
  /// `(frequency, time)` stride of level `i`.
  public func strides(_ i: Int) -> (Int, Int) { (stride[i][0], stride[i][1]) }
  /// The product of all time strides: the frame count must be a multiple of it.
  public var timeStrideProduct: Int { stride.reduce(1) { $0 * ($1.count == 2 ? $1[1] : 1) } }
  /// The product of all frequency strides: `fft_size` must be a multiple of it.
  public var frequencyStrideProduct: Int { stride.reduce(1) { $0 * ($1.count == 2 ? $1[0] : 1) } }
  /// STFT frames of a `samples`-long input (torch.stft with centre padding): 1 + ⌊samples/hop⌋.
  public func frameCount(samples: Int) -> Int { 1 + samples / hopSize }
  /// Output samples for a `samples`-long input: hop·(frames − 1) = hop·⌊samples/hop⌋.
  public func outputLength(samples: Int) -> Int { hopSize * (frameCount(samples: samples) - 1) }

  /// Every reason this configuration cannot build a network, in one list (empty when valid).
  public var problems: [String] {
    var out: [String] = []
    if fftSize < 2 || fftSize % 2 != 0 {
      out.append("fft_size must be even and ≥ 2 (got \(fftSize))")
    }
    if hopSize < 1 || hopSize >= max(fftSize, 1) {
      out.append(
        "hop_size must be in 1..<fft_size (got \(hopSize)), or the inverse STFT is undefined")
    }
    if inputChannel < 1 { out.append("input_channel must be ≥ 1 (got \(inputChannel))") }
    if unetChannel.isEmpty || unetChannel.contains(where: { $0 < 1 }) {
      out.append("unet_channel needs at least one positive channel count (got \(unetChannel))")
    }
    if kernelSize.count != unetChannel.count || stride.count != unetChannel.count {
      out.append(
        "unet_channel, kernel_size and stride need one entry per level (got \(unetChannel.count), "
          + "\(kernelSize.count), \(stride.count))")
    }
    if kernelSize.contains(where: { $0.count != 2 || $0.contains { $0 < 1 } }) {
      out.append("every kernel_size entry must be [frequency ≥ 1, time ≥ 1] (got \(kernelSize))")
    }
    if stride.contains(where: { $0.count != 2 || $0.contains { $0 < 1 } }) {
      out.append("every stride entry must be [frequency ≥ 1, time ≥ 1] (got \(stride))")
    }
    if out.isEmpty {
      for i in 0..<levelCount
      where kernelSize[i][0] < stride[i][0] || kernelSize[i][1] < stride[i][1] {
        out.append(
          "level \(i): kernel \(kernelSize[i]) is smaller than stride \(stride[i]), so the transposed "
            + "convolution cannot be cropped back to the encoder's size")
      }
      if fftSize % frequencyStrideProduct != 0 {
        out.append(
          "fft_size \(fftSize) (the feature rows) must be a multiple of the product of the "
            + "frequency strides, \(frequencyStrideProduct)")
      }
    }
    return out
  }

  /// The JSON keys this configuration reads (PyTorch's constructor arguments).
  public static var jsonKeys: [String] { CodingKeys.allCases.map(\.rawValue) }

  enum CodingKeys: String, CodingKey, CaseIterable {
    case fftSize = "fft_size"
    case hopSize = "hop_size"
    case inputChannel = "input_channel"
    case unetChannel = "unet_channel"
    case kernelSize = "kernel_size"
    case stride
  }

  /// Decodes our own files and PyTorch's constructor arguments; missing arguments take the
  /// PyTorch constructor defaults.
  public init(from decoder: any Decoder) throws {
    let c = try decoder.container(keyedBy: CodingKeys.self)
    let base = MIMOUNetConfiguration.l3das22
    fftSize = try c.decodeIfPresent(Int.self, forKey: .fftSize) ?? base.fftSize
    hopSize = try c.decodeIfPresent(Int.self, forKey: .hopSize) ?? base.hopSize
    inputChannel = try c.decodeIfPresent(Int.self, forKey: .inputChannel) ?? base.inputChannel
    unetChannel = try c.decodeIfPresent([Int].self, forKey: .unetChannel) ?? base.unetChannel
    kernelSize = try c.decodeIfPresent([[Int]].self, forKey: .kernelSize) ?? base.kernelSize
    stride = try c.decodeIfPresent([[Int]].self, forKey: .stride) ?? base.stride
  }
}
