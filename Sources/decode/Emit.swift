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
  var emitted = 0

  func emit(_ record: SourceRecord) throws {
    try payload.withUnsafeBytes {
      try writer.append(id: record.id, label: record.label, split: record.split, payload: $0)
    }
    emitted += 1
    if emitted & 1023 == 0 { progress.update(emitted) }
  }

  var progress = Progress(tool: "decode", quiet: common.quiet)
  if let sequential = source as? SequentialSource, !selection.shuffle {
    var position = 0
    while emitted < limit,
      let record = try payload.withUnsafeMutableBytes({ try sequential.next(into: $0) })
    {
      if position % shard.count == shard.index { try emit(record) }
      position += 1
    }
  } else {
    let indexed: IndexedSource
    if let source = source as? IndexedSource {
      indexed = source
    } else if let source = source as? SequentialSource {
      indexed = try MemorySource(reading: source)
    } else {
      preconditionFailure("a record source is sequential or indexed")
    }
    let selected = (indexed.count - shard.index + shard.count - 1) / shard.count
    progress = Progress(tool: "decode", total: min(limit, max(0, selected)), quiet: common.quiet)
    var order = Array(0..<indexed.count)
    if selection.shuffle {
      var random = SplitMix64(seed: common.seed)
      random.shuffle(&order)
    }
    for position in stride(from: shard.index, to: order.count, by: shard.count) where emitted < limit {
      let record = try payload.withUnsafeMutableBytes { try indexed.read(order[position], into: $0) }
      try emit(record)
    }
  }
  try writer.finish()
  try output.commit()
  progress.finish("\(emitted) records of \(schema.summary)")
}
