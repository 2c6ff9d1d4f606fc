import Foundation
import Shared

/// A box in pixels: rows top ..< top + height, columns left ..< left + width.
struct CropBox: Equatable, Sendable {
  var top: Int
  var left: Int
  var height: Int
  var width: Int
}

/// Everything random about one view, drawn before any pixel is touched, so that rendering
/// is a pure function of the image and the plan (and the tests can check the draws alone).
struct ViewPlan: Equatable, Sendable {
  /// Output pixel → input position of the affine step; nil when the recipe has none.
  var affine: AffineMap?
  /// Seed of the elastic displacement field; nil when the recipe has none.
  var elasticSeed: UInt64?
  var crop: CropBox
  var flip: Bool
  /// Whether ColorJitter applies, the order of its four adjustments (0 brightness,
  /// 1 contrast, 2 saturation, 3 hue), and their factors in that same indexing.
  var jitter: Bool
  var jitterOrder: SIMD4<UInt8>
  var jitterFactors: SIMD4<Float>
  var grayscale: Bool
  /// σ of the blur, or nil for no blur.
  var blurSigma: Float?
  var solarize: Bool
}

/// An affine map from output pixel indices (x, y) to input positions (u, v), in the same
/// index units (pixel i covers [i − ½, i + ½)): u = a x + b y + c, v = d x + e y + f.
struct AffineMap: Equatable, Sendable {
  var a, b, c, d, e, f: Float

  /// torchvision's RandomAffine about the image centre: the input is scaled by `scale`,
  /// sheared along x by `shear` degrees, rotated by `degrees` (counter-clockwise on
  /// screen when positive) and moved by (`dx`, `dy`) pixels. This is its inverse.
  init(degrees: Double, dx: Double, dy: Double, scale: Double, shear: Double, height: Int, width: Int) {
    let theta = degrees * .pi / 180
    let (cosine, sine, slope) = (cos(theta), sin(theta), tan(shear * .pi / 180))
    // Forward, y pointing down: M = R · Sh · s with R = [[cos, sin], [−sin, cos]] and
    // Sh = [[1, tan φ], [0, 1]]; the inverse is (1/s) Sh⁻¹ R⁻¹.
    let m00 = (cosine - slope * sine) / scale
    let m01 = (-sine - slope * cosine) / scale
    let m10 = sine / scale
    let m11 = cosine / scale
    // Pixel centres sit at index + ½ in continuous coordinates; the centre at (W/2, H/2).
    let (cx, cy) = (Double(width) / 2, Double(height) / 2)
    let (ox, oy) = (0.5 - cx - dx, 0.5 - cy - dy)
    a = Float(m00)
    b = Float(m01)
    c = Float(m00 * ox + m01 * oy + cx - 0.5)
    d = Float(m10)
    e = Float(m11)
    f = Float(m10 * ox + m11 * oy + cy - 0.5)
  }
}

extension Recipe {
  /// Draws the plan of view number `view` of an image `height × width`.
  func plan(view: Int, height: Int, width: Int, using rng: inout SplitMix64) -> ViewPlan {
    var affine: AffineMap?
    if hasAffine {
      let degrees = rng.next(in: -rotation, rotation)
      let dx = rng.next(in: -translateX, translateX) * Double(width)
      let dy = rng.next(in: -translateY, translateY) * Double(height)
      let factor = rng.next(in: scale.lower, scale.upper)
      let slant = rng.next(in: -shear, shear)
      affine = AffineMap(degrees: degrees, dx: dx, dy: dy, scale: factor, shear: slant, height: height, width: width)
    }
    let elasticSeed = elastic == nil ? nil : rng.next()
    let crop = cropScale.map { cropBox(height: height, width: width, scale: $0, ratio: cropRatio, using: &rng) }
      ?? CropBox(top: 0, left: 0, height: height, width: width)
    let flip = rng.nextUnitDouble() < flip[view]
    let jitter = hasJitter && rng.nextUnitDouble() < jitterProbability[view]
    var order = SIMD4<UInt8>(0, 1, 2, 3)
    var factors = SIMD4<Float>(1, 1, 1, 0)
    if jitter {
      for i in stride(from: 3, to: 0, by: -1) {
        let j = rng.next(below: i + 1)
        (order[i], order[j]) = (order[j], order[i])
      }
      factors[0] = Float(rng.next(in: max(0, 1 - brightness), 1 + brightness))
      factors[1] = Float(rng.next(in: max(0, 1 - contrast), 1 + contrast))
      factors[2] = Float(rng.next(in: max(0, 1 - saturation), 1 + saturation))
      factors[3] = Float(rng.next(in: -hue, hue))
    }
    let grayscale = rng.nextUnitDouble() < grayscale[view]
    let blurred = rng.nextUnitDouble() < blur[view]
    let sigma = rng.next(in: blurSigma.lower, blurSigma.upper)
    let solarize = rng.nextUnitDouble() < solarize[view]
    return ViewPlan(
      affine: affine, elasticSeed: elasticSeed, crop: crop, flip: flip, jitter: jitter, jitterOrder: order,
      jitterFactors: factors, grayscale: grayscale, blurSigma: blurred ? Float(sigma) : nil, solarize: solarize)
  }
}

/// torchvision's RandomResizedCrop.get_params: up to ten tries at a box of the drawn area
/// and aspect ratio that fits, then the whole image with its ratio clamped into `ratio`.
/// Sides are rounded half to even, as Python's `round`.
func cropBox(height: Int, width: Int, scale: UniformRange, ratio: UniformRange, using rng: inout SplitMix64) -> CropBox {
  let area = Double(height * width)
  let (logLower, logUpper) = (log(ratio.lower), log(ratio.upper))
  for _ in 0..<10 {
    let target = area * rng.next(in: scale.lower, scale.upper)
    let aspect = exp(rng.next(in: logLower, logUpper))
    // Compared as Doubles first: an extreme ratio gives sides no Int can hold.
    let sides = ((target * aspect).squareRoot().rounded(.toNearestOrEven), (target / aspect).squareRoot().rounded(.toNearestOrEven))
    if sides.0 >= 1 && sides.0 <= Double(width) && sides.1 >= 1 && sides.1 <= Double(height) {
      let (w, h) = (Int(sides.0), Int(sides.1))
      let top = rng.next(below: height - h + 1)
      let left = rng.next(below: width - w + 1)
      return CropBox(top: top, left: left, height: h, width: w)
    }
  }
  let imageRatio = Double(width) / Double(height)
  var (h, w) = (height, width)
  if imageRatio < ratio.lower {
    h = min(height, max(1, Int((Double(w) / ratio.lower).rounded(.toNearestOrEven))))
  } else if imageRatio > ratio.upper {
    w = min(width, max(1, Int((Double(h) * ratio.upper).rounded(.toNearestOrEven))))
  }
  return CropBox(top: (height - h) / 2, left: (width - w) / 2, height: h, width: w)
}
