import Foundation
import Shared
import Testing

@testable import augment

/// Whole views: reproducible, independent of threads, different from one another.
@Suite struct AugmenterTests {
  /// `count` random RGB images of `side` × `side`.
  func images(_ count: Int, channels: Int = 3, side: Int = 20) -> (StreamSchema, RecordBatch) {
    let schema = StreamSchema.image(.u8, channels: channels, height: side, width: side, fields: [.split])
    var batch = RecordBatch(schema: schema)
    var rng = SplitMix64(seed: 5)
    for i in 0..<count {
      let pixels = (0..<schema.bytesPerRecord).map { _ in UInt8(truncatingIfNeeded: rng.next()) }
      pixels.withUnsafeBytes { batch.append(id: Int64(100 + i), label: Int32(i % 3), split: .test, payload: $0) }
    }
    return (schema, batch)
  }

  func augment(
    _ input: (StreamSchema, RecordBatch), preset: Preset = .simclr, views: Int = 2, seed: UInt64 = 1, threads: Int = 1,
    encoding: OutputEncoding = .bytes, epoch: Int = 0
  ) -> RecordBatch {
    let (schema, batch) = input
    let output = StreamSchema.image(
      encoding.elementType, channels: schema.dims[0], height: schema.dims[1], width: schema.dims[2],
      fields: schema.fields.union(.view))
    let augmenter = Augmenter(
      recipe: preset.recipe, views: views, seed: seed, threads: threads, input: schema, output: output, encoding: encoding)
    var views = RecordBatch(schema: output)
    augmenter.augment(batch, epoch: epoch, into: &views)
    return views
  }

  @Test func recordsKeepTheirIdsAndNumberTheirViews() {
    let views = augment(images(3), views: 2)
    #expect(views.ids == [100, 100, 101, 101, 102, 102])
    #expect(views.labels == [0, 0, 1, 1, 2, 2])
    #expect(views.views == [0, 1, 0, 1, 0, 1])
    #expect(views.splits == Array(repeating: Split.test.rawValue, count: 6))
  }

  @Test func sameSeedSameBytesForAnyThreadCount() {
    let input = images(37)
    let one = augment(input, threads: 1)
    #expect(augment(input, threads: 1) == one)
    #expect(augment(input, threads: 3) == one)
    #expect(augment(input, seed: 2) != one)
    #expect(augment(input, epoch: 1) != one)
  }

  @Test func viewsOfOneImageDiffer() {
    let views = augment(images(10), views: 2)
    let size = 3 * 20 * 20
    for i in 0..<10 {
      let first = views.payload[(2 * i) * size..<(2 * i + 1) * size]
      let second = views.payload[(2 * i + 1) * size..<(2 * i + 2) * size]
      #expect(first != second)
    }
  }

  /// The none preset crops nothing and resamples at the same size: the image itself.
  @Test func nonePresetIsTheIdentity() {
    for channels in [1, 3] {
      let input = images(4, channels: channels)
      let views = augment(input, preset: .none, views: 1)
      #expect(views.payload == input.1.payload)
    }
  }

  /// Elastic distortion of strength 0 moves nothing.
  @Test func elasticOfNoStrengthIsTheIdentity() {
    var recipe = Preset.none.recipe
    recipe.elastic = Elastic(alpha: 0, sigma: 4)
    let (schema, batch) = images(3, channels: 3, side: 20)
    let output = StreamSchema.image(.u8, channels: 3, height: 20, width: 20, fields: [.split, .view])
    let augmenter = Augmenter(recipe: recipe, views: 1, seed: 0, threads: 1, input: schema, output: output, encoding: .bytes)
    var views = RecordBatch(schema: output)
    augmenter.augment(batch, epoch: 0, into: &views)
    #expect(views.payload == batch.payload)
  }

  @Test func normalizedOutputIsFloat() {
    let input = images(2, channels: 1)
    let views = augment(input, preset: .none, views: 1, encoding: .normalized(mean: [0.5], std: [0.25]))
    let values = views.payload.withUnsafeBytes { Array($0.bindMemory(to: Float.self)) }
    let expected = input.1.payload.map { (Float($0) / 255 - 0.5) / 0.25 }
    #expect(close(values, expected, tolerance: 1e-5))
  }

  /// Every preset runs on grey and RGB images, larger and smaller output sizes too.
  @Test(arguments: Preset.allCases) func everyPresetRuns(_ preset: Preset) {
    for channels in [1, 3] {
      let input = images(3, channels: channels, side: 28)
      let views = augment(input, preset: preset, views: 2)
      #expect(views.count == 6 && views.payload.count == 6 * channels * 28 * 28)
      // Views of noise stay noise-like: not constant, the mean near the input's (jitter
      // moves it by at most a factor 1.8 here), never NaN turned into black.
      let size = channels * 28 * 28
      let inputMean = Double(input.1.payload.reduce(0) { $0 + Int($1) }) / Double(input.1.payload.count)
      for v in 0..<6 {
        let pixels = views.payload[v * size..<(v + 1) * size]
        let mean = Double(pixels.reduce(0) { $0 + Int($1) }) / Double(size)
        #expect(Set(pixels).count > 10, "\(preset) view \(v) is nearly constant")
        #expect(mean > inputMean / 2.5 && mean < min(255, inputMean * 2.5), "\(preset) view \(v): mean \(mean)")
      }
    }
    var recipe = preset.recipe
    recipe.elastic = Elastic(alpha: 34, sigma: 4)
    let (schema, batch) = images(2, side: 28)
    for size in [14, 40] {
      let output = StreamSchema.image(.u8, channels: 3, height: size, width: size + 1, fields: [.split, .view])
      let augmenter = Augmenter(recipe: recipe, views: 2, seed: 0, threads: 2, input: schema, output: output, encoding: .bytes)
      var views = RecordBatch(schema: output)
      augmenter.augment(batch, epoch: 0, into: &views)
      #expect(views.payload.count == 4 * 3 * size * (size + 1))
    }
  }
}
