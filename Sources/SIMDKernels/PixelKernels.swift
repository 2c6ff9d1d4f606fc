import KernelLoops
import KernelsAVX2

/// The pixel loops of `augment` (`PixelLoops`) for an instruction set.
public enum PixelKernels {
  /// The loops compiled for `instructions`: call them as `loops.turnHue(…)`.
  public static func loops(for instructions: InstructionSet = .current) -> any PixelLoops.Type {
    switch instructions {
    case .avx2: PixelLoopsAVX2.self
    case .baseline: PixelLoopsBaseline.self
    }
  }
}

/// `PixelLoops` compiled for the baseline CPU.
enum PixelLoopsBaseline: PixelLoops {
  typealias Accumulate = SeparateMultiplyAccumulate
}
