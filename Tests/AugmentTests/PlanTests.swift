import Foundation
import Shared
import Testing

@testable import augment

/// The drawn parameters follow the distributions the recipe asks for.
@Suite struct PlanTests {
  func plans(_ recipe: Recipe, view: Int = 0, count: Int = 20_000, height: Int = 100, width: Int = 100) -> [ViewPlan] {
    (0..<count).map { i in
      var rng = SplitMix64(seed: 42, 0, UInt64(i), UInt64(view))
      return recipe.plan(view: view, height: height, width: width, using: &rng)
    }
  }

  /// With every box fitting, the area fraction is uniform on the scale range and the
  /// log aspect ratio uniform on the log ratio range.
  @Test func cropAreaAndRatioFollowTheirRanges() {
    var recipe = Recipe()
    recipe.cropScale = UniformRange(0.2, 0.5)
    recipe.cropRatio = UniformRange(3.0 / 4, 4.0 / 3)
    let boxes = plans(recipe).map(\.crop)
    let areas = boxes.map { Double($0.height * $0.width) / 10_000 }
    // Rounding the sides to whole pixels moves an area by up to ~1.5%.
    #expect(areas.allSatisfy { (0.19...0.51).contains($0) })
    var histogram = [0, 0, 0]
    for area in areas { histogram[min(2, Int((area - 0.2) / 0.1))] += 1 }
    for bin in histogram { #expect(abs(Double(bin) / Double(areas.count) - 1.0 / 3) < 0.02, "\(histogram)") }
    let logRatios = boxes.map { log(Double($0.width) / Double($0.height)) }
    #expect(abs(logRatios.reduce(0, +) / Double(logRatios.count)) < 0.01)
    #expect(logRatios.allSatisfy { abs($0) < log(4.0 / 3) + 0.05 })
    // Every box lies inside the image, and its place is spread over all positions.
    #expect(boxes.allSatisfy { $0.top >= 0 && $0.left >= 0 && $0.top + $0.height <= 100 && $0.left + $0.width <= 100 })
    #expect(Set(boxes.map(\.left)).count > 40)
  }

  /// When no box of the drawn shape fits (ratio far from the image's), ten tries fail and
  /// the centre crop with the ratio clamped is taken, as torchvision does.
  @Test func impossibleCropFallsBackToTheCentre() {
    var recipe = Recipe()
    recipe.cropScale = UniformRange(1, 1)
    recipe.cropRatio = UniformRange(3, 4)
    let box = plans(recipe, count: 1, height: 40, width: 60)[0].crop
    // width / height = 1.5 < 3: the full width, height 60 / 3 = 20, centred.
    #expect(box == CropBox(top: 10, left: 0, height: 20, width: 60))
  }

  @Test func probabilitiesAreFrequencies() {
    var recipe = Preset.byol.recipe
    recipe.flip = PerView(0.5)
    let first = plans(recipe, view: 0)
    let second = plans(recipe, view: 1)
    func frequency(_ plans: [ViewPlan], _ property: (ViewPlan) -> Bool) -> Double {
      Double(plans.filter(property).count) / Double(plans.count)
    }
    // 20,000 draws: a standard error of at most 0.0035.
    #expect(abs(frequency(first, \.flip) - 0.5) < 0.015)
    #expect(abs(frequency(first, \.jitter) - 0.8) < 0.015)
    #expect(abs(frequency(first, \.grayscale) - 0.2) < 0.015)
    // BYOL's asymmetric views: blur always on the first, 10% on the second; solarize only on the second.
    #expect(frequency(first, { $0.blurSigma != nil }) == 1)
    #expect(abs(frequency(second, { $0.blurSigma != nil }) - 0.1) < 0.01)
    #expect(frequency(first, \.solarize) == 0)
    #expect(abs(frequency(second, \.solarize) - 0.2) < 0.015)
  }

  @Test func jitterFactorsAndOrder() {
    let jittered = plans(Preset.simclr.recipe).filter(\.jitter)
    // simclr: brightness, contrast, saturation in [0.2, 1.8], hue in [−0.2, 0.2], each uniform.
    for op in 0..<3 {
      let factors = jittered.map { Double($0.jitterFactors[op]) }
      #expect(factors.allSatisfy { (0.2...1.8).contains($0) })
      #expect(abs(factors.reduce(0, +) / Double(factors.count) - 1) < 0.02)
    }
    let hues = jittered.map { Double($0.jitterFactors[3]) }
    #expect(hues.allSatisfy { abs($0) <= 0.2 } && abs(hues.reduce(0, +) / Double(hues.count)) < 0.005)
    // Every order is a permutation, and all 24 come up about equally often.
    var counts: [SIMD4<UInt8>: Int] = [:]
    for plan in jittered {
      #expect(Set((0..<4).map { plan.jitterOrder[$0] }) == [0, 1, 2, 3])
      counts[plan.jitterOrder, default: 0] += 1
    }
    #expect(counts.count == 24)
    let expected = Double(jittered.count) / 24
    #expect(counts.values.allSatisfy { abs(Double($0) - expected) < 0.15 * expected }, "\(counts.values.sorted())")
  }

  @Test func blurSigmaIsUniform() {
    let sigmas = plans(Preset.simclr.recipe).compactMap(\.blurSigma).map(Double.init)
    #expect(abs(Double(sigmas.count) / 20_000 - 0.5) < 0.015)
    #expect(sigmas.allSatisfy { (0.1...2.0).contains($0) })
    #expect(abs(sigmas.reduce(0, +) / Double(sigmas.count) - 1.05) < 0.02)
  }

  /// The kernel is SimCLR's: height // 10, made odd (radius half of it), at least 3.
  @Test func blurKernelIsATenthOfTheHeight() {
    let recipe = Preset.simclr.recipe
    #expect([28, 32, 96, 224].map { recipe.blurKernelSize(height: $0) } == [3, 3, 9, 23])
  }

  @Test func digitsNeverFlipsAndAlwaysWarps() {
    let drawn = plans(Preset.digits.recipe, count: 2000)
    #expect(drawn.allSatisfy { !$0.flip && $0.affine != nil && $0.elasticSeed == nil })
    #expect(plans(Preset.none.recipe, count: 100).allSatisfy {
      $0.crop == CropBox(top: 0, left: 0, height: 100, width: 100) && !$0.flip && !$0.jitter && !$0.grayscale
        && $0.blurSigma == nil && !$0.solarize && $0.affine == nil
    })
  }
}
