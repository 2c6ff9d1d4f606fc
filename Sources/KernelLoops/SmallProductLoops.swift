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

  /// out[c·d + j] += Σ_r weights[r·k + c] · x[r·d + j] for c < k, j < d: the weighted
  /// sums of a block of rows, one per column of `weights`.
  ///
  /// Tiles of `W` columns × 2 vectors of the row: 2·W accumulators stay in registers
  /// while every row of the block goes past, each weight broadcast once per tile.
  @inlinable @inline(__always)
  public static func weightedSums<V: SIMD, let W: Int, M: MultiplyAccumulate>(
    _ weights: UnsafePointer<Float>, _ x: UnsafePointer<Float>, rows: Int, count k: Int, dimension d: Int,
    into out: UnsafeMutablePointer<Float>, vector: V.Type, tile: InlineArray<W, Int>.Type, _ multiply: M.Type
  ) where V.Scalar == Float {
    let lanes = V.scalarCount
    let pairEnd = d - d % (2 * lanes)
    for c in stride(from: 0, to: k, by: W) {
      var j = 0
      while j < pairEnd {
        var sums0 = InlineArray<W, V>(repeating: V())
        var sums1 = InlineArray<W, V>(repeating: V())
        for r in 0..<rows {
          let a0 = load(x + r * d + j, as: V.self)
          let a1 = load(x + r * d + j + lanes, as: V.self)
          let weightRow = weights + r * k
          for w in 0..<W {
            let weight = V(repeating: weightRow[min(c + w, k - 1)])
            sums0[w] = M.accumulate(sums0[w], weight, a0)
            sums1[w] = M.accumulate(sums1[w], weight, a1)
          }
        }
        for w in 0..<W where c + w < k {
          let target = out + (c + w) * d + j
          let sum0 = load(target, as: V.self) + sums0[w]
          let sum1 = load(target + lanes, as: V.self) + sums1[w]
          UnsafeMutableRawPointer(target).storeBytes(of: sum0, as: V.self)
          UnsafeMutableRawPointer(target + lanes).storeBytes(of: sum1, as: V.self)
        }
        j += 2 * lanes
      }
      for w in 0..<W where c + w < k {
        for t in pairEnd..<d {
          var total: Float = 0
          for r in 0..<rows { total += weights[r * k + c + w] * x[r * d + t] }
          out[(c + w) * d + t] += total
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
