import Dispatch
import Shared

/// Writes batches on a thread of its own, so that the workers make the next batch while the
/// last one goes out: two batches take turns, one being filled, the other being written.
///
/// Unchecked Sendable: the writer and `failure` are touched only on `queue` (and by
/// `finish`, after waiting for it), and each slot's batch by one thread at a time, handed
/// over by the slot's semaphore.
final class BackgroundWriter: @unchecked Sendable {
  /// A batch and whether the writer is done with it.
  final class Slot: @unchecked Sendable {
    var batch: RecordBatch
    fileprivate let free = DispatchSemaphore(value: 1)

    init(schema: StreamSchema) {
      batch = RecordBatch(schema: schema)
    }
  }

  private let writer: StreamWriter
  private let queue = DispatchQueue(label: "augment.writer")
  private let slots: [Slot]
  private var next = 0
  /// The first write error; set on `queue`, read through it.
  private var failure: Error?

  init(_ writer: StreamWriter) {
    self.writer = writer
    slots = [Slot(schema: writer.schema), Slot(schema: writer.schema)]
  }

  /// The batch to fill next, once the writer is done with it.
  func nextSlot() -> Slot {
    let slot = slots[next]
    slot.free.wait()
    return slot
  }

  /// Queues the slot's batch for writing; throws the error of an earlier write (a reader
  /// that went away ends the run here).
  func submit(_ slot: Slot) throws {
    if let failure = queue.sync(execute: { failure }) {
      slot.free.signal()
      throw failure
    }
    next = 1 - next
    queue.async {
      if self.failure == nil {
        do { try self.writer.write(slot.batch) } catch { self.failure = error }
      }
      slot.free.signal()
    }
  }

  /// Waits for every queued batch, then finishes the stream.
  func finish() throws {
    if let failure = queue.sync(execute: { failure }) { throw failure }
    try writer.finish()
  }
}
