/// A closed range [lower, upper] a parameter is drawn from uniformly.
struct UniformRange: Equatable, Sendable {
  var lower: Double
  var upper: Double

  init(_ lower: Double, _ upper: Double) {
    self.lower = lower
    self.upper = upper
  }
}

/// A probability per view: view v uses `values[v % values.count]`, so one value applies to
/// every view and two give BYOL's asymmetric pair.
struct PerView: Equatable, Sendable {
  var values: [Double]

  init(_ values: Double...) {
    self.values = values
  }

  init(list: [Double]) {
    values = list
  }

  subscript(view: Int) -> Double { values[view % values.count] }

  var isNever: Bool { values.allSatisfy { $0 == 0 } }
}

/// How views are drawn: each op in the order it runs, with the ranges of its random
/// parameters. The meanings follow torchvision.transforms, whose names the fields echo.
struct Recipe: Equatable, Sendable {
  /// RandomAffine, applied first at the input's size: rotation in ±`rotation` degrees
  /// (counter-clockwise when positive), translation in ±`translate` of the width and
  /// height, scale from `scale`, x-shear in ±`shear` degrees. Empty areas are black.
  var rotation = 0.0
  var translateX = 0.0
  var translateY = 0.0
  var scale = UniformRange(1, 1)
  var shear = 0.0
  /// Elastic distortion (Simard et al. 2003): a random field of displacements in
  /// U(−1, 1), smoothed by a Gaussian of `sigma` pixels and scaled by `alpha` pixels.
  var elastic: Elastic?

  /// RandomResizedCrop: the area fraction and the aspect ratio (width / height, drawn
  /// log-uniformly) of the box, which is then resized to the output size. Nil: the whole
  /// image is resized.
  var cropScale: UniformRange? = UniformRange(0.08, 1)
  var cropRatio = UniformRange(3.0 / 4, 4.0 / 3)
  var flip = PerView(0)

  /// ColorJitter, applied with probability `jitterProbability`, its four adjustments in a
  /// random order. Factors for brightness, contrast and saturation are drawn from
  /// [max(0, 1 − x), 1 + x]; the hue shift from [−hue, hue] of a full turn.
  var brightness = 0.0
  var contrast = 0.0
  var saturation = 0.0
  var hue = 0.0
  var jitterProbability = PerView(0)

  var grayscale = PerView(0)

  /// GaussianBlur with σ from `blurSigma`; the kernel is `blurKernel` pixels wide, or
  /// when nil 10% of the view's height, made odd (SimCLR: height // 10, radius half of it).
  var blur = PerView(0)
  var blurSigma = UniformRange(0.1, 2)
  var blurKernel: Int?

  /// RandomSolarize: values at or above the threshold v become 255 − v.
  var solarize = PerView(0)
  var solarizeThreshold = 128.0

  var hasAffine: Bool {
    rotation != 0 || translateX != 0 || translateY != 0 || scale != UniformRange(1, 1) || shear != 0
  }

  var hasJitter: Bool {
    !jitterProbability.isNever && (brightness != 0 || contrast != 0 || saturation != 0 || hue != 0)
  }

  /// The blur kernel's width for views `height` pixels high.
  func blurKernelSize(height: Int) -> Int {
    if let blurKernel { return blurKernel }
    return max(3, 2 * (height / 10 / 2) + 1)
  }
}

/// Elastic distortion's strength and smoothness, in pixels.
struct Elastic: Equatable, Sendable {
  var alpha: Double
  var sigma: Double
}

/// The published recipes (docs/AUGMENT.md cites each, with its parameters).
enum Preset: String, CaseIterable, Sendable {
  case simclr
  case mocoV1 = "moco-v1"
  case mocoV2 = "moco-v2"
  case byol
  case digits
  case none

  var recipe: Recipe {
    var recipe = Recipe()
    switch self {
    case .simclr:
      // Chen et al. 2020 (google-research/simclr, data_util.py): colour strength 1.0.
      recipe.cropScale = UniformRange(0.08, 1)
      recipe.flip = PerView(0.5)
      (recipe.brightness, recipe.contrast, recipe.saturation, recipe.hue) = (0.8, 0.8, 0.8, 0.2)
      recipe.jitterProbability = PerView(0.8)
      recipe.grayscale = PerView(0.2)
      recipe.blur = PerView(0.5)
    case .mocoV1:
      // He et al. 2020 (facebookresearch/moco, main_moco.py without --aug-plus).
      recipe.cropScale = UniformRange(0.2, 1)
      recipe.grayscale = PerView(0.2)
      (recipe.brightness, recipe.contrast, recipe.saturation, recipe.hue) = (0.4, 0.4, 0.4, 0.4)
      recipe.jitterProbability = PerView(1)
      recipe.flip = PerView(0.5)
    case .mocoV2:
      // Chen et al. 2020, "Improved Baselines with Momentum Contrastive Learning" (--aug-plus).
      recipe.cropScale = UniformRange(0.2, 1)
      (recipe.brightness, recipe.contrast, recipe.saturation, recipe.hue) = (0.4, 0.4, 0.4, 0.1)
      recipe.jitterProbability = PerView(0.8)
      recipe.grayscale = PerView(0.2)
      recipe.blur = PerView(0.5)
      recipe.flip = PerView(0.5)
    case .byol:
      // Grill et al. 2020, Table 6: two asymmetric views.
      recipe.cropScale = UniformRange(0.08, 1)
      recipe.flip = PerView(0.5)
      (recipe.brightness, recipe.contrast, recipe.saturation, recipe.hue) = (0.4, 0.4, 0.2, 0.1)
      recipe.jitterProbability = PerView(0.8)
      recipe.grayscale = PerView(0.2)
      recipe.blur = PerView(1.0, 0.1)
      recipe.solarize = PerView(0, 0.2)
    case .digits:
      // Ours, for MNIST-like digits and garments: no flip (a mirrored 2 is not a 2), a
      // small affine, a mild crop, and brightness/contrast so that views cannot be
      // matched by their intensity histogram alone.
      recipe.rotation = 10
      (recipe.translateX, recipe.translateY) = (0.1, 0.1)
      recipe.scale = UniformRange(0.9, 1.1)
      recipe.shear = 10
      recipe.cropScale = UniformRange(0.6, 1)
      recipe.cropRatio = UniformRange(0.8, 1.25)
      (recipe.brightness, recipe.contrast) = (0.4, 0.4)
      recipe.jitterProbability = PerView(0.8)
    case .none:
      recipe.cropScale = nil
    }
    return recipe
  }
}

/// A number as short as it reads: 0.5, 1, 0.08.
func formatted(_ value: Double) -> String {
  value == value.rounded() && abs(value) < 1e15 ? String(Int(value)) : String(value)
}
