import KernelLoops
import SIMDKernels
import Shared
import Testing

@testable import augment

/// The crop, resize, flip and affine steps on tiny images, against values worked out by hand.
@Suite struct GeometryTests {
  /// Runs `resizedCrop` on a one-channel image.
  func crop(_ image: [Float], height: Int, width: Int, box: CropBox, flip: Bool = false, to size: (Int, Int)) -> [Float] {
    let scratch = ResizeScratch(channels: 1, inputHeight: height, inputWidth: width, outputHeight: size.0, outputWidth: size.1)
    defer { scratch.deallocate() }
    var output = [Float](repeating: -1, count: size.0 * size.1)
    // Taps may read past the image with weight 0, as the renderer's buffers allow.
    let padded = image + [Float](repeating: 0, count: scratch.columnTaps)
    padded.withUnsafeBufferPointer { input in
      output.withUnsafeMutableBufferPointer {
        resizedCrop(
          .floats(input.baseAddress!), channels: 1, height: height, width: width, box: box, flip: flip, outputHeight: size.0,
          outputWidth: size.1, scratch: scratch, into: $0.baseAddress!, PixelKernels.loops())
      }
    }
    return output
  }

  /// A 2×2 box of a 4×4 image, enlarged to 4×4. Output i samples the box at
  /// (i + ½)/2 − ½ = −¼, ¼, ¾, 1¼ in box pixels: the edge pixel, ¾·a + ¼·b, ¼·a + ¾·b,
  /// the other edge pixel (the triangle's taps stop at the box).
  @Test func enlargingABoxIsBilinear() {
    let image: [Float] = [
      1, 2, 3, 4,
      5, 10, 50, 8,
      9, 90, 130, 12,
      13, 14, 15, 16,
    ]
    let out = crop(image, height: 4, width: 4, box: CropBox(top: 1, left: 1, height: 2, width: 2), to: (4, 4))
    #expect(out == [
      10, 20, 40, 50,
      30, 40, 60, 70,
      70, 80, 100, 110,
      90, 100, 120, 130,
    ])
    let flipped = crop(image, height: 4, width: 4, box: CropBox(top: 1, left: 1, height: 2, width: 2), flip: true, to: (4, 4))
    #expect(flipped[0..<4] == [50, 40, 20, 10] && flipped[12..<16] == [130, 120, 100, 90])
  }

  /// Shrinking 4 → 2 widens the triangle to a radius of 2 pixels (antialiasing): output 0,
  /// centred at 1.0, weighs pixels 0, 1, 2 by ¾, ¾, ¼ (normalised: 3/7, 3/7, 1/7), output 1
  /// pixels 1, 2, 3 by 1/7, 3/7, 3/7.
  @Test func shrinkingIsAntialiased() {
    let row: [Float] = [0, 70, 140, 210]
    let out = crop(row, height: 1, width: 4, box: CropBox(top: 0, left: 0, height: 1, width: 4), to: (1, 2))
    #expect(close(out, [50, 160], tolerance: 1e-3), "\(out)")
  }

  /// The whole image at its own size comes back unchanged.
  @Test func identityCropIsExact() {
    let image = (0..<30).map { Float($0 * 7 % 256) }
    #expect(crop(image, height: 5, width: 6, box: CropBox(top: 0, left: 0, height: 5, width: 6), to: (5, 6)) == image)
  }

  func warped(_ image: [UInt8], side: Int, _ map: AffineMap) -> [Float] {
    var output = [Float](repeating: -1, count: image.count)
    image.withUnsafeBufferPointer { input in
      output.withUnsafeMutableBufferPointer {
        warp(input.baseAddress!, channels: 1, height: side, width: side, map: map, displacement: nil, into: $0.baseAddress!)
      }
    }
    return output
  }

  /// A quarter turn counter-clockwise takes the top-right pixel to the top-left; a shift
  /// by one pixel right leaves a black first column.
  @Test func affineRotatesAndShifts() {
    let image: [UInt8] = [
      1, 2, 3,
      4, 5, 6,
      7, 8, 9,
    ]
    let turned = warped(image, side: 3, AffineMap(degrees: 90, dx: 0, dy: 0, scale: 1, shear: 0, height: 3, width: 3))
    #expect(close(turned, [3, 6, 9, 2, 5, 8, 1, 4, 7], tolerance: 1e-4), "\(turned)")
    let shifted = warped(image, side: 3, AffineMap(degrees: 0, dx: 1, dy: 0, scale: 1, shear: 0, height: 3, width: 3))
    #expect(close(shifted, [0, 1, 2, 0, 4, 5, 0, 7, 8], tolerance: 1e-4), "\(shifted)")
    // Scale 2 about the centre (1.5): output column 0 (centre 0.5) reads 1.5 − 1/2 = 1.0,
    // halfway between the centres of columns 0 and 1.
    let zoomed = warped(image, side: 3, AffineMap(degrees: 0, dx: 0, dy: 0, scale: 2, shear: 0, height: 3, width: 3))
    #expect(abs(zoomed[4] - 5) < 1e-4 && abs(zoomed[3] - 4.5) < 1e-4, "\(zoomed)")
  }

  /// The tables give ResampleWeights' weights, cached per size or (for large tables)
  /// computed again each time, in either layout.
  @Test func resampleTablesMatchResampleWeights() {
    for (largest, output) in [(30, 28), (1000, 600)] {
      for tapMajor in [true, false] {
        let table = ResampleTable(largestInput: largest, outputSize: output, tapMajor: tapMajor)
        for size in [1, 7, largest / 2, largest, 7] {
          let reference = ResampleWeights(inputSize: size, outputSize: output)
          let (first, weights, used) = table.weights(from: size)
          for i in 0..<output {
            #expect(first[i] == reference.first[i])
            for t in 0..<used {
              let value = weights[tapMajor ? t * output + i : i * table.taps + t]
              #expect(value == reference.weights[i * reference.taps + t])
            }
            // Taps beyond `used` carry no weight.
            for t in used..<reference.taps { #expect(reference.weights[i * reference.taps + t] == 0) }
          }
        }
      }
    }
  }
}
