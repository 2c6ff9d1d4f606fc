import Shared

/// Turns batches of images into batches of views, on several threads.
///
/// Each view's randomness comes from its own generator, seeded by (seed, epoch, the
/// record's position in the input, view index), and each record is rendered whole by one
/// worker, so the output does not depend on the thread count or on how the input was
/// cut into batches.
final class Augmenter {
  let recipe: Recipe
  let views: Int
  let seed: UInt64
  let inputSchema: StreamSchema
  let outputSchema: StreamSchema
  private let renderers: [ViewRenderer]

  init(recipe: Recipe, views: Int, seed: UInt64, threads: Int, input: StreamSchema, output: StreamSchema, encoding: OutputEncoding) {
    self.recipe = recipe
    self.views = views
    self.seed = seed
    inputSchema = input
    outputSchema = output
    let (channels, height, width) = (input.dims[0], input.dims[1], input.dims[2])
    renderers = (0..<threads).map { _ in
      ViewRenderer(
        recipe: recipe, channels: channels, height: height, width: width, outputHeight: output.dims[1],
        outputWidth: output.dims[2], encoding: encoding)
    }
  }

  /// Records per call of `augment`: their views fill at most one frame of the output, and
  /// about 256 KiB, so that they are still in cache when written out, but at least 16.
  /// It depends on the schemas alone: the calls cut the output into frames, and the
  /// output must not depend on the thread count.
  var rowsPerCall: Int {
    let cached = (1 << 18) / (views * outputSchema.bytesPerRecord)
    return max(1, min(outputSchema.recordsPerFrame / views, max(cached, 16)))
  }

  /// Records each worker takes at a time.
  static let chunkSize = 4

  /// Replaces `batch`'s records with the views of `source`'s records `rows` (all when
  /// nil), in that order, each record's views next to each other. A record's position in
  /// the input is `positionBase` plus its row. `batch`'s buffers are reused, so passing
  /// the same batch every time allocates nothing once it has grown.
  func augment(
    _ source: RecordBatch, rows: ArraySlice<Int>? = nil, positionBase: Int = 0, epoch: Int, into batch: inout RecordBatch
  ) {
    let rows = rows ?? ArraySlice(0..<source.count)
    let outputBytes = outputSchema.bytesPerRecord
    let size = rows.count * views * outputBytes
    // The payload keeps its bytes between calls of the same size: every byte is written below.
    batch.ids.removeAll(keepingCapacity: true)
    batch.labels.removeAll(keepingCapacity: true)
    batch.views?.removeAll(keepingCapacity: true)
    batch.splits?.removeAll(keepingCapacity: true)
    for row in rows {
      for view in 0..<views {
        batch.ids.append(source.ids[row])
        batch.labels.append(source.labels[row])
        // Views of views compose; `Augment` refuses counts past Int32 up front.
        batch.views!.append(Int32(clamping: Int(source.views?[row] ?? 0) * views + view))
        if let splits = source.splits { batch.splits!.append(splits[row]) }
      }
    }
    guard !rows.isEmpty else {
      batch.payload.removeAll()
      return
    }
    if batch.payload.count != size { batch.payload = [UInt8](repeating: 0, count: size) }
    let inputBytes = inputSchema.bytesPerRecord
    let (height, width) = (inputSchema.dims[1], inputSchema.dims[2])
    let (views, seed, recipe, renderers) = (views, seed, recipe, renderers)
    batch.payload.withUnsafeMutableBufferPointer { output in
      source.payload.withUnsafeBufferPointer { input in
        let shared = UncheckedSendable((input.baseAddress!, output.baseAddress!))
        forEachChunk(count: rows.count, chunkSize: Self.chunkSize, workers: renderers.count) { worker, chunk in
          let (input, output) = shared.value
          let renderer = renderers[worker]
          for i in chunk {
            let row = rows[rows.startIndex + i]
            let image = input + row * inputBytes
            for view in 0..<views {
              var rng = SplitMix64(seed: seed, UInt64(epoch), UInt64(positionBase + row), UInt64(view))
              let plan = recipe.plan(view: view, height: height, width: width, using: &rng)
              renderer.render(plan, of: image, into: output + (i * views + view) * outputBytes)
            }
          }
        }
      }
    }
  }
}
