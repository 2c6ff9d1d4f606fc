import KernelLoops
import SIMDKernels
import Shared
import Testing

@testable import augment

/// Each colour op on a few pixels, against values worked out by hand, for every compiled
/// version of the loops this CPU can run.
@Suite struct PixelLoopsTests {
  static let versions = InstructionSet.available

  /// Runs `steps` over `values` (planar, `channels` planes) in one `recolor` pass.
  func recolor(_ set: InstructionSet, _ values: inout [Float], channels: Int = 3, _ steps: ColorStep...) {
    let plane = values.count / channels
    _ = values.withUnsafeMutableBufferPointer {
      PixelKernels.loops(for: set).recolor($0.baseAddress!, channels: channels, plane: plane, steps: steps, count: steps.count, sum: false)
    }
  }

  /// A queue over `values`, as the renderer uses it.
  func withQueue(_ set: InstructionSet, _ values: inout [Float], channels: Int, _ body: (inout ColorQueue) -> Void) {
    let steps = UnsafeMutablePointer<ColorStep>.allocate(capacity: ColorQueue.capacity)
    defer { steps.deallocate() }
    values.withUnsafeMutableBufferPointer {
      var queue = ColorQueue(
        values: $0.baseAddress!, channels: channels, plane: $0.count / channels, loops: PixelKernels.loops(for: set), steps: steps)
      body(&queue)
      queue.flush()
    }
  }

  @Test(arguments: versions) func brightnessScalesAndClamps(_ set: InstructionSet) {
    var values: [Float] = [0, 100, 200]
    withQueue(set, &values, channels: 1) { $0.brightness(1.5) }
    #expect(values == [0, 150, 255])
  }

