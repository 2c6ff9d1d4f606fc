import KernelLoops
import SIMDKernels
import Shared

/// What the output records hold.
enum OutputEncoding: Equatable, Sendable {
  /// u8 pixels, rounded to the nearest level, ties to even.
  case bytes
  /// f32 values (v / 255 − mean[c]) / std[c], as torchvision's ToTensor then Normalize;
  /// not rounded.
  case normalized(mean: [Float], std: [Float])

  var elementType: ElementType { self == .bytes ? .u8 : .f32 }
}

/// Renders views with buffers of its own, allocated once, for the ops its recipe uses:
/// each worker thread has one.
final class ViewRenderer {
  let recipe: Recipe
  let channels: Int
  let height: Int
  let width: Int
  let outputHeight: Int
  let outputWidth: Int
  let encoding: OutputEncoding
  /// The pixel loops for this CPU.
  let loops: any PixelLoops.Type
  let blurSize: Int
  let elasticSize: Int

  /// After the affine step, C × height × width, then zeros for the crop's taps that run
  /// past the image's end (weighted 0); empty when the recipe has no affine or elastic step.
  private let warped: UnsafeMutablePointer<Float>
  /// The elastic displacements, 2 × height × width; empty without elastic.
  private let field: UnsafeMutablePointer<Float>
  /// The view being made, C × outputHeight × outputWidth.
  private let view: UnsafeMutablePointer<Float>
  private let resize: ResizeScratch
  private let blur: BlurScratch
  private let colorSteps: UnsafeMutablePointer<ColorStep>
  private let scale: UnsafeMutablePointer<Float>
  private let offset: UnsafeMutablePointer<Float>

  init(
    recipe: Recipe, channels: Int, height: Int, width: Int, outputHeight: Int, outputWidth: Int, encoding: OutputEncoding,
    instructions: InstructionSet = .current
  ) {
    self.recipe = recipe
    self.channels = channels
    self.height = height
    self.width = width
    self.outputHeight = outputHeight
    self.outputWidth = outputWidth
    self.encoding = encoding
    loops = PixelKernels.loops(for: instructions)
    let blurs = !recipe.blur.isNever
    blurSize = blurs ? recipe.blurKernelSize(height: outputHeight) : 1
    elasticSize = recipe.elastic.map { 2 * Int((3 * $0.sigma).rounded(.up)) + 1 } ?? 1
    resize = ResizeScratch(channels: channels, inputHeight: height, inputWidth: width, outputHeight: outputHeight, outputWidth: outputWidth)
    let warps = recipe.hasAffine || recipe.elastic != nil
    let count = warps ? channels * height * width : 0
    warped = .allocate(capacity: count + resize.columnTaps)
    (warped + count).initialize(repeating: 0, count: resize.columnTaps)
    field = .allocate(capacity: recipe.elastic == nil ? 0 : 2 * height * width)
    view = .allocate(capacity: channels * outputHeight * outputWidth)
    // Planes blurred: the view's, and the elastic field's at the input's size.
    var planes: [(height: Int, width: Int, taps: Int)] = []
    if blurs { planes.append((outputHeight, outputWidth, blurSize)) }
    if recipe.elastic != nil { planes.append((height, width, elasticSize)) }
    blur = BlurScratch(planes: planes)
    colorSteps = .allocate(capacity: ColorQueue.capacity)
    // The output map v ↦ v · scale[c] + offset[c].
    scale = .allocate(capacity: channels)
    offset = .allocate(capacity: channels)
    for c in 0..<channels {
      if case let .normalized(mean, std) = encoding {
        scale[c] = 1 / (255 * std[c % std.count])
        offset[c] = -mean[c % mean.count] / std[c % std.count]
      } else {
        (scale[c], offset[c]) = (1, 0)
      }
    }
  }

  deinit {
    for buffer in [warped, field, view, scale, offset] { buffer.deallocate() }
    colorSteps.deallocate()
    resize.deallocate()
    blur.deallocate()
  }

  /// Makes the view `plan` describes from `image` (channels × height × width bytes) and
  /// writes it to `output` (channels × outputHeight × outputWidth values of the encoding's
  /// type).
  func render(_ plan: ViewPlan, of image: UnsafePointer<UInt8>, into output: UnsafeMutableRawPointer) {
    var source = CropSource.bytes(image)
    if plan.affine != nil || plan.elasticSeed != nil {
      var displacement: UnsafePointer<Float>?
      if let seed = plan.elasticSeed, let elastic = recipe.elastic {
        makeDisplacementField(seed: seed, elastic)
        displacement = UnsafePointer(field)
      }
      let identity = AffineMap(degrees: 0, dx: 0, dy: 0, scale: 1, shear: 0, height: height, width: width)
      warp(
        image, channels: channels, height: height, width: width, map: plan.affine ?? identity,
        displacement: displacement, into: warped)
      source = .floats(warped)
    }
    resizedCrop(
      source, channels: channels, height: height, width: width, box: plan.crop, flip: plan.flip,
      outputHeight: outputHeight, outputWidth: outputWidth, scratch: resize, into: view, loops)
    let plane = outputHeight * outputWidth
    var colors = ColorQueue(values: view, channels: channels, plane: plane, loops: loops, steps: colorSteps)
    if plan.jitter {
      for step in 0..<4 {
        let op = Int(plan.jitterOrder[step])
        let factor = plan.jitterFactors[op]
        switch op {
        case 0 where factor != 1: colors.brightness(factor)
        case 1 where factor != 1: colors.contrast(factor)
        case 2 where factor != 1 && channels == 3: colors.append(ColorStep(.saturate, factor))
        case 3 where factor != 0 && channels == 3: colors.append(ColorStep(.turnHue, factor))
        default: break
        }
      }
    }
    if plan.grayscale && channels == 3 { colors.append(ColorStep(.grey)) }
    if let sigma = plan.blurSigma {
      if colors.count > 0 { colors.flush() }
      gaussianKernel(size: blurSize, sigma: sigma, into: blur.kernel)
      blur.run(view, planes: channels, height: outputHeight, width: outputWidth, taps: blurSize, loops)
    }
    if plan.solarize { colors.append(ColorStep(.solarize, Float(recipe.solarizeThreshold))) }
    if colors.count > 0 { colors.flush() }
    switch encoding {
    case .bytes: loops.quantize(view, count: channels * plane, into: output.assumingMemoryBound(to: UInt8.self))
    case .normalized:
      let out = output.assumingMemoryBound(to: Float.self)
      for c in 0..<channels {
        loops.affine(view + c * plane, count: plane, scale: scale[c], shift: offset[c], into: out + c * plane)
      }
    }
  }

  /// Simard et al.'s field: U(−1, 1) displacements, smoothed by a Gaussian of σ, times α.
  private func makeDisplacementField(seed: UInt64, _ elastic: Elastic) {
    var rng = SplitMix64(seed: seed)
    let count = 2 * height * width
    for i in 0..<count { field[i] = Float(rng.nextUnitDouble() * 2 - 1) }
    gaussianKernel(size: elasticSize, sigma: Float(elastic.sigma), into: blur.kernel)
    blur.run(field, planes: 2, height: height, width: width, taps: elasticSize, loops)
    let alpha = Float(elastic.alpha)
    for i in 0..<count { field[i] *= alpha }
  }
}
