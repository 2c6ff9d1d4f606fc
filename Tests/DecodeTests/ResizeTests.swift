import Testing

@testable import Shared
@testable import decode

/// ResampleWeights, Image.resampled / fitted, and channel conversion, against answers
/// worked out by hand.
@Suite struct ResizeTests {
  /// Weight of input pixel `j` for output `i`.
  static func weight(_ w: ResampleWeights, _ i: Int, _ j: Int) -> Float {
    let t = j - Int(w.first[i])
    return (0..<w.taps).contains(t) ? w.weights[i * w.taps + t] : 0
  }

  @Test func weightRowsSumToOneAndStayInsideTheInput() {
    let cases: [(input: Int, output: Int, start: Double, length: Double?)] = [
      (4, 2, 0, nil), (2, 4, 0, nil), (1, 7, 0, nil), (7, 1, 0, nil), (28, 28, 0, nil), (100, 32, 0, nil),
      (32, 100, 0, nil), (33, 5, 0, nil), (5, 33, 0, nil), (1000, 3, 0, nil), (10, 4, 2.5, 5), (10, 4, 0.25, 9.5),
      (8, 8, 2, 4), (10, 3, 12, 4), (10, 3, -6, 4), (3, 3, -1, 5),
    ]
    for c in cases {
      let w = ResampleWeights(inputSize: c.input, outputSize: c.output, start: c.start, length: c.length)
      #expect(w.first.count == c.output && w.weights.count == c.output * w.taps)
      for i in 0..<c.output {
        let row = w.weights[i * w.taps..<(i + 1) * w.taps]
        let sum = row.reduce(0, +)
        #expect(abs(sum - 1) < 1e-5, "\(c) row \(i) sums to \(sum)")
        #expect(row.allSatisfy { $0 >= 0 }, "\(c) row \(i) has a negative weight")
        // Every tap with weight falls inside the input.
        for (t, value) in row.enumerated() where value > 0 {
          let j = Int(w.first[i]) + t
          #expect((0..<c.input).contains(j), "\(c) row \(i) weights input \(j)")
        }
      }
    }
  }

