import Foundation
import Network
import Shared
import Testing

/// CALM's E-step, M-step, likelihood and features against the model's definition
/// evaluated directly, in Double, one (filter, position) at a time.
@Suite struct CALMTests {
  /// 2 channels of 4 × 5, 3 filters of 2 × 2 × 2, padding 1: 5 × 6 = 30 positions.
  let shape = CALMShape(channels: 2, height: 4, width: 5, filters: 3, patch: 2, padding: 1)

  func random(_ count: Int, _ rng: inout SplitMix64, scale: Float = 1) -> [Float] {
    (0..<count).map { _ in scale * (2 * rng.nextUnitFloat() - 1) }
  }

  /// The padded canvas value at (c, y, x) of the padded image: 0 in the padding.
  func canvas(_ image: [Float], c: Int, y: Int, x: Int) -> Double {
    let (iy, ix) = (y - shape.padding, x - shape.padding)
    guard iy >= 0, iy < shape.height, ix >= 0, ix < shape.width else { return 0 }
    return Double(image[(c * shape.height + iy) * shape.width + ix])
  }

  /// log p(X, k, u) from the generative model itself: every canvas value is N(0, 1) but
  /// those of the patch at u, which are N(θ_k, 1); k and u uniform.
  func logJoint(_ image: [Float], _ filters: [Float]) -> [Double] {
    let (paddedHeight, paddedWidth) = (shape.height + 2 * shape.padding, shape.width + 2 * shape.padding)
    let logNormal = { (x: Double, mean: Double) in -0.5 * (x - mean) * (x - mean) - 0.5 * log(2 * Double.pi) }
    var result: [Double] = []
    for k in 0..<shape.filters {
      for uy in 0..<shape.outHeight {
        for ux in 0..<shape.outWidth {
          var total = -log(Double(shape.filters * shape.positions))
          for c in 0..<shape.channels {
            for y in 0..<paddedHeight {
              for x in 0..<paddedWidth {
                let (i, j) = (y - uy, x - ux)
                let inPatch = i >= 0 && i < shape.patch && j >= 0 && j < shape.patch
                let mean = inPatch ? Double(filters[((k * shape.channels + c) * shape.patch + i) * shape.patch + j]) : 0
                total += logNormal(canvas(image, c: c, y: y, x: x), mean)
              }
            }
          }
          result.append(total)
        }
      }
    }
    return result
  }

  func logSumExp(_ values: [Double]) -> Double {
    let top = values.max()!
    return top + log(values.reduce(0) { $0 + exp($1 - top) })
  }

  @Test func exponentialMatchesLibm() {
    var worst: Float = 0
    for i in 0...20000 {
      let x = -87 + Float(i) * (175.7 / 20000)
      let lanes = exponential(SIMD8(repeating: x))
      worst = max(worst, abs(lanes[3] - Foundation.exp(x)) / Foundation.exp(x))
    }
    #expect(worst < 4e-7)
    let edges = exponential(SIMD8(-.infinity, -200, -87.5, 0, 1, 89, 200, .infinity))
    #expect(edges[0] == 0 && edges[1] == 0 && edges[2] == 0 && edges[3] == 1)
    #expect(abs(edges[4] - Float(M_E)) < 3e-7 && edges[5] == .infinity && edges[7] == .infinity)
  }

  /// The E-step's posterior and log-likelihood are the model's, computed directly.
  @Test func posteriorIsTheModelsPosterior() {
    var rng = SplitMix64(seed: 7)
    let filters = random(shape.filters * shape.patchValues, &rng, scale: 2)
    let image = random(shape.imageValues, &rng, scale: 1.5)
    let calm = CALM(shape, filters: filters)
    let joint = logJoint(image, filters)
    let evidence = logSumExp(joint)
    let posterior = calm.posterior(of: image)
    #expect(posterior.count == joint.count)
    for (computed, expected) in zip(posterior, joint.map { exp($0 - evidence) }) {
      #expect(abs(Double(computed) - expected) < 1e-6)
    }
    var statistics = CALMStatistics(shape)
    calm.expectation(image, count: 1, into: &statistics)
    #expect(abs(statistics.logLikelihood - evidence) < 1e-4 * abs(evidence))
    #expect(statistics.images == 1)
  }

