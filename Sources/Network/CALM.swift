import Foundation
import Kernels
import Shared

/// The shape of a CALM layer (convolution as local mixture, ../shared/papers/000_*): K
/// filters of C × P × P over C × H × W images padded with `padding` zeros on every side.
public struct CALMShape: Codable, Equatable, Sendable {
  public var channels: Int
  public var height: Int
  public var width: Int
  public var filters: Int
  public var patch: Int
  public var padding: Int

  public init(channels: Int, height: Int, width: Int, filters: Int, patch: Int, padding: Int) {
    (self.channels, self.height, self.width) = (channels, height, width)
    (self.filters, self.patch, self.padding) = (filters, patch, padding)
  }

  /// Why these numbers make no layer, as a sentence, or nil. Every number is bounded so
  /// that no size computed from them overflows (a model file is input like any other).
  public var problem: String? {
    if !(1...64).contains(channels) || !(1...4096).contains(height) || !(1...4096).contains(width) {
      return "an input of \(channels)×\(height)×\(width) is outside 1...64 channels of 1...4096 × 1...4096"
    }
    if !(1...65536).contains(filters) { return "\(filters) filters is outside 1...65536" }
    if !(1...256).contains(patch) { return "a patch of \(patch) is outside 1...256" }
    if !(0..<patch).contains(padding) { return "padding \(padding) is outside 0...\(patch - 1) (less than the patch)" }
    if patch > height + 2 * padding || patch > width + 2 * padding {
      return "a \(patch)×\(patch) patch does not fit a \(height)×\(width) image padded by \(padding)"
    }
    if filters * patchValues > 1 << 28 || filters * positions > 1 << 28 || patchValues * positions > 1 << 28 {
      return "\(filters) filters of \(channels)×\(patch)×\(patch) over \(positions) positions are too many values"
    }
    return nil
  }

  var convolution: Conv2dShape {
    Conv2dShape(inChannels: channels, outChannels: filters, kernel: patch, padding: padding, inHeight: height, inWidth: width)
  }

  public var outHeight: Int { height + 2 * padding - patch + 1 }
  public var outWidth: Int { width + 2 * padding - patch + 1 }
  /// Where a patch can lie: L.
  public var positions: Int { outHeight * outWidth }
  /// Values in a patch and in a filter: C P P.
  public var patchValues: Int { channels * patch * patch }
  public var imageValues: Int { channels * height * width }
  /// Values of the zero-padded canvas the model generates.
  var canvasValues: Int { channels * (height + 2 * padding) * (width + 2 * padding) }
  /// The floats each thread's scratch holds: an image unfolded, its scores, a cell, sums.
  public var scratchValues: Int { patchValues * positions + filters * positions + positions + filters * patchValues + filters }
}

/// The sums over a pass of E-steps from which the M-step sets the filters.
public struct CALMStatistics: Sendable {
  /// Σ γ_ku x_u for each filter k: K × C P P.
  public var weighted: [Double]
  /// Σ γ_ku for each filter k: the images it explains.
  public var mass: [Double]
  /// Σ log p(X) over the images.
  public var logLikelihood = 0.0
  public var images = 0

  public init(_ shape: CALMShape) {
    weighted = Array(repeating: 0, count: shape.filters * shape.patchValues)
    mass = Array(repeating: 0, count: shape.filters)
  }

  public mutating func add(_ other: CALMStatistics) {
    for i in weighted.indices { weighted[i] += other.weighted[i] }
    for k in mass.indices { mass[k] += other.mass[k] }
    logLikelihood += other.logLikelihood
    images += other.images
  }
}

/// CALM: a convolution layer read as a generative model. An image is made by choosing a
/// filter k and a position u uniformly, drawing the patch at u from N(θ_k, I) and every
/// other value of the (zero-padded) image from N(0, 1). Then
///
///   log p(X, k, u) = θ_k · x_u − ½‖θ_k‖² − ½‖X‖² − log K L − (N/2) log 2π,
///
/// so the convolution with bias −½‖θ_k‖² is the log joint up to a per-image constant, a
/// softmax over (k, u) is the posterior γ (the E-step), and the M-step sets each filter to
/// the γ-weighted mean of the patches: θ_k = Σ γ_ku x_u / Σ γ_ku. The E-step's sums add
/// up over a whole pass before the M-step, so each pass is one exact EM iteration and the
/// likelihood never decreases.
///
/// Each image is unfolded (im2col) so that the scores and the weighted patch sums are
/// two matrix products per image; the images of a batch are shared out among threads,
/// each with its own scratch and sums.
public final class CALM {
  public let shape: CALMShape
  /// K × C × P × P, PyTorch's `nn.Conv2d` weight layout: row k is θ_k.
  public private(set) var filters: [Float]
  /// −½‖θ_k‖², each filter's bias in the convolution.
  private var biases: [Float]
  private let workspaces: [Workspace]

