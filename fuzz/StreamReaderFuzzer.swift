// libFuzzer target for the stream reader (Sources/Shared/Stream). Build and run with
// fuzz/run.sh; it is compiled standalone, with only Sources/Shared/Core and
// Sources/Shared/Stream, not as part of the package.
//
// Any input may make the reader throw; that is fine. A trap, a crash, a hang, a huge
// allocation or a broken invariant (checked below, reported with `fatalError`) is a bug.

/// Collects written bytes in memory.
final class CollectingOutput: ByteOutput {
  let name = "<fuzz output>"
  var bytes: [UInt8] = []
  func write(_ chunk: UnsafeRawBufferPointer) throws { bytes.append(contentsOf: chunk) }
}

func check(_ condition: @autoclosure () -> Bool, _ message: @autoclosure () -> String) {
  if !condition() { fatalError("invariant broken: \(message())") }
}

/// Writes `schema` and `batches` with `StreamWriter`, one `write` per batch.
func encode(_ schema: StreamSchema, _ batches: [RecordBatch]) -> [UInt8] {
  let output = CollectingOutput()
  do {
    let writer = try StreamWriter(output, schema: schema)
    for batch in batches { try writer.write(batch) }
    try writer.finish()
  } catch {
    fatalError("invariant broken: cannot write back what was read: \(error)")
  }
  return output.bytes
}

/// Reads a stream to its end, checking the invariants of every batch.
/// Returns nil when the reader throws (a StreamError; anything else is a bug).
func readChecked(_ data: [UInt8]) -> (StreamSchema, [RecordBatch])? {
  let reader: StreamReader
  do {
    reader = try StreamReader(MemoryInput(data, name: "<fuzz>"))
  } catch {
    checkError(error, inputSize: data.count)
    return nil
  }
  let schema = reader.schema
  check(schema.problem() == nil, "reader accepted a bad schema: \(schema.problem()!)")
  check(reader.offset >= StreamFormat.frameHeaderSize && reader.offset <= data.count, "offset \(reader.offset) after header")
  check(reader.offset % StreamFormat.alignment == 0, "offset \(reader.offset) after header not aligned")
  var batches: [RecordBatch] = []
  var records = 0
  do {
    while let batch = try reader.next() {
      check(batch.count >= 1, "empty batch")
      if let problem = batch.mismatch(with: reader.schema) { check(false, "batch does not fit schema: \(problem)") }
      check(reader.schema == schema, "schema changed while reading")
      check(reader.offset <= data.count, "offset \(reader.offset) beyond input of \(data.count)")
      check(reader.offset % StreamFormat.alignment == 0, "offset \(reader.offset) not aligned")
      // A frame holds at least 8 bytes of id per record.
      records += batch.count
      check(records * 8 <= data.count, "\(records) records from \(data.count) bytes")
      batches.append(batch)
    }
  } catch {
    checkError(error, inputSize: data.count)
    return nil
  }
  check(reader.offset == data.count, "clean end at \(reader.offset) of \(data.count)")
  return (schema, batches)
}

func checkError(_ error: Error, inputSize: Int) {
  guard let streamError = error as? StreamError else {
    fatalError("invariant broken: reader threw something other than StreamError: \(error)")
  }
  check(streamError.offset >= 0 && streamError.offset <= inputSize, "error offset \(streamError.offset) of \(inputSize)")
  check(!streamError.problem.isEmpty, "error without a problem")
  check(streamError.exitCode == ExitStatus.dataError, "exit code \(streamError.exitCode)")
}

@_cdecl("LLVMFuzzerTestOneInput")
public func LLVMFuzzerTestOneInput(_ start: UnsafePointer<UInt8>?, _ count: Int) -> CInt {
  let data = count == 0 ? [] : Array(UnsafeBufferPointer(start: start, count: count))
  guard let (schema, batches) = readChecked(data) else { return 0 }

  // What was read can be written, and writing is idempotent: reading the written stream
  // gives the same schema and records, which write back to the same bytes. (Comparing
  // bytes, not batches, so that NaN payloads compare equal.)
  let written = encode(schema, batches)
  guard let (schemaAgain, batchesAgain) = readChecked(written) else {
    fatalError("invariant broken: the writer's output does not read back")
  }
  check(schemaAgain == schema, "schema does not survive a round trip: \(schema) vs \(schemaAgain)")
  let total = batches.reduce(0) { $0 + $1.count }
  check(batchesAgain.reduce(0) { $0 + $1.count } == total, "record count changes in a round trip")
  check(batchesAgain.allSatisfy { $0.count <= schema.recordsPerFrame }, "writer frame too large")
  check(encode(schemaAgain, batchesAgain) == written, "writing is not idempotent")
  return 0
}
