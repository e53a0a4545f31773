// swift-tools-version:6.0
// l3das-swift: the toolkit and scorer for the L3DAS 3D-audio challenges.
//
// Layering (dependencies point downwards only; see docs/architecture.md):
//   layer 5  L3DASCLI (`l3das`), Benchmarks (`l3das-bench`)
//   layer 4¾ Demo (the end-to-end demo) → Reports, Pipelines, Synthesis
//   layer 4½ Reports (leaderboard Markdown/CSV/JSON/HTML with SVG plots) → Pipelines
//   layer 4  Pipelines → Metrics, SpeechRecognition, Submission, Features, Models, Datasets, NumPyIO
//            DatasetDownload → Datasets, L3DASCore, ZIPFoundation
//   layer 3  Synthesis → Datasets, DSP, AudioIO, TensorModule
//            Metrics → DSP, Datasets, AudioIO
//            Submission → Metrics, Datasets, AudioIO, NumPyIO, ZIPFoundation (layer 3½)
//            Features → DSP, Datasets, AudioIO, NumPyIO
//            SpeechRecognition → Metrics, AudioIO, CPocketSphinx
//            Wav2Vec2 → NN, Metrics, SafeTensors, TorchCheckpoint, Datasets (the official Task 1
//                       recogniser: model, CTC decoding, hub folders, `Wav2Vec2Transcriber`)
//   layer 2  DSP → TensorModule, CFFTW        Datasets → AudioIO, COpenSSL
//            NN → TensorModule, SafeTensors, TorchCheckpoint, _NNKernels      Models → NN (layer 3)
//   layer 1  TensorModule → COpenBLAS         AudioIO → CSndFile, L3DASCore
//            NumPyIO → L3DASCore              SafeTensors → L3DASCore
//            TorchCheckpoint → SafeTensors, L3DASCore, ZIPFoundation (torch.save files, no pickle code run)
//   layer 0  L3DASCore (atomic files, progress; Foundation only)
//   layer 0  CSndFile  CFFTW  COpenBLAS  COpenSSL  CPocketSphinx (system-library bridges)
//            _NNKernels (our own C: recurrent-cell kernels built per x86 vector width, and an
//                        AVX-512 product for thin reductions)
// Each C bridge is imported (with `internal import`) by exactly one Swift module.
import PackageDescription

let swiftSettings: [SwiftSetting] = [
  .enableUpcomingFeature("InternalImportsByDefault"),
  .enableUpcomingFeature("ExistentialAny"),
]

/// The numeric modules (tensor kernels, autograd, models, STFT, features, scene synthesis,
/// metrics) are optimised in debug builds too: their loops run 5–10× slower unoptimised, and
/// the test suite trains and runs real networks. The other modules keep `-Onone` in debug.
let numericSettings: [SwiftSetting] =
  swiftSettings + [.unsafeFlags(["-O"], .when(configuration: .debug))]