  @Test(arguments: versions) func contrastBlendsWithTheMean(_ set: InstructionSet) {
    // Grey: mean 100, so 0.5 v + 50.
    var grey: [Float] = [0, 100, 200, 100]
    withQueue(set, &grey, channels: 1) { $0.contrast(0.5) }
    #expect(grey == [50, 100, 150, 100])
    // After a brightness step the mean is the brightened image's: 2v, clamped, is
    // [0, 200, 255, 200] with mean 163.75, then 0.5 · v + 81.875.
    var queued: [Float] = [0, 100, 200, 100]
    withQueue(set, &queued, channels: 1) {
      $0.brightness(2)
      $0.contrast(0.5)
    }
    #expect(queued == [81.875, 181.875, 209.375, 181.875], "\(queued)")
    // RGB: the mean of the luma, 0.2989·100 + 0.587·50 + 0.114·0 = 59.24; factor 0 gives it everywhere.
    var rgb: [Float] = [100, 100, 50, 50, 0, 0]
    withQueue(set, &rgb, channels: 3) { $0.contrast(0) }
    for value in rgb { #expect(abs(value - 59.24) < 1e-3) }
  }

  @Test(arguments: versions) func saturationBlendsWithTheGreyLevel(_ set: InstructionSet) {
    // Pixel (200, 100, 0): grey 0.2989·200 + 0.587·100 = 118.48.
    var none: [Float] = [200, 100, 0]
    recolor(set, &none, ColorStep(.saturate, 0))
    for value in none { #expect(abs(value - 118.48) < 1e-3) }
    // Factor 2: 2v − grey, clamped: (281.52 → 255, 81.52, −118.48 → 0).
    var double: [Float] = [200, 100, 0]
    recolor(set, &double, ColorStep(.saturate, 2))
    #expect(double[0] == 255 && abs(double[1] - 81.52) < 1e-3 && double[2] == 0)
  }

  @Test(arguments: versions) func hueTurnsAroundTheColourWheel(_ set: InstructionSet) {
    // Nine pixels (the last goes through the padded tail): red, orange (200, 100, 0),
    // grey, and six more copies of orange. Planar: all reds, then greens, then blues.
    func turned(_ shift: Float) -> [[Float]] {
      let pixels: [[Float]] = [[255, 0, 0], [200, 100, 0], [80, 80, 80]] + Array(repeating: [200, 100, 0], count: 6)
      var planes = (0..<3).flatMap { c in pixels.map { $0[c] } }
      recolor(set, &planes, ColorStep(.turnHue, shift))
      return (0..<9).map { i in (0..<3).map { planes[$0 * 9 + i] } }
    }
    // A third of a turn: red becomes green; orange (hue 30°) becomes (0, 200, 100) at 150°.
    let third = turned(1.0 / 3)
    #expect(close(third[0], [0, 255, 0]) && close(third[1], [0, 200, 100]) && close(third[8], [0, 200, 100]))
    // Half a turn: orange to 210°, (0, 100, 200); a grey pixel has no hue and stays.
    let half = turned(0.5)
    #expect(close(half[1], [0, 100, 200]) && close(half[2], [80, 80, 80]) && close(half[0], [0, 255, 255]))
    // Back a third: red becomes blue.
    #expect(close(turned(-1.0 / 3)[0], [0, 0, 255]))
  }

  @Test(arguments: versions) func grayscaleAndSolarize(_ set: InstructionSet) {
    var rgb: [Float] = [200, 100, 0]
    recolor(set, &rgb, ColorStep(.grey))
    for value in rgb { #expect(abs(value - 118.48) < 1e-3) }
    var values: [Float] = [0, 127, 128, 255]
    recolor(set, &values, channels: 1, ColorStep(.solarize, 128))
    #expect(values == [0, 127, 127, 0])
    // Grey images pass the colour steps by.
    var grey: [Float] = [10, 20]
    recolor(set, &grey, channels: 1, ColorStep(.saturate, 2), ColorStep(.turnHue, 0.3), ColorStep(.grey))
    #expect(grey == [10, 20])
  }

  @Test(arguments: versions) func quantizeRoundsToNearestEvenAndClamps(_ set: InstructionSet) {
    let values: [Float] = [-3, 0.4, 0.5, 1.5, 2.5, 127.7, 254.6, 300, 7, 8]
    var bytes = [UInt8](repeating: 9, count: values.count)
    values.withUnsafeBufferPointer { v in
      bytes.withUnsafeMutableBufferPointer { PixelKernels.loops(for: set).quantize(v.baseAddress!, count: v.count, into: $0.baseAddress!) }
    }
    #expect(bytes == [0, 0, 0, 2, 2, 128, 255, 255, 7, 8])
  }

  /// A bright pixel in the middle of a 3×3 image blurred by a 3-tap kernel: the kernel's
  /// outer product, with the edges reflected (so each border pixel sees the centre twice).
  @Test(arguments: versions) func blurIsSeparableWithReflectedEdges(_ set: InstructionSet) {
    let scratch = BlurScratch(planes: [(3, 3, 3)])
    defer { scratch.deallocate() }
    gaussianKernel(size: 3, sigma: 1, into: scratch.kernel)
    // exp(−½) / (1 + 2 exp(−½)) and 1 / (1 + 2 exp(−½)).
    let (side, middle): (Float, Float) = (0.274_068_6, 0.451_862_8)
    #expect(abs(scratch.kernel[0] - side) < 1e-6 && abs(scratch.kernel[1] - middle) < 1e-6 && abs(scratch.kernel[2] - side) < 1e-6)
    var image: [Float] = [0, 0, 0, 0, 100, 0, 0, 0, 0]
    image.withUnsafeMutableBufferPointer {
      scratch.run($0.baseAddress!, planes: 1, height: 3, width: 3, taps: 3, PixelKernels.loops(for: set))
    }
    let (edge, centre) = (2 * side, middle)
    let expected: [Float] = [edge * edge, edge * centre, edge * edge, centre * edge, centre * centre, centre * edge, edge * edge, edge * centre, edge * edge].map { $0 * 100 }
    #expect(close(image, expected, tolerance: 1e-3), "\(image)")
  }

  /// A kernel wider than the image reflects again and again: a 2-pixel row [a, b] padded by
  /// 2 on each side reads a, b, a, b, a, b.
  @Test(arguments: versions) func blurWiderThanTheImage(_ set: InstructionSet) {
    let scratch = BlurScratch(planes: [(1, 2, 5)])
    defer { scratch.deallocate() }
    gaussianKernel(size: 5, sigma: 2, into: scratch.kernel)
    let k = (0..<5).map { scratch.kernel[$0] }
    var row: [Float] = [10, 50]
    row.withUnsafeMutableBufferPointer {
      scratch.run($0.baseAddress!, planes: 1, height: 1, width: 2, taps: 5, PixelKernels.loops(for: set))
    }
    let first = k[0] * 10 + k[1] * 50 + k[2] * 10 + k[3] * 50 + k[4] * 10
    let second = k[0] * 50 + k[1] * 10 + k[2] * 50 + k[3] * 10 + k[4] * 50
    #expect(close(row, [first, second], tolerance: 1e-3), "\(row)")
  }

  /// Every compiled version gives the baseline's results on random data, for every loop
  /// (to rounding: the AVX2 version fuses its multiply-adds).
  @Test func versionsAgree() {
    guard InstructionSet.available.count > 1 else { return }
    var rng = SplitMix64(seed: 9)
    let (height, width) = (13, 37)
    let plane = height * width
    let input = (0..<(3 * plane + 16)).map { _ in 255 * rng.nextUnitFloat() }
    let bytes = input.map { UInt8($0) }
    // Resampling weights for a 13 × 37 box enlarged to 20 × 45, and a 9-tap kernel.
    // The tables own the weights: they must outlive the loops' use of them.
    let columnTable = ResampleTable(largestInput: width, outputSize: 45, tapMajor: true)
    let rowTable = ResampleTable(largestInput: height, outputSize: 20, tapMajor: false)
    let (columns, rows) = (columnTable.weights(from: width), rowTable.weights(from: height))
    defer { withExtendedLifetime((columnTable, rowTable)) {} }
    var kernel = [Float](repeating: 0, count: 9)
    kernel.withUnsafeMutableBufferPointer { gaussianKernel(size: 9, sigma: 1.3, into: $0.baseAddress!) }
    var padded = [Float](repeating: 0, count: width + 9)
    var scratch = [Float](repeating: 0, count: (height + 9) * width)
    func run(_ set: InstructionSet, _ op: (any PixelLoops.Type, UnsafeMutablePointer<Float>) -> Void) -> [Float] {
      var values = input + [Float](repeating: 0, count: 3 * 20 * 45)
      values.withUnsafeMutableBufferPointer { op(PixelKernels.loops(for: set), $0.baseAddress!) }
      return values
    }
    let steps = [
      ColorStep(.turnHue, 0.37), ColorStep(.saturate, 1.7), ColorStep(.scaleAndShift, 1.3, -20), ColorStep(.solarize, 100),
      ColorStep(.grey),
    ]
    let ops: [(any PixelLoops.Type, UnsafeMutablePointer<Float>) -> Void] = [
      { $1[0] = $0.recolor($1, channels: 3, plane: plane, steps: steps, count: steps.count, sum: true) / 1000 },
      { $1[0] = $0.recolor($1, channels: 1, plane: plane, steps: steps, count: 4, sum: true) / 1000 },
      { loops, values in
        kernel.withUnsafeBufferPointer { k in
          loops.blur(values, planes: 3, height: height, width: width, kernel: k.baseAddress!, taps: 9, padded: &padded, rows: &scratch)
        }
      },
      { loops, values in
        loops.gather(
          UnsafePointer(values), inputStride: width, inputPlane: plane, planes: 3, rows: height, first: columns.first,
          weights: columns.weights, taps: columns.used, count: 45, reversed: true, into: values + 3 * plane,
          outputStride: 45, outputPlane: height * 45)
        loops.resampleColumns(
          UnsafePointer(values + 3 * plane), inputRows: height, width: 45, planes: 1, first: rows.first,
          weights: rows.weights, weightStride: rowTable.taps, taps: rows.used, outputRows: 20, into: values)
      },
      { loops, values in
        bytes.withUnsafeBufferPointer {
          loops.widen($0.baseAddress!, inputStride: width, inputPlane: plane, planes: 3, rows: height, columns: width, into: values)
        }
      },
    ]
    for (index, op) in ops.enumerated() {
      #expect(close(run(.baseline, op), run(.avx2, op), tolerance: 1e-2), "loop \(index)")
    }
    var (low, high) = ([UInt8](repeating: 0, count: plane), [UInt8](repeating: 1, count: plane))
    input.withUnsafeBufferPointer { v in
      PixelKernels.loops(for: .baseline).quantize(v.baseAddress!, count: plane, into: &low)
      PixelKernels.loops(for: .avx2).quantize(v.baseAddress!, count: plane, into: &high)
    }
    #expect(low == high)
  }
}

func close(_ a: [Float], _ b: [Float], tolerance: Float = 0.01) -> Bool {
  a.count == b.count && zip(a, b).allSatisfy { abs($0 - $1) <= tolerance }
}
