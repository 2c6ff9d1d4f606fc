import Shared

/// Writes the records `selection` picks from `source` as a stream: the core of every
/// `decode` subcommand.
///
/// Without --shuffle a sequential source is read once, front to back, in bounded memory.
/// With --shuffle it is first held in memory; indexed sources are read by index either
/// way, so records outside the shard are never decoded.
func emitRecords(from source: RecordSource, selection: SelectionOptions, common: CommonOptions) throws {
  var schema = source.schema
  schema.metadata.history.append(Decode.invocation)
  let output = try common.openOutput()
  let writer = try StreamWriter(output, schema: schema)
  try writer.writeHeader()
  var payload = [UInt8](repeating: 0, count: schema.bytesPerRecord)
  let limit = selection.limit ?? .max
  let shard = selection.shard

  // Sequential sources are read in one pass, unless shuffling needs them held in memory.
  var indexed = source as? IndexedSource
  if indexed == nil, selection.shuffle, let sequential = source as? SequentialSource {
    indexed = try MemorySource(reading: sequential)
  }
  let total = indexed.map { min(limit, ($0.count - shard.index + shard.count - 1) / shard.count) }
  let progress = ProgressLine(tool: "decode", total: total, quiet: common.quiet)
  var emitted = 0

  func emit(_ record: SourceRecord) throws {
    try payload.withUnsafeBytes {
      try writer.append(id: record.id, label: record.label, split: record.split, payload: $0)
    }
    emitted += 1
    if emitted & 1023 == 0 { progress.update(emitted) }
  }

  if let indexed {
    var order = Array(0..<indexed.count)
    if selection.shuffle {
      var random = SplitMix64(seed: common.seed)
      random.shuffle(&order)
    }
    for position in stride(from: shard.index, to: order.count, by: shard.count) where emitted < limit {
      let record = try payload.withUnsafeMutableBytes { try indexed.read(order[position], into: $0) }
      try emit(record)
    }
  } else if let sequential = source as? SequentialSource {
    var position = 0
    while emitted < limit,
      let record = try payload.withUnsafeMutableBytes({ try sequential.next(into: $0) })
    {
      if position % shard.count == shard.index { try emit(record) }
      position += 1
    }
  }
  try writer.finish()
  try output.commit()
  progress.finish("\(emitted) records of \(schema.summary)")
}