  public init(_ shape: CALMShape, filters: [Float], threads: Int = 1) {
    precondition(shape.problem == nil, "bad CALM shape: \(shape.problem!)")
    precondition(filters.count == shape.filters * shape.patchValues, "filters of the wrong size")
    self.shape = shape
    self.filters = filters
    biases = Self.biases(of: filters, shape)
    workspaces = (0..<max(1, threads)).map { _ in Workspace(shape) }
  }

  private static func biases(of filters: [Float], _ shape: CALMShape) -> [Float] {
    let d = shape.patchValues
    return (0..<shape.filters).map { k in
      var squares = 0.0
      for i in 0..<d { squares += Double(filters[k * d + i]) * Double(filters[k * d + i]) }
      return Float(-0.5 * squares)
    }
  }

  /// Filters to start EM from: K patches of `images` (count × C H W), drawn with
  /// probability proportional to their squared norm, so that blank background is not
  /// chosen while there is anything else (images that are blank throughout give blank
  /// filters, equal to one another).
  public static func initialFilters(_ shape: CALMShape, from images: UnsafePointer<Float>, count: Int, seed: UInt64) -> [Float] {
    precondition(count > 0, "no images to draw patches from")
    let (d, l) = (shape.patchValues, shape.positions)
    let columns = UnsafeMutablePointer<Float>.allocate(capacity: d * l)
    defer { columns.deallocate() }
    var rng = SplitMix64(seed: seed)
    var filters = [Float](repeating: 0, count: shape.filters * d)
    // Up to 8 tries per filter at an image with some content, then any patch will do.
    for k in 0..<shape.filters {
      for attempt in 0..<8 {
        Conv2d.unfold(images + rng.next(below: count) * shape.imageValues, shape.convolution, into: columns)
        var energies = [Double](repeating: 0, count: l)
        for i in 0..<d { for u in 0..<l { energies[u] += Double(columns[i * l + u]) * Double(columns[i * l + u]) } }
        let total = energies.reduce(0, +)
        guard total > 0 || attempt == 7 else { continue }
        var target = rng.nextUnitDouble() * total
        var chosen = rng.next(below: l)
        if total > 0 {
          chosen = l - 1
          for u in 0..<l where energies[u] > 0 {
            target -= energies[u]
            if target < 0 {
              chosen = u
              break
            }
          }
        }
        for i in 0..<d { filters[k * d + i] = columns[i * l + chosen] }
        break
      }
    }
    return filters
  }

  /// The E-step over `count` images (count × C H W): their log-likelihood and the sums
  /// the M-step needs, added to `statistics`.
  public func expectation(_ images: UnsafePointer<Float>, count: Int, into statistics: inout CALMStatistics) {
    let (k, d) = (shape.filters, shape.patchValues)
    let constant = -log(Double(k)) - log(Double(shape.positions)) - 0.5 * Double(shape.canvasValues) * log(2 * Double.pi)
    let images = UncheckedSendable(images)
    forEachChunk(count: count, chunkSize: 16, workers: workspaces.count) { worker, chunk in
      let space = workspaces[worker]
      space.weightedBlock.update(repeating: 0, count: k * d)
      space.massBlock.update(repeating: 0, count: k)
      for n in chunk {
        let image = images.value + n * shape.imageValues
        let logSum = scores(of: image, in: space)
        let inverseTotal = 1 / Float(logSum.total)
        let (gamma, columns) = (space.scores, space.columns)
        var i = 0
        while i < k * shape.positions {
          gamma[i] *= inverseTotal
          i += 1
        }
        for f in 0..<k { space.massBlock[f] += Reduce.sum(gamma + f * shape.positions, count: shape.positions) }
        // Σ_u γ_ku x_u for every k at once: γ (K × L) · columnsᵀ (L × C P P).
        BLAS.sgemm(transposeB: true, m: k, n: d, k: shape.positions, gamma, columns, beta: 1, space.weightedBlock)
        let squares = Double(Reduce.sumOfSquares(image, count: shape.imageValues))
        space.statistics.logLikelihood += logSum.top + log(logSum.total) - 0.5 * squares + constant
      }
      // Float sums over one chunk, then Double over the pass.
      for i in 0..<k * d { space.statistics.weighted[i] += Double(space.weightedBlock[i]) }
      for f in 0..<k { space.statistics.mass[f] += Double(space.massBlock[f]) }
      space.statistics.images += chunk.count
    }
    for space in workspaces {
      statistics.add(space.statistics)
      space.statistics = CALMStatistics(shape)
    }
  }

  /// The M-step: each filter becomes the γ-weighted mean of the patches. A filter that
  /// explains nothing keeps its values (any value maximises a term of weight zero).
  /// Returns how many filters explained nothing.
  @discardableResult
  public func maximize(_ statistics: CALMStatistics) -> Int {
    let d = shape.patchValues
    var idle = 0
    for k in 0..<shape.filters {
      let mass = statistics.mass[k]
      guard mass > 0 else {
        idle += 1
        continue
      }
      for i in 0..<d { filters[k * d + i] = Float(statistics.weighted[k * d + i] / mass) }
    }
    biases = Self.biases(of: filters, shape)
    return idle
  }

