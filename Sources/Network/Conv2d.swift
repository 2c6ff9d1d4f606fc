import Kernels

/// The shape of a 2-d convolution over C × H × W images: O filters of C × k × k, moved by
/// `stride`, the image padded with `padding` zeros on every side.
public struct Conv2dShape: Equatable, Sendable {
  public let inChannels: Int
  public let outChannels: Int
  public let kernel: Int
  public let stride: Int
  public let padding: Int
  public let inHeight: Int
  public let inWidth: Int

  public init(inChannels: Int, outChannels: Int, kernel: Int, stride: Int = 1, padding: Int = 0, inHeight: Int, inWidth: Int) {
    precondition(kernel > 0 && stride > 0 && padding >= 0, "bad convolution shape")
    precondition(inHeight + 2 * padding >= kernel && inWidth + 2 * padding >= kernel, "kernel larger than the padded image")
    self.inChannels = inChannels
    self.outChannels = outChannels
    self.kernel = kernel
    self.stride = stride
    self.padding = padding
    self.inHeight = inHeight
    self.inWidth = inWidth
  }

  public var outHeight: Int { (inHeight + 2 * padding - kernel) / stride + 1 }
  public var outWidth: Int { (inWidth + 2 * padding - kernel) / stride + 1 }
  /// Values in one input image, one output image, and the weight (O × C × k × k).
  public var inputCount: Int { inChannels * inHeight * inWidth }
  public var outputCount: Int { outChannels * outHeight * outWidth }
  public var weightCount: Int { outChannels * patchCount }
  /// Values in one patch, C × k × k: a row of the unfolded image.
  public var patchCount: Int { inChannels * kernel * kernel }
  /// The scratch `forward` and `backward` need: one image unfolded, (C k k) × (H′ W′).
  public var columnCount: Int { patchCount * outHeight * outWidth }
}

/// A 2-d convolution with bias (or without: nil), as PyTorch's `nn.Conv2d`, over a batch of images stored
/// image after image, each C × H × W:
/// out[n, o, y, x] = bias[o] + Σ_{c,i,j} weight[o, c, i, j] · in[n, c, y·s + i − p, x·s + j − p].
///
/// Each image is unfolded (im2col) so that the sums are one matrix product per image.
public enum Conv2d {
  public static func forward(
    _ input: UnsafePointer<Float>, batch: Int, _ shape: Conv2dShape, weight: UnsafePointer<Float>,
    bias: UnsafePointer<Float>?, columns: UnsafeMutablePointer<Float>, into output: UnsafeMutablePointer<Float>
  ) {
    let pixels = shape.outHeight * shape.outWidth
    for n in 0..<batch {
      unfold(input + n * shape.inputCount, shape, into: columns)
      let out = output + n * shape.outputCount
      for o in 0..<shape.outChannels { (out + o * pixels).update(repeating: bias?[o] ?? 0, count: pixels) }
      BLAS.sgemm(m: shape.outChannels, n: pixels, k: shape.patchCount, weight, columns, beta: 1, out)
    }
  }

  /// Adds the gradients of the weight and bias to `weightGradient` and `biasGradient`, and
  /// writes the input's gradient to `inputGradient` when given (a first layer needs none).
  public static func backward(
    _ outputGradient: UnsafePointer<Float>, input: UnsafePointer<Float>, batch: Int, _ shape: Conv2dShape,
    weight: UnsafePointer<Float>, columns: UnsafeMutablePointer<Float>, inputGradient: UnsafeMutablePointer<Float>?,
    weightGradient: UnsafeMutablePointer<Float>, biasGradient: UnsafeMutablePointer<Float>?
  ) {
    let pixels = shape.outHeight * shape.outWidth
    for n in 0..<batch {
      let dOut = outputGradient + n * shape.outputCount
      if let biasGradient {
        for o in 0..<shape.outChannels { biasGradient[o] += Reduce.sum(dOut + o * pixels, count: pixels) }
      }
      unfold(input + n * shape.inputCount, shape, into: columns)
      // dW (O × Ckk) += dOut (O × P) · columnsᵀ (P × Ckk)
      BLAS.sgemm(
        transposeB: true, m: shape.outChannels, n: shape.patchCount, k: pixels, dOut, columns, beta: 1, weightGradient)
      guard let inputGradient else { continue }
      // d columns (Ckk × P) = Wᵀ (Ckk × O) · dOut (O × P), then folded back onto the image.
      BLAS.sgemm(transposeA: true, m: shape.patchCount, n: pixels, k: shape.outChannels, weight, dOut, columns)
      fold(columns, shape, into: inputGradient + n * shape.inputCount)
    }
  }

  /// The outputs x whose input column x s + j − p lies inside the image: x0..<x1.
  @inline(__always)
  static func validColumns(_ shape: Conv2dShape, j: Int) -> (Int, Int) {
    let (s, pad) = (shape.stride, shape.padding)
    let x0 = pad > j ? (pad - j + s - 1) / s : 0
    let x1 = min(shape.outWidth, (shape.inWidth + pad - j + s - 1) / s)
    return (min(x0, x1), x1)
  }

  /// columns[(c k + i) k + j, y W′ + x] = in[c, y s + i − p, x s + j − p], or 0 in the padding.
  static func unfold(_ image: UnsafePointer<Float>, _ shape: Conv2dShape, into columns: UnsafeMutablePointer<Float>) {
    let (k, s, pad) = (shape.kernel, shape.stride, shape.padding)
    let (height, width, outHeight, outWidth) = (shape.inHeight, shape.inWidth, shape.outHeight, shape.outWidth)
    var row = columns
    for c in 0..<shape.inChannels {
      let plane = image + c * height * width
      for i in 0..<k {
        for j in 0..<k {
          let (x0, x1) = validColumns(shape, j: j)
          for y in 0..<outHeight {
            let iy = y * s + i - pad
            let target = row + y * outWidth
            guard iy >= 0 && iy < height else {
              target.update(repeating: 0, count: outWidth)
              continue
            }
            // Zeros where the window hangs over the padding, the image row in between.
            target.update(repeating: 0, count: x0)
            (target + x1).update(repeating: 0, count: outWidth - x1)
            let source = plane + iy * width + j - pad
            if s == 1 {
              (target + x0).update(from: source + x0, count: x1 - x0)
            } else {
              var x = x0
              while x < x1 {
                target[x] = source[x * s]
                x += 1
              }
            }
          }
          row += outHeight * outWidth
        }
      }
    }
  }

  /// The adjoint of `unfold`: each column value added back to the pixel it came from.
  static func fold(_ columns: UnsafePointer<Float>, _ shape: Conv2dShape, into image: UnsafeMutablePointer<Float>) {
    let (k, s, pad) = (shape.kernel, shape.stride, shape.padding)
    let (height, width, outHeight, outWidth) = (shape.inHeight, shape.inWidth, shape.outHeight, shape.outWidth)
    image.update(repeating: 0, count: shape.inputCount)
    var row = columns
    for c in 0..<shape.inChannels {
      let plane = image + c * height * width
      for i in 0..<k {
        for j in 0..<k {
          let (x0, x1) = validColumns(shape, j: j)
          for y in 0..<outHeight {
            let iy = y * s + i - pad
            guard iy >= 0 && iy < height else { continue }
            let source = row + y * outWidth
            let target = plane + iy * width + j - pad
            var x = x0
            if s == 1 {
              while x < x1 {
                target[x] += source[x]
                x += 1
              }
            } else {
              while x < x1 {
                target[x * s] += source[x]
                x += 1
              }
            }
          }
          row += outHeight * outWidth
        }
      }
    }
  }
}