  /// One EM step on two images: θ_k ← Σ_n,u γ_nku x_nu / Σ_n,u γ_nku, by hand.
  @Test func oneEMStepMatchesHandComputation() {
    var rng = SplitMix64(seed: 11)
    let filters = random(shape.filters * shape.patchValues, &rng)
    let images = [random(shape.imageValues, &rng), random(shape.imageValues, &rng)]
    var weighted = [Double](repeating: 0, count: filters.count)
    var mass = [Double](repeating: 0, count: shape.filters)
    for image in images {
      let joint = logJoint(image, filters)
      let evidence = logSumExp(joint)
      for k in 0..<shape.filters {
        for u in 0..<shape.positions {
          let gamma = exp(joint[k * shape.positions + u] - evidence)
          mass[k] += gamma
          let (uy, ux) = (u / shape.outWidth, u % shape.outWidth)
          for c in 0..<shape.channels {
            for i in 0..<shape.patch {
              for j in 0..<shape.patch {
                weighted[((k * shape.channels + c) * shape.patch + i) * shape.patch + j] +=
                  gamma * canvas(image, c: c, y: uy + i, x: ux + j)
              }
            }
          }
        }
      }
    }
    let calm = CALM(shape, filters: filters, threads: 2)
    var statistics = CALMStatistics(shape)
    calm.expectation(images.flatMap { $0 }, count: 2, into: &statistics)
    #expect(calm.maximize(statistics) == 0)
    for (i, value) in calm.filters.enumerated() {
      let expected = weighted[i] / mass[i / shape.patchValues]
      #expect(abs(Double(value) - expected) < 1e-5, "filter value \(i)")
    }
  }

  /// EM on images made from the model: the likelihood never falls, pass after pass.
  @Test func likelihoodNeverDecreases() {
    let shape = CALMShape(channels: 1, height: 12, width: 12, filters: 4, patch: 4, padding: 1)
    var rng = SplitMix64(seed: 3)
    let truth = (0..<shape.filters * shape.patchValues).map { _ in Float(2 * rng.nextNormal()) }
    var images = [Float](repeating: 0, count: 64 * shape.imageValues)
    for n in 0..<64 {
      for i in 0..<shape.imageValues { images[n * shape.imageValues + i] = Float(rng.nextNormal()) }
      let (k, y, x) = (rng.next(below: shape.filters), rng.next(below: 9), rng.next(below: 9))
      for i in 0..<shape.patch {
        for j in 0..<shape.patch {
          images[n * shape.imageValues + (y + i) * shape.width + x + j] += truth[(k * shape.patch + i) * shape.patch + j]
        }
      }
    }
    let calm = CALM(shape, filters: CALM.initialFilters(shape, from: images, count: 64, seed: 1), threads: 2)
    var previous = -Double.infinity
    for _ in 0..<8 {
      var statistics = CALMStatistics(shape)
      calm.expectation(images, count: 64, into: &statistics)
      #expect(statistics.logLikelihood >= previous - 1e-6 * abs(previous))
      previous = statistics.logLikelihood
      calm.maximize(statistics)
    }
  }

  /// Features: the log-sum-exp of each filter's scores θ_k · x_u − ½‖θ_k‖² over the
  /// positions of the whole image, or of each cell of a 2 × 2 grid.
  @Test func featuresPoolTheScores() {
    var rng = SplitMix64(seed: 5)
    let filters = random(shape.filters * shape.patchValues, &rng)
    let images = [random(shape.imageValues, &rng), random(shape.imageValues, &rng)]
    let calm = CALM(shape, filters: filters, threads: 2)
    var whole = [Float](repeating: 0, count: 2 * calm.featureCount(grid: 1))
    var cells = [Float](repeating: 0, count: 2 * calm.featureCount(grid: 2))
    calm.features(images.flatMap { $0 }, count: 2, grid: 1, into: &whole)
    calm.features(images.flatMap { $0 }, count: 2, grid: 2, into: &cells)
    for (n, image) in images.enumerated() {
      for k in 0..<shape.filters {
        var scores: [(y: Int, x: Int, score: Double)] = []
        var squares = 0.0
        for i in 0..<shape.patchValues { squares += Double(filters[k * shape.patchValues + i] * filters[k * shape.patchValues + i]) }
        for uy in 0..<shape.outHeight {
          for ux in 0..<shape.outWidth {
            var dot = 0.0
            for c in 0..<shape.channels {
              for i in 0..<shape.patch {
                for j in 0..<shape.patch {
                  dot += Double(filters[((k * shape.channels + c) * shape.patch + i) * shape.patch + j]) * canvas(image, c: c, y: uy + i, x: ux + j)
                }
              }
            }
            scores.append((uy, ux, dot - 0.5 * squares))
          }
        }
        #expect(abs(Double(whole[n * 3 + k]) - logSumExp(scores.map(\.score))) < 1e-4)
        // 5 × 6 positions in a 2 × 2 grid: rows 0..<2 and 2..<5, columns 0..<3 and 3..<6.
        for cell in 0..<4 {
          let (rows, columns) = (cell / 2 == 0 ? 0..<2 : 2..<5, cell % 2 == 0 ? 0..<3 : 3..<6)
          let expected = logSumExp(scores.filter { rows.contains($0.y) && columns.contains($0.x) }.map(\.score))
          #expect(abs(Double(cells[n * 12 + k * 4 + cell]) - expected) < 1e-4)
        }
      }
    }
  }
}