  /// The posterior p(k, u | X) of one image: K × L, summing to 1.
  public func posterior(of image: UnsafePointer<Float>) -> [Float] {
    let space = workspaces[0]
    let logSum = scores(of: image, in: space)
    return (0..<shape.filters * shape.positions).map { space.scores[$0] / Float(logSum.total) }
  }

  /// Values per image `features` writes: one per filter and grid cell.
  public func featureCount(grid: Int) -> Int { shape.filters * grid * grid }

  /// The features the paper uses: for each filter k, the log-sum-exp of its scores
  /// θ_k · x_u − ½‖θ_k‖² over the positions u (log p(X, k) up to a per-image constant),
  /// over the whole image (grid 1) or over each cell of a grid × grid partition of the
  /// positions; K × grid × grid values per image, filter-major.
  public func features(_ images: UnsafePointer<Float>, count: Int, grid: Int, into output: UnsafeMutablePointer<Float>) {
    precondition(grid >= 1 && grid <= min(shape.outHeight, shape.outWidth), "a grid finer than the positions")
    let (outHeight, outWidth, cells) = (shape.outHeight, shape.outWidth, grid * grid)
    let (images, output) = (UncheckedSendable(images), UncheckedSendable(output))
    forEachChunk(count: count, chunkSize: 16, workers: workspaces.count) { worker, chunk in
      let space = workspaces[worker]
      for n in chunk {
        convolve(images.value + n * shape.imageValues, in: space)
        let out = output.value + n * featureCount(grid: grid)
        for f in 0..<shape.filters {
          let row = space.scores + f * shape.positions
          for cell in 0..<cells {
            let (cy, cx) = (cell / grid, cell % grid)
            // The cell's scores gathered, so that their exponentials are taken in SIMD.
            var m = 0
            for y in cy * outHeight / grid..<(cy + 1) * outHeight / grid {
              for x in cx * outWidth / grid..<(cx + 1) * outWidth / grid {
                space.cell[m] = row[y * outWidth + x]
                m += 1
              }
            }
            let top = largest(space.cell, count: m)
            out[f * cells + cell] = top + Float(log(exponentiate(space.cell, count: m, shift: top)))
          }
        }
      }
    }
  }

  /// The scores of every (filter, position) of `image` into the workspace's `scores`,
  /// K × L: the convolution with bias −½‖θ_k‖².
  private func convolve(_ image: UnsafePointer<Float>, in space: Workspace) {
    let (k, l) = (shape.filters, shape.positions)
    Conv2d.unfold(image, shape.convolution, into: space.columns)
    for f in 0..<k { (space.scores + f * l).update(repeating: biases[f], count: l) }
    BLAS.sgemm(m: k, n: l, k: shape.patchValues, filters, space.columns, beta: 1, space.scores)
  }

  /// The scores of `image`, replaced by e^(score − top); returns top (their largest) and
  /// the sum of the exponentials, so that log Σ e^score = top + log total.
  private func scores(of image: UnsafePointer<Float>, in space: Workspace) -> (top: Double, total: Double) {
    convolve(image, in: space)
    let count = shape.filters * shape.positions
    let top = largest(space.scores, count: count)
    return (Double(top), exponentiate(space.scores, count: count, shift: top))
  }

  /// One thread's scratch and sums.
  private final class Workspace {
    /// One image unfolded: C P P × L.
    let columns: UnsafeMutablePointer<Float>
    /// K × L scores, then posteriors.
    let scores: UnsafeMutablePointer<Float>
    /// The positions of one grid cell.
    let cell: UnsafeMutablePointer<Float>
    let weightedBlock: UnsafeMutablePointer<Float>
    let massBlock: UnsafeMutablePointer<Float>
    var statistics: CALMStatistics

    init(_ shape: CALMShape) {
      columns = .allocate(capacity: shape.patchValues * shape.positions)
      scores = .allocate(capacity: shape.filters * shape.positions)
      cell = .allocate(capacity: shape.positions)
      weightedBlock = .allocate(capacity: shape.filters * shape.patchValues)
      massBlock = .allocate(capacity: shape.filters)
      statistics = CALMStatistics(shape)
    }

    deinit {
      for buffer in [columns, scores, cell, weightedBlock, massBlock] { buffer.deallocate() }
    }
  }
}

/// The largest of `count` > 0 values.
@inline(__always)
func largest(_ values: UnsafePointer<Float>, count: Int) -> Float {
  var lanes = SIMD8<Float>(repeating: -.infinity)
  var i = 0
  while i + 8 <= count {
    let v = UnsafeRawPointer(values + i).loadUnaligned(as: SIMD8<Float>.self)
    lanes.replace(with: v, where: v .> lanes)
    i += 8
  }
  var top = lanes.max()
  while i < count {
    top = max(top, values[i])
    i += 1
  }
  return top
}
