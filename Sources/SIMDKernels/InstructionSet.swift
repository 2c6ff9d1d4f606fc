import CPUFeatures
import KernelLoops
import Foundation

/// Which compiled version of the loops in KernelLoops runs. Each is compiled twice, for
/// the baseline CPU (in this module) and for AVX2 with FMA (in KernelsAVX2); the AVX2
/// one runs where the CPU has both, unless the environment sets UNSUP_KERNELS=baseline,
/// which the tests use to check one version against the other.
public enum InstructionSet: String, Sendable, CaseIterable {
  /// 4-float vectors and separate multiplies and adds: any x86-64 (SSE2) or other CPU.
  case baseline
  /// 8-float vectors and fused multiply-adds.
  case avx2

  /// The version this process uses.
  public static let current: InstructionSet = {
    if ProcessInfo.processInfo.environment["UNSUP_KERNELS"] == "baseline" { return .baseline }
    return unsup_cpu_has_avx2_fma() != 0 ? .avx2 : .baseline
  }()

  /// The versions this CPU can run.
  public static var available: [InstructionSet] {
    unsup_cpu_has_avx2_fma() != 0 ? [.baseline, .avx2] : [.baseline]
  }
}

/// Row types the loops read directly (UInt8 and Float), for code generic over them.
public typealias RowElement = KernelLoops.RowElement
