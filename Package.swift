// swift-tools-version:6.0
import PackageDescription

// Build settings shared by every Swift target.
//
// UNSUP_INTERNAL_CHECKS compiles in expensive invariant checks (for example, each frame the
// writer produces is parsed back and compared). It is on in debug builds, so the tests run
// with it, and off in release builds.
let swiftSettings: [SwiftSetting] = [
  .define("UNSUP_INTERNAL_CHECKS", .when(configuration: .debug)),
]

// The instruction set KernelsAVX2 is compiled for. Its code runs only after a run-time
// check of the CPU; on other architectures the module is built plainly and never chosen.
#if arch(x86_64)
let avx2Settings: [SwiftSetting] = [.unsafeFlags(["-target-cpu", "haswell"])]
#else
let avx2Settings: [SwiftSetting] = []
#endif

let argumentParser = Target.Dependency.product(name: "ArgumentParser", package: "swift-argument-parser")

let package = Package(
  name: "unsup",
  products: [
    .executable(name: "decode", targets: ["decode"]),
    .executable(name: "augment", targets: ["augment"]),
    .executable(name: "embed", targets: ["embed"]),
    .executable(name: "cluster", targets: ["cluster"]),
    .executable(name: "score", targets: ["score"]),
    .executable(name: "view", targets: ["view"]),
  ],
  dependencies: [
    .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
  ],
  targets: [
    // MARK: C libraries, each wrapped once (Sources/Shared/Codecs/*.swift, Sources/Kernels/BLAS.swift)
    .systemLibrary(name: "CZlib", pkgConfig: "zlib", providers: [.apt(["zlib1g-dev"])]),
    .systemLibrary(name: "CPNG", pkgConfig: "libpng", providers: [.apt(["libpng-dev"])]),
    .systemLibrary(name: "CTurboJPEG", pkgConfig: "libturbojpeg", providers: [.apt(["libturbojpeg0-dev"])]),
    .systemLibrary(name: "COpenBLAS", pkgConfig: "openblas", providers: [.apt(["libopenblas-dev"])]),
    // libpng reports errors by longjmp; this shim keeps setjmp and every libpng call in C.
    .target(name: "CPNGShim", dependencies: ["CPNG"]),

    // MARK: Shared library: stream format, codecs, images, CLI helpers
    .target(
      name: "Shared",
      dependencies: ["CZlib", "CPNGShim", "CTurboJPEG", "SIMDKernels", argumentParser],
      swiftSettings: swiftSettings),
    // Numeric kernels over BLAS, in their own module so that only the tools that compute
    // link OpenBLAS: its pthread build starts worker threads when it is loaded, which spin
    // on the other core and slow down tools that never call it (decode, view).
    .target(name: "Kernels", dependencies: ["COpenBLAS", "SIMDKernels"], swiftSettings: swiftSettings),
    // The network layers of `embed`: each a forward and a backward over flat buffers.
    .target(name: "Network", dependencies: ["Kernels", "Shared"], swiftSettings: swiftSettings),
    // Hand-written SIMD loops, compiled once per instruction set: the generic bodies live
    // in KernelLoops; KernelsAVX2 instantiates them for AVX2 + FMA, and SIMDKernels for the
    // baseline CPU and chooses between the two at run time (CPUFeatures).
    .target(name: "KernelLoops", swiftSettings: swiftSettings),
    .target(name: "KernelsAVX2", dependencies: ["KernelLoops"], swiftSettings: swiftSettings + avx2Settings),
    .target(name: "CPUFeatures"),
    .target(name: "SIMDKernels", dependencies: ["CPUFeatures", "KernelLoops", "KernelsAVX2"], swiftSettings: swiftSettings),

    // MARK: Tools, one executable each
    .executableTarget(name: "decode", dependencies: ["Shared", argumentParser], swiftSettings: swiftSettings),
    .executableTarget(name: "augment", dependencies: ["Shared", "KernelLoops", "SIMDKernels", argumentParser], swiftSettings: swiftSettings),
    .executableTarget(name: "embed", dependencies: ["Shared", "Kernels", "Network", argumentParser], swiftSettings: swiftSettings),
    .executableTarget(name: "cluster", dependencies: ["Shared", "Kernels", argumentParser], swiftSettings: swiftSettings),
    .executableTarget(name: "score", dependencies: ["Shared", "Kernels", argumentParser], swiftSettings: swiftSettings),
    .executableTarget(name: "view", dependencies: ["Shared", argumentParser], swiftSettings: swiftSettings),

    // MARK: Tests
    .testTarget(name: "SharedTests", dependencies: ["Shared"]),
    .testTarget(name: "KernelsTests", dependencies: ["Kernels"]),
    .testTarget(name: "NetworkTests", dependencies: ["Network", "Shared"], exclude: ["Fixtures"]),
    .testTarget(name: "SIMDKernelsTests", dependencies: ["SIMDKernels", "Kernels"]),
    .testTarget(name: "ClusterTests", dependencies: ["cluster", "Shared"], exclude: ["Fixtures"]),
    .testTarget(name: "DecodeTests", dependencies: ["decode", "Shared"]),
    .testTarget(name: "EmbedTests", dependencies: ["embed", "Shared"], exclude: ["Fixtures"]),
    .testTarget(name: "AugmentTests", dependencies: ["augment", "Shared", "KernelLoops", "SIMDKernels"]),
    // Runs the built tools for the end-to-end tests.
    .target(name: "ToolRunner", path: "Tests/ToolRunner"),
    .testTarget(name: "ToolTests", dependencies: ["Shared", "ToolRunner"]),
    .testTarget(name: "ScoreTests", dependencies: ["score", "Shared", "ToolRunner"], exclude: ["Fixtures"]),
  ]
)
