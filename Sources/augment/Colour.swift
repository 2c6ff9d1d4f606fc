import KernelLoops

/// ColorJitter, RandomGrayscale and RandomSolarize as few passes over the view as their
/// order allows: the steps are queued and run together by `PixelLoops.recolor`, and the
/// queue is flushed only where a step needs the image as it is then — contrast, which
/// blends with the mean grey level, and the blur, which mixes neighbouring pixels.
///
/// Values stay float between steps and are rounded once, at the end; torchvision on u8
/// tensors rounds down after each.
struct ColorQueue {
  let values: UnsafeMutablePointer<Float>
  let channels: Int
  let plane: Int
  let loops: any PixelLoops.Type
  /// Room for every step one view can queue (4 jitter steps, grey, solarize).
  let steps: UnsafeMutablePointer<ColorStep>
  private(set) var count = 0

  static let capacity = 8

  /// Runs the queued steps; with `sum`, returns the sum of the grey level afterwards.
  @discardableResult
  mutating func flush(sum: Bool = false) -> Float {
    let total = loops.recolor(values, channels: channels, plane: plane, steps: steps, count: count, sum: sum)
    count = 0
    return total
  }

  mutating func append(_ step: ColorStep) {
    precondition(count < Self.capacity, "too many colour steps for one view")
    steps[count] = step
    count += 1
  }

  /// Brightness: v ← min(f v, 255), a blend with black.
  mutating func brightness(_ factor: Float) {
    append(ColorStep(.scaleAndShift, factor, 0))
  }

  /// Contrast: v ← clamp(f v + (1 − f) m), a blend with the mean grey level m of the
  /// image as the steps before left it (the luma for RGB).
  mutating func contrast(_ factor: Float) {
    let mean = flush(sum: true) / Float(plane)
    append(ColorStep(.scaleAndShift, factor, (1 - factor) * mean))
  }
}
