import Foundation
import Shared

/// Refuses work that would need more memory than the machine has, before allocating it: a
/// one-line error beats being killed by the kernel halfway through.
enum MemoryBudget {
  /// `values` floats of 4 bytes must fit in 80% of physical memory; `what` names the cause
  /// and `hint` what to change.
  static func check(values: Double, for what: String, hint: String) throws {
    let available = 0.8 * Double(ProcessInfo.processInfo.physicalMemory)
    let needed = 4 * values
    guard needed <= available else {
      throw Failure(
        "\(what) would need about \(gigabytes(needed)) of memory, more than this machine's \(gigabytes(available / 0.8)): \(hint)",
        exitCode: ExitStatus.usage)
    }
  }

  private static func gigabytes(_ bytes: Double) -> String {
    bytes >= 1e12 ? String(format: "%.3g TB", bytes / 1e12) : String(format: "%.1f GB", bytes / 1e9)
  }
}
