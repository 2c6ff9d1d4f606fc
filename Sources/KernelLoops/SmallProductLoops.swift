/// The loops behind `SmallProducts` (module Kernels), written once and generic over the
/// vector width, the tile width and how a multiply-add is done, so that the same source is
/// compiled twice: for the baseline CPU in Kernels and for AVX2 with FMA in KernelsAVX2.
/// Everything here is `@inlinable` and always inlined, so each instantiation is compiled
/// with the target features of the module that calls it.
///
/// Both products have a small side (k, the number of centres or components, usually
/// 2–50) and a long one (d, often hundreds): BLAS spends most of such a call packing
/// panels, while these loops keep a tile of results in registers and read each row once
/// per tile of centres.

/// A multiply-accumulate on vectors: fused (one rounding) where the CPU has FMA, a
/// multiply then an add where it has not (a fused one would be a slow library call).
public protocol MultiplyAccumulate {
  /// sum + a · b.
  static func accumulate<V: SIMD>(_ sum: V, _ a: V, _ b: V) -> V where V.Scalar == Float
}

/// sum + a · b with one rounding: for CPUs with FMA.
public enum FusedMultiplyAccumulate: MultiplyAccumulate {
  @inlinable @inline(__always)
  public static func accumulate<V: SIMD>(_ sum: V, _ a: V, _ b: V) -> V where V.Scalar == Float {
    sum.addingProduct(a, b)
  }
}

/// sum + a · b rounded twice: for CPUs without FMA.
public enum SeparateMultiplyAccumulate: MultiplyAccumulate {
  @inlinable @inline(__always)
  public static func accumulate<V: SIMD>(_ sum: V, _ a: V, _ b: V) -> V where V.Scalar == Float {
    sum + a * b
  }
}

public enum SmallProductLoops {
  @inlinable @inline(__always)
  static func load<V: SIMD>(_ pointer: UnsafePointer<Float>, as: V.Type) -> V where V.Scalar == Float {
    UnsafeRawPointer(pointer).loadUnaligned(as: V.self)
  }

  /// out[r·k + c] = Σ_j x[r·d + j] · v[c·d + j] for r < rows, c < k, the rows read in
  /// their stored type.
  ///
  /// Tiles of 2 rows × `W` vectors: 2·W accumulators of type V stay in registers while
  /// the tile's rows and vectors stream past once. Rows and vectors beyond the edge are
  /// stood in for by the last one (computed, never stored), so every tile runs the same
  /// code.
  @inlinable @inline(__always)
  public static func dots<E: RowElement, V: SIMD, let W: Int, M: MultiplyAccumulate>(
    _ x: UnsafePointer<E>, rows: Int, _ v: UnsafePointer<Float>, count k: Int, dimension d: Int,
    into out: UnsafeMutablePointer<Float>, vector: V.Type, tile: InlineArray<W, Int>.Type, _ multiply: M.Type
  ) where V.Scalar == Float {
    let lanes = V.scalarCount
    let vectorEnd = d - d % lanes
    for r in stride(from: 0, to: rows, by: 2) {
      let x0 = x + r * d
      let x1 = x + min(r + 1, rows - 1) * d
      for c in stride(from: 0, to: k, by: W) {
        var columns = InlineArray<W, UnsafePointer<Float>>(repeating: v)
        for w in 0..<W { columns[w] = v + min(c + w, k - 1) * d }
        var sums0 = InlineArray<W, V>(repeating: V())
        var sums1 = InlineArray<W, V>(repeating: V())
        var j = 0
        while j < vectorEnd {
          let a0 = E.vector(x0 + j, as: V.self)
          let a1 = E.vector(x1 + j, as: V.self)
          for w in 0..<W {
            let b = load(columns[w] + j, as: V.self)
            sums0[w] = M.accumulate(sums0[w], a0, b)
            sums1[w] = M.accumulate(sums1[w], a1, b)
          }
          j += lanes
        }
        for w in 0..<W where c + w < k {
          var total0 = sums0[w].sum()
          var total1 = sums1[w].sum()
          for t in vectorEnd..<d {
            total0 += E.scalar(x0[t]) * columns[w][t]
            total1 += E.scalar(x1[t]) * columns[w][t]
          }
          out[r * k + c + w] = total0
          if r + 1 < rows { out[(r + 1) * k + c + w] = total1 }
        }
      }
    }
  }