  @Test func sameSizeWeightsAreTheIdentity() {
    for n in [1, 2, 5, 28] {
      let w = ResampleWeights(inputSize: n, outputSize: n)
      for i in 0..<n {
        for j in 0..<n { #expect(Self.weight(w, i, j) == (i == j ? 1 : 0), "n \(n): (\(i), \(j))") }
      }
    }
  }

  /// 4 → 2 with the antialiased triangle: scale s = 2, so the triangle's radius is 2 input
  /// pixels. Output 0 is centred at input coordinate 1.0; input pixel j (centre j + 0.5)
  /// gets 1 − |j + 0.5 − 1| / 2: j=0 → 0.75, j=1 → 0.75, j=2 → 0.25, j=3 → 0. Normalised by
  /// their sum 1.75: 3/7, 3/7, 1/7. Output 1 (centre 3.0) mirrors it: j=1 → 1/7, j=2,3 → 3/7.
  /// (This is Pillow's BILINEAR reduce, not a plain 2×2 box average of 1/2, 1/2.)
  @Test func downscaleWeightsByHand() {
    let w = ResampleWeights(inputSize: 4, outputSize: 2)
    let expected: [[Float]] = [[3.0 / 7, 3.0 / 7, 1.0 / 7, 0], [0, 1.0 / 7, 3.0 / 7, 3.0 / 7]]
    for i in 0..<2 {
      for j in 0..<4 { #expect(abs(Self.weight(w, i, j) - expected[i][j]) < 1e-6, "(\(i), \(j))") }
    }
  }

  /// 4×4 → 2×2 of p(y, x) = 10x + 40y. Along x the weights above give
  /// (3·0 + 3·10 + 1·20)/7 = 50/7 and (1·10 + 3·20 + 3·30)/7 = 160/7; along y
  /// (3·0 + 3·40 + 1·80)/7 = 200/7 and (40 + 3·80 + 3·120)/7 = 640/7. The pattern is a
  /// sum and each weight row sums to 1, so outputs add: 250/7 = 35.7 → 36,
  /// 360/7 = 51.4 → 51, 690/7 = 98.6 → 99, 800/7 = 114.3 → 114.
  ///
  /// A single 255 at (y 1, x 2) tests the 2-D product: rows weigh y = 1 by 3/7 (output 0)
  /// and 1/7 (output 1); columns weigh x = 2 by 1/7 and 3/7. So 255·3/49 = 15.6 → 16,
  /// 255·9/49 = 46.8 → 47, 255·1/49 = 5.2 → 5, 255·3/49 → 16.
  @Test func downscaleFourByFourByHand() {
    let rampPixels: [UInt8] = (0..<16).map { (i: Int) -> UInt8 in UInt8(10 * (i % 4) + 40 * (i / 4)) }
    let ramp = Image(channels: 1, height: 4, width: 4, pixels: rampPixels)
    #expect(ramp.resampled(height: 2, width: 2).pixels == [36, 51, 99, 114])

    var impulse = Image(channels: 1, height: 4, width: 4)
    impulse.pixels[1 * 4 + 2] = 255
    #expect(impulse.resampled(height: 2, width: 2).pixels == [16, 47, 5, 16])

    // Channels are resampled independently: the impulse in the middle plane only.
    var planes = Image(channels: 3, height: 4, width: 4)
    planes.pixels[16 + 1 * 4 + 2] = 255
    #expect(planes.resampled(height: 2, width: 2).pixels == [0, 0, 0, 0, 16, 47, 5, 16, 0, 0, 0, 0])
  }

  /// 2 → 4: scale 1/2, so the triangle keeps its radius of 1 input pixel. Output i is
  /// centred at (i + 0.5)/2 = 0.25, 0.75, 1.25, 1.75; input centres are 0.5 and 1.5.
  /// Weights 1 − |distance|: 0.25 → (0.75, 0) → [1, 0]; 0.75 → (0.75, 0.25);
  /// 1.25 → (0.25, 0.75); 1.75 → (0, 0.75) → [0, 1]. So [0, 200] → [0, 50, 150, 200]
  /// and [10, 110] → [10, 35, 85, 110].
  @Test func upscaleTwoToFourByHand() {
    let w = ResampleWeights(inputSize: 2, outputSize: 4)
    let expected: [[Float]] = [[1, 0], [0.75, 0.25], [0.25, 0.75], [0, 1]]
    for i in 0..<4 {
      for j in 0..<2 { #expect(abs(Self.weight(w, i, j) - expected[i][j]) < 1e-6, "(\(i), \(j))") }
    }
    let row = Image(channels: 1, height: 1, width: 2, pixels: [0, 200])
    #expect(row.resampled(height: 1, width: 4).pixels == [0, 50, 150, 200])
    let other = Image(channels: 1, height: 1, width: 2, pixels: [10, 110])
    #expect(other.resampled(height: 1, width: 4).pixels == [10, 35, 85, 110])
    // The same along y.
    let column = Image(channels: 1, height: 2, width: 1, pixels: [0, 200])
    #expect(column.resampled(height: 4, width: 1).pixels == [0, 50, 150, 200])
  }

  @Test func identityResizeReturnsTheSamePixels() {
    var random = SplitMix64(seed: 1)
    let image = Image(channels: 3, height: 5, width: 7, pixels: (0..<105).map { _ in UInt8(truncatingIfNeeded: random.next()) })
    #expect(image.resampled(height: 5, width: 7) == image)
    #expect(image.resampled(height: 5, width: 7, region: (0, 0, 5, 7)) == image)
    for fit in FitMode.allCases { #expect(image.fitted(height: 5, width: 7, fit: fit) == image, "\(fit)") }
    // A shifted whole-pixel region of the same scale is an exact copy (weights 1 and 0),
    // even though it does not take the shortcut.
    let cut = image.resampled(height: 3, width: 4, region: (1, 2, 3, 4))
    for c in 0..<3 {
      for y in 0..<3 {
        for x in 0..<4 { #expect(cut.pixels[(c * 3 + y) * 4 + x] == image.pixels[(c * 5 + y + 1) * 7 + x + 2]) }
      }
    }
  }

  @Test func constantImagesStayConstant() {
    let sizes = [(1, 1), (1, 9), (9, 1), (2, 3), (4, 4), (7, 5), (28, 28), (32, 17), (96, 96)]
    for value: UInt8 in [0, 1, 127, 254, 255] {
      for (h, w) in sizes {
        let image = Image(channels: 2, height: h, width: w, pixels: [UInt8](repeating: value, count: 2 * h * w))
        for (oh, ow) in sizes {
          let out = image.resampled(height: oh, width: ow)
          #expect(out.pixels.allSatisfy { $0 == value }, "\(value): \(h)×\(w) → \(oh)×\(ow)")
          for fit in [FitMode.crop, .stretch] {
            let fitted = image.fitted(height: oh, width: ow, fit: fit)
            #expect(fitted.pixels.allSatisfy { $0 == value }, "\(fit) \(value): \(h)×\(w) → \(oh)×\(ow)")
          }
        }
      }
    }
  }

  @Test func fitModesGiveTheRequestedSize() {
    let image = Image(channels: 3, height: 100, width: 50, pixels: [UInt8](repeating: 200, count: 3 * 100 * 50))
    for fit in FitMode.allCases {
      for (h, w) in [(32, 32), (10, 40), (40, 10), (1, 1), (200, 100), (3, 500)] {
        let out = image.fitted(height: h, width: w, fit: fit)
        #expect(out.channels == 3 && out.height == h && out.width == w, "\(fit) \(h)×\(w)")
      }
    }
  }

  /// Pad: 100×50 of 255 into 32×32 scales by min(0.32, 0.64) = 0.32 → a 32×16 inside,
  /// left at (32 − 16)/2 = 8: columns 0…7 and 24…31 are black, the rest white.
  @Test func padBordersAreBlack() {
    let white = Image(channels: 3, height: 100, width: 50, pixels: [UInt8](repeating: 255, count: 3 * 100 * 50))
    let padded = white.fitted(height: 32, width: 32, fit: .pad)
    for c in 0..<3 {
      for y in 0..<32 {
        for x in 0..<32 {
          let expected: UInt8 = (8..<24).contains(x) ? 255 : 0
          #expect(padded.pixels[(c * 32 + y) * 32 + x] == expected, "c \(c) y \(y) x \(x)")
        }
      }
    }
    // 2×4 into 5×4: scale min(2.5, 1) = 1, the picture is copied as is, top (5 − 2)/2 = 1.
    let small = Image(channels: 1, height: 2, width: 4, pixels: [1, 2, 3, 4, 5, 6, 7, 8])
    #expect(small.fitted(height: 5, width: 4, fit: .pad).pixels == [0, 0, 0, 0, 1, 2, 3, 4, 5, 6, 7, 8, 0, 0, 0, 0, 0, 0, 0, 0])
  }

  /// Crop: a 4×8 image into 4×4 scales by max(1, 0.5) = 1 and cuts the centre columns 2…5.
  @Test func cropCutsTheCentre() {
    let wide = Image(channels: 1, height: 4, width: 8, pixels: (0..<32).map { UInt8($0) })
    let expected: [UInt8] = [2, 3, 4, 5, 10, 11, 12, 13, 18, 19, 20, 21, 26, 27, 28, 29]
    #expect(wide.fitted(height: 4, width: 4, fit: .crop).pixels == expected)
    // Stretch keeps the whole width instead: 8 → 4 averages neighbours (not the centre cut).
    #expect(wide.fitted(height: 4, width: 4, fit: .stretch).pixels != expected)
  }

  /// Luma in Pillow's fixed point, L = (19595 R + 38470 G + 7471 B + 32768) >> 16:
  /// red 255 → 5029493 / 65536 = 76.7 → 76; green 255 → 150.2 → 150; blue 255 → 29.6 → 29;
  /// (10, 20, 30) → 18.6 → 18; (0, 0, 250) → 28.99 → 28 (where /1000 with rounding gives 29);
  /// (100, 150, 200) → 141.2 → 141; white 255.5 → 255, black 0.
  @Test func lumaKnownAnswers() {
    let rgb: [(UInt8, UInt8, UInt8)] = [(255, 0, 0), (0, 255, 0), (0, 0, 255), (10, 20, 30), (0, 0, 250), (100, 150, 200), (255, 255, 255), (0, 0, 0)]
    let image = Image(channels: 3, height: 1, width: rgb.count, pixels: rgb.map(\.0) + rgb.map(\.1) + rgb.map(\.2))
    let grey = image.converted(toChannels: 1)
    #expect(grey.channels == 1 && grey.height == 1 && grey.width == rgb.count)
    #expect(grey.pixels == [76, 150, 29, 18, 28, 141, 255, 0])
    // Grey to RGB repeats the plane; converting to the same count is a no-op.
    let back = grey.converted(toChannels: 3)
    #expect(back.pixels == grey.pixels + grey.pixels + grey.pixels)
    #expect(image.converted(toChannels: 3) == image)
  }
}
