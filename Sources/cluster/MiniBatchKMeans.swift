import Shared

/// Mini-batch K-means (Sculley 2010, "Web-scale k-means clustering"): each centre moves
/// towards the mean of the records assigned to it, with a step of 1 / (records it has
/// seen), one mini-batch at a time. Only one batch is held in memory, so data larger
/// than memory can be clustered; the first batch is clustered by ordinary K-means to
/// start.
struct MiniBatchKMeans {
  var k: Int
  var batchSize: Int
  /// Passes over the data.
  var epochs: Int
  var threads: Int
  var report: (_ epoch: Int, _ batches: Int, _ inertia: Double) -> Void = { _, _, _ in }

  /// Fits centres (k × d) from the stream in `path`, read `epochs` times.
  func fit(path: String, seed: UInt64) throws -> (centers: [Float], inertia: Double) {
    var centers: [Float] = []
    var seen = [Double](repeating: 0, count: k)
    var lastInertia = 0.0
    for epoch in 1...epochs {
      let reader = try StreamReader(path: path)
      var batches = 0
      var epochInertia = 0.0
      try forEachMiniBatch(reader, size: batchSize) { data in
        batches += 1
        let blocks = DistanceBlocks(data, threads: threads)
        if centers.isEmpty {
          guard data.count >= k else {
            throw Failure("-k \(k) is more than the \(data.count) records in \(reader.input.name)", exitCode: ExitStatus.usage)
          }
          centers = KMeans(k: k).fit(data, blocks: blocks, seed: seed).centers
        }
        var assignments = [Int32](repeating: 0, count: data.count)
        var closest = [Float](repeating: 0, count: data.count)
        let pass = KMeans(k: k).assign(blocks, centers, &assignments, &closest, summing: true)
        epochInertia += pass.inertia
        let d = data.dimension
        for c in 0..<k where pass.counts[c] > 0 {
          seen[c] += Double(pass.counts[c])
          let step = 1 / seen[c]
          for j in 0..<d {
            let batchMean = pass.sums[c * d + j] / Double(pass.counts[c])
            let moved = Double(centers[c * d + j]) + step * Double(pass.counts[c]) * (batchMean - Double(centers[c * d + j]))
            centers[c * d + j] = Float(moved)
          }
        }
        report(epoch, batches, epochInertia)
      }
      guard !centers.isEmpty else { throw Failure("\(reader.input.name): the stream holds no records to cluster") }
      lastInertia = epochInertia
    }
    return (centers, lastInertia)
  }
}

/// Calls `body` with successive batches of `size` records of `reader` (the last may be
/// smaller), each as a FeatureMatrix; memory holds one batch.
func forEachMiniBatch(_ reader: StreamReader, size: Int, _ body: (FeatureMatrix) throws -> Void) throws {
  var pending = RecordBatch(schema: reader.schema)
  // Records before `start` have been handed out; the rest wait for more to fill a batch.
  var start = 0
  func hand(_ count: Int) throws {
    let batch = pending.slice(start..<start + count, schema: reader.schema)
    start += count
    let data = try FeatureMatrix(schema: reader.schema, records: batch, name: reader.input.name)
    if let bad = data.firstNonFiniteRow() {
      throw Failure("\(reader.input.name): record id \(data.records.ids[bad]) holds NaN or infinite values")
    }
    try body(data)
  }
  while let batch = try reader.next() {
    if start > 0 {
      // Drop what was handed out, once per batch handed out, so copying stays linear.
      pending = pending.slice(start..<pending.count, schema: reader.schema)
      start = 0
    }
    pending.append(contentsOf: batch)
    while pending.count - start >= size { try hand(size) }
  }
  if pending.count > start { try hand(pending.count - start) }
}