let package = Package(
  name: "l3das-swift",
  platforms: [.macOS(.v13)],
  products: [
    .executable(name: "l3das", targets: ["L3DASCLI"]),
    .executable(name: "l3das-bench", targets: ["Benchmarks"]),
    .library(name: "L3DASCore", targets: ["L3DASCore"]),
    .library(name: "AudioIO", targets: ["AudioIO"]),
    .library(name: "TensorModule", targets: ["TensorModule"]),
    .library(name: "DSP", targets: ["DSP"]),
    .library(name: "Datasets", targets: ["Datasets"]),
    .library(name: "Synthesis", targets: ["Synthesis"]),
    .library(name: "Metrics", targets: ["Metrics"]),
    .library(name: "NumPyIO", targets: ["NumPyIO"]),
    .library(name: "ImageIO", targets: ["ImageIO"]),
    .library(name: "SafeTensors", targets: ["SafeTensors"]),
    .library(name: "TorchCheckpoint", targets: ["TorchCheckpoint"]),
    .library(name: "NN", targets: ["NN"]),
    .library(name: "Features", targets: ["Features"]),
    .library(name: "Models", targets: ["Models"]),
    .library(name: "Submission", targets: ["Submission"]),
    .library(name: "SpeechRecognition", targets: ["SpeechRecognition"]),
    .library(name: "Wav2Vec2", targets: ["Wav2Vec2"]),
    .library(name: "Pipelines", targets: ["Pipelines"]),
    .library(name: "DatasetDownload", targets: ["DatasetDownload"]),
    .library(name: "Reports", targets: ["Reports"]),
    .library(name: "Demo", targets: ["Demo"]),
  ],
  dependencies: [
    .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
    .package(url: "https://github.com/weichsel/ZIPFoundation", from: "0.9.20"),
  ],
  targets: [
    // MARK: C bridges (system libraries from Debian, found through pkg-config)
    .systemLibrary(
      name: "CSndFile", pkgConfig: "sndfile", providers: [.apt(["libsndfile1-dev"])]),
    .systemLibrary(name: "CFFTW", pkgConfig: "fftw3f", providers: [.apt(["libfftw3-dev"])]),
    .systemLibrary(
      name: "COpenBLAS", pkgConfig: "openblas", providers: [.apt(["libopenblas-dev"])]),
    .systemLibrary(name: "COpenSSL", pkgConfig: "libcrypto", providers: [.apt(["libssl-dev"])]),
    .systemLibrary(name: "CPNG", pkgConfig: "libpng", providers: [.apt(["libpng-dev"])]),
    .systemLibrary(
      name: "CPocketSphinx", pkgConfig: "pocketsphinx",
      providers: [.apt(["libpocketsphinx-dev", "pocketsphinx-en-us"])]),

    // MARK: Internal C kernels (our own code; multi-versioned for x86 vector widths)
    .target(
      name: "_NNKernels",
      cSettings: [.unsafeFlags(["-O2"], .when(configuration: .debug))]),

    // MARK: Public API
    .target(name: "L3DASCore", swiftSettings: swiftSettings),
    .target(name: "TensorModule", dependencies: ["COpenBLAS"], swiftSettings: numericSettings),
    .target(
      name: "AudioIO", dependencies: ["CSndFile", "L3DASCore"], swiftSettings: swiftSettings),
    .target(name: "NumPyIO", dependencies: ["L3DASCore"], swiftSettings: swiftSettings),
    .target(name: "ImageIO", dependencies: ["CPNG", "L3DASCore"], swiftSettings: swiftSettings),
    .target(name: "SafeTensors", dependencies: ["L3DASCore"], swiftSettings: swiftSettings),
    .target(
      name: "TorchCheckpoint",
      dependencies: [
        "SafeTensors", "L3DASCore", .product(name: "ZIPFoundation", package: "ZIPFoundation"),
      ],
      swiftSettings: swiftSettings),
    .target(name: "DSP", dependencies: ["TensorModule", "CFFTW"], swiftSettings: numericSettings),
    .target(
      name: "NN",
      dependencies: ["TensorModule", "SafeTensors", "TorchCheckpoint", "L3DASCore", "_NNKernels"],
      swiftSettings: numericSettings),
    .target(
      name: "Datasets", dependencies: ["AudioIO", "COpenSSL", "ImageIO", "L3DASCore"],
      swiftSettings: swiftSettings),
    .target(
      name: "Synthesis", dependencies: ["Datasets", "DSP", "AudioIO", "ImageIO", "TensorModule"],
      swiftSettings: numericSettings),

    .target(
      name: "Submission",
      dependencies: [
        "Metrics", "Datasets", "AudioIO", "NumPyIO", "L3DASCore",
        .product(name: "ZIPFoundation", package: "ZIPFoundation"),
      ],
      swiftSettings: swiftSettings),
    .target(name: "Models", dependencies: ["NN", "TensorModule"], swiftSettings: numericSettings),
    .target(
      name: "Features", dependencies: ["DSP", "Datasets", "AudioIO", "NumPyIO", "L3DASCore"],
      swiftSettings: numericSettings),
    .target(
      name: "Metrics", dependencies: ["DSP", "Datasets", "AudioIO", "L3DASCore"],
      swiftSettings: numericSettings),
    .target(
      name: "SpeechRecognition", dependencies: ["Metrics", "Datasets", "AudioIO", "CPocketSphinx"],
      swiftSettings: swiftSettings),
    .target(
      name: "Wav2Vec2",
      dependencies: [
        "NN", "TensorModule", "SafeTensors", "TorchCheckpoint", "Metrics", "Datasets", "L3DASCore",
      ],
      swiftSettings: numericSettings),
    .target(
      name: "Pipelines",
      dependencies: [
        "Metrics", "SpeechRecognition", "Submission", "Features", "Datasets", "AudioIO", "NumPyIO",
        "L3DASCore", "Models", "NN", "SafeTensors", "TensorModule",
      ],
      swiftSettings: swiftSettings),

    .target(
      name: "Reports", dependencies: ["Pipelines", "Metrics", "Submission", "L3DASCore"],
      swiftSettings: swiftSettings),

    .target(
      name: "Demo",
      dependencies: [
        "Pipelines", "Reports", "Synthesis", "Submission", "Models", "Datasets", "Metrics", "AudioIO",
        "TensorModule", "L3DASCore",
      ],
      swiftSettings: swiftSettings),

    .target(
      name: "DatasetDownload",
      dependencies: [
        "Datasets", "L3DASCore", .product(name: "ZIPFoundation", package: "ZIPFoundation"),
      ],
      resources: [.copy("Resources/catalog.json")], swiftSettings: swiftSettings),

    // MARK: CLI and benchmarks
    .executableTarget(
      name: "L3DASCLI",
      dependencies: [
        "Synthesis", "Datasets", "AudioIO", "Pipelines", "Metrics", "SpeechRecognition", "Submission",
        "NumPyIO", "Features", "DatasetDownload", "Models", "L3DASCore", "Reports", "Demo",
        "TensorModule", "Wav2Vec2",
        .product(name: "ArgumentParser", package: "swift-argument-parser"),
      ],
      swiftSettings: swiftSettings),
    .executableTarget(
      name: "Benchmarks",
      dependencies: [
        "AudioIO", "DSP", "Synthesis", "Metrics", "Pipelines", "Submission", "Features", "NN", "NumPyIO",
        "TensorModule", "Models", "L3DASCore", "Wav2Vec2", "SafeTensors",
        .product(name: "ArgumentParser", package: "swift-argument-parser"),
      ],
      swiftSettings: swiftSettings),

    // MARK: Implementation details (test support)
    .target(
      name: "_TestSupport", dependencies: ["AudioIO", "TensorModule"],
      swiftSettings: swiftSettings),

    // MARK: Tests
    .testTarget(
      name: "L3DASCoreTests", dependencies: ["L3DASCore", "_TestSupport"],
      swiftSettings: swiftSettings),
    .testTarget(
      name: "TensorModuleTests", dependencies: ["TensorModule"], swiftSettings: swiftSettings),
    .testTarget(
      name: "AudioIOTests", dependencies: ["AudioIO", "_TestSupport"],
      swiftSettings: swiftSettings),
    .testTarget(
      name: "DSPTests", dependencies: ["DSP", "_TestSupport"], swiftSettings: swiftSettings),
    .testTarget(
      name: "DatasetsTests", dependencies: ["Datasets", "_TestSupport"],
      swiftSettings: swiftSettings),
    .testTarget(
      name: "SynthesisTests",
      dependencies: ["Synthesis", "Datasets", "DSP", "AudioIO", "_TestSupport"],
      swiftSettings: swiftSettings),
    .testTarget(
      name: "MetricsTests", dependencies: ["Metrics", "DSP", "Datasets", "AudioIO", "_TestSupport"],
      resources: [.copy("Fixtures")], swiftSettings: swiftSettings),
    .testTarget(
      name: "SpeechRecognitionTests",
      dependencies: ["SpeechRecognition", "Metrics", "AudioIO", "_TestSupport"],
      swiftSettings: swiftSettings),
    .testTarget(
      name: "NumPyIOTests", dependencies: ["NumPyIO", "_TestSupport"],
      resources: [.copy("Fixtures")], swiftSettings: swiftSettings),
    .testTarget(
      name: "SafeTensorsTests", dependencies: ["SafeTensors", "_TestSupport"],
      resources: [.copy("Fixtures")], swiftSettings: swiftSettings),
    .testTarget(
      name: "TorchCheckpointTests",
      dependencies: [
        "TorchCheckpoint", "SafeTensors", "_TestSupport",
        .product(name: "ZIPFoundation", package: "ZIPFoundation"),
      ],
      resources: [.copy("Fixtures")], swiftSettings: swiftSettings),
    .testTarget(
      name: "Wav2Vec2Tests",
      dependencies: [
        "Wav2Vec2", "NN", "SafeTensors", "TorchCheckpoint", "Metrics", "_TestSupport",
      ],
      resources: [.copy("Fixtures")], swiftSettings: swiftSettings),
    .testTarget(
      name: "NNTests", dependencies: ["NN", "SafeTensors", "TensorModule", "_TestSupport"],
      resources: [.copy("Fixtures")], swiftSettings: swiftSettings),
    .testTarget(
      name: "ModelsTests",
      dependencies: ["Models", "NN", "Pipelines", "SafeTensors", "TensorModule", "_TestSupport"],
      resources: [.copy("Fixtures")], swiftSettings: swiftSettings),
    .testTarget(
      name: "ImageIOTests", dependencies: ["ImageIO", "_TestSupport"], swiftSettings: swiftSettings),
    .testTarget(
      name: "FeaturesTests",
      dependencies: ["Features", "DSP", "Datasets", "AudioIO", "NumPyIO", "SafeTensors", "_TestSupport"],
      resources: [.copy("Fixtures")], swiftSettings: swiftSettings),
    .testTarget(
      name: "SubmissionTests",
      dependencies: [
        "Submission", "NumPyIO", "Metrics", "Datasets", "AudioIO", "_TestSupport",
        .product(name: "ZIPFoundation", package: "ZIPFoundation"),
      ],
      resources: [.copy("Fixtures")], swiftSettings: swiftSettings),
    .testTarget(
      name: "PipelinesTests",
      dependencies: [
        "Pipelines", "Metrics", "Submission", "Synthesis", "AudioIO", "Models", "NN", "Features",
        "NumPyIO", "Datasets", "TensorModule", "_TestSupport",
        .product(name: "ZIPFoundation", package: "ZIPFoundation"),
      ],
      swiftSettings: swiftSettings),
    .testTarget(
      name: "L3DASCLITests",
      dependencies: [
        "L3DASCLI", "AudioIO", "Datasets", "Metrics", "Submission", "NumPyIO", "Models", "NN",
        "_TestSupport",
      ],
      exclude: ["Snapshots"], resources: [.copy("Fixtures")], swiftSettings: swiftSettings),
    .testTarget(
      name: "ReportsTests",
      dependencies: [
        "Reports", "Pipelines", "Metrics", "Submission", "Synthesis", "Datasets", "NumPyIO",
        "TensorModule", "_TestSupport", .product(name: "ZIPFoundation", package: "ZIPFoundation"),
      ],
      swiftSettings: swiftSettings),
    .testTarget(
      name: "DemoTests", dependencies: ["Demo", "Pipelines", "Metrics", "L3DASCore", "_TestSupport"],
      swiftSettings: swiftSettings),
    .testTarget(
      name: "DatasetDownloadTests",
      dependencies: [
        "DatasetDownload", "Datasets", "Synthesis", "AudioIO", "L3DASCore", "_TestSupport",
        .product(name: "ZIPFoundation", package: "ZIPFoundation"),
      ],
      swiftSettings: swiftSettings),
  ],
  swiftLanguageModes: [.v6]
)