  /// out[r·k + c] = Σ_j x_j (x_j a[c·d + j] + b[c·d + j]), x_j = x[r·d + j], for r < rows,
  /// c < k: with a the precisions of diagonal Gaussians and b = −2 × their precision-
  /// weighted means, the part of −2 log density that depends on x. x² is formed in
  /// registers, so the rows are read once, in their stored type.
  ///
  /// Tiles of 2 rows × `W` components, as in `dots`.
  @inlinable @inline(__always)
  public static func quadraticForms<E: RowElement, V: SIMD, let W: Int, M: MultiplyAccumulate>(
    _ x: UnsafePointer<E>, rows: Int, _ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>, count k: Int,
    dimension d: Int, into out: UnsafeMutablePointer<Float>, vector: V.Type, tile: InlineArray<W, Int>.Type,
    _ multiply: M.Type
  ) where V.Scalar == Float {
    let lanes = V.scalarCount
    let vectorEnd = d - d % lanes
    for r in stride(from: 0, to: rows, by: 2) {
      let x0 = x + r * d
      let x1 = x + min(r + 1, rows - 1) * d
      for c in stride(from: 0, to: k, by: W) {
        var offsets = InlineArray<W, Int>(repeating: 0)
        for w in 0..<W { offsets[w] = min(c + w, k - 1) * d }
        var sums0 = InlineArray<W, V>(repeating: V())
        var sums1 = InlineArray<W, V>(repeating: V())
        var j = 0
        while j < vectorEnd {
          let u0 = E.vector(x0 + j, as: V.self)
          let u1 = E.vector(x1 + j, as: V.self)
          for w in 0..<W {
            let scale = load(a + offsets[w] + j, as: V.self)
            let shift = load(b + offsets[w] + j, as: V.self)
            sums0[w] = M.accumulate(sums0[w], u0, M.accumulate(shift, u0, scale))
            sums1[w] = M.accumulate(sums1[w], u1, M.accumulate(shift, u1, scale))
          }
          j += lanes
        }
        for w in 0..<W where c + w < k {
          var total0 = sums0[w].sum()
          var total1 = sums1[w].sum()
          for t in vectorEnd..<d {
            let (v0, v1) = (E.scalar(x0[t]), E.scalar(x1[t]))
            total0 += v0 * (v0 * a[offsets[w] + t] + b[offsets[w] + t])
            total1 += v1 * (v1 * a[offsets[w] + t] + b[offsets[w] + t])
          }
          out[r * k + c + w] = total0
          if r + 1 < rows { out[(r + 1) * k + c + w] = total1 }
        }
      }
    }
  }

  /// first[c·d + j] += Σ_r w_rc x_rj and second[c·d + j] += Σ_r w_rc x_rj², where
  /// w_rc = weights[r·k + c] and x_rj = x[r·d + j], for c < k, j < d: the weighted first
  /// and second moments of a block of rows (EM's M-step for diagonal Gaussians), x²
  /// formed in registers.
  ///
  /// Tiles of `W` columns × one vector of the row: 2·W accumulators stay in registers
  /// while every row of the block goes past, each weight broadcast once per tile.
  @inlinable @inline(__always)
  public static func moments<E: RowElement, V: SIMD, let W: Int, M: MultiplyAccumulate>(
    _ weights: UnsafePointer<Float>, _ x: UnsafePointer<E>, rows: Int, count k: Int, dimension d: Int,
    first: UnsafeMutablePointer<Float>, second: UnsafeMutablePointer<Float>, vector: V.Type,
    tile: InlineArray<W, Int>.Type, _ multiply: M.Type
  ) where V.Scalar == Float {
    let lanes = V.scalarCount
    let vectorEnd = d - d % lanes
    for c in stride(from: 0, to: k, by: W) {
      var j = 0
      while j < vectorEnd {
        var firsts = InlineArray<W, V>(repeating: V())
        var seconds = InlineArray<W, V>(repeating: V())
        for r in 0..<rows {
          let value = E.vector(x + r * d + j, as: V.self)
          let square = value * value
          let weightRow = weights + r * k
          for w in 0..<W {
            let weight = V(repeating: weightRow[min(c + w, k - 1)])
            firsts[w] = M.accumulate(firsts[w], weight, value)
            seconds[w] = M.accumulate(seconds[w], weight, square)
          }
        }
        for w in 0..<W where c + w < k {
          let offset = (c + w) * d + j
          UnsafeMutableRawPointer(first + offset).storeBytes(of: load(first + offset, as: V.self) + firsts[w], as: V.self)
          UnsafeMutableRawPointer(second + offset).storeBytes(of: load(second + offset, as: V.self) + seconds[w], as: V.self)
        }
        j += lanes
      }
      for w in 0..<W where c + w < k {
        for t in vectorEnd..<d {
          var (sum, squares): (Float, Float) = (0, 0)
          for r in 0..<rows {
            let value = E.scalar(x[r * d + t])
            sum += weights[r * k + c + w] * value
            squares += weights[r * k + c + w] * value * value
          }
          first[(c + w) * d + t] += sum
          second[(c + w) * d + t] += squares
        }
      }
    }
  }

  /// out[r] = Σ_j x[r·d + j] · v[groups[r]·d + j] for r < rows: each row against its own
  /// vector (a record and the centre it is assigned to), four vectors of the row at a time
  /// so that the multiply-adds do not wait on one another.
  @inlinable @inline(__always)
  public static func groupDots<E: RowElement, V: SIMD, M: MultiplyAccumulate>(
    _ x: UnsafePointer<E>, rows: Int, _ v: UnsafePointer<Float>, groups: UnsafePointer<Int32>, dimension d: Int,
    into out: UnsafeMutablePointer<Float>, vector: V.Type, _ multiply: M.Type
  ) where V.Scalar == Float {
    let lanes = V.scalarCount
    let quadEnd = d - d % (4 * lanes)
    for r in 0..<rows {
      let row = x + r * d
      let column = v + Int(groups[r]) * d
      var sums = (V(), V(), V(), V())
      var j = 0
      while j < quadEnd {
        sums.0 = M.accumulate(sums.0, E.vector(row + j, as: V.self), load(column + j, as: V.self))
        sums.1 = M.accumulate(sums.1, E.vector(row + j + lanes, as: V.self), load(column + j + lanes, as: V.self))
        sums.2 = M.accumulate(sums.2, E.vector(row + j + 2 * lanes, as: V.self), load(column + j + 2 * lanes, as: V.self))
        sums.3 = M.accumulate(sums.3, E.vector(row + j + 3 * lanes, as: V.self), load(column + j + 3 * lanes, as: V.self))
        j += 4 * lanes
      }
      var total = ((sums.0 + sums.1) + (sums.2 + sums.3)).sum()
      for t in quadEnd..<d { total += E.scalar(row[t]) * column[t] }
      out[r] = total
    }
  }
}
