import Kernels
import Shared

/// The CALM authors' STL-10 preprocessing: each channel of each image whitened on its own
/// (ZCA), its rows taken as the variables and its columns as the observations. The rows
/// are centred, then multiplied by C^(−½), C = X Xᵀ / W + 10⁻⁷ I their covariance, so that
/// they become uncorrelated with unit variance. A direction of no variance (centring the
/// rows leaves at least one) is divided by σ + 1 instead, so that rounding noise is not
/// blown up: the authors' rule σ < 10⁻⁵, widened to variances below 10⁻⁶ of the largest,
/// the rounding of the covariance summed in floats.
enum RowWhitening {
  /// Its name in a CALM model's metadata.
  static let name = "zca-rows"

  /// Whitens `count` images of C × H × W in place, shared out among `threads`.
  static func apply(_ images: UnsafeMutablePointer<Float>, count: Int, channels: Int, height: Int, width: Int, threads: Int) {
    let images = UncheckedSendable(images)
    forEachChunk(count: count * channels, chunkSize: 4, workers: threads) { _, planes in
      for plane in planes { whiten(images.value + plane * height * width, height: height, width: width) }
    }
  }

  /// One H × W plane, in place.
  static func whiten(_ x: UnsafeMutablePointer<Float>, height h: Int, width w: Int) {
    for i in 0..<h {
      let row = x + i * w
      var sum = 0.0
      for j in 0..<w { sum += Double(row[j]) }
      let mean = Float(sum / Double(w))
      for j in 0..<w { row[j] -= mean }
    }
    var covariance = [Float](repeating: 0, count: h * h)
    BLAS.sgemm(transposeB: true, m: h, n: h, k: w, x, x, &covariance)
    var matrix = covariance.map { Double($0) / Double(w) }
    for i in 0..<h { matrix[i * h + i] += 1e-7 }
    // LAPACK fails only on NaN; the plane is then left centred.
    guard let (values, vectors) = SymmetricEigen.decompose(matrix, n: h) else { return }
    // C^(−½) = Σ_k v_k v_kᵀ / σ_k = Vᵀ (V / σ), with the eigenvectors v_k as the rows of V.
    var scaled = [Float](repeating: 0, count: h * h)
    let floor = max(values.first ?? 0, 0) * 1e-6
    for k in 0..<h {
      var sigma = max(values[k], 0).squareRoot()
      if sigma < 1e-5 || values[k] < floor { sigma += 1 }
      for i in 0..<h { scaled[k * h + i] = Float(vectors[k * h + i] / sigma) }
    }
    let basis = vectors.map { Float($0) }
    var inverseRoot = [Float](repeating: 0, count: h * h)
    BLAS.sgemm(transposeA: true, m: h, n: h, k: h, basis, scaled, &inverseRoot)
    var result = [Float](repeating: 0, count: h * w)
    BLAS.sgemm(m: h, n: w, k: h, inverseRoot, x, &result)
    x.update(from: result, count: h * w)
  }
}
