import Dispatch

/// Calls `body(worker, chunk)` for every chunk of `chunkSize` items of `0..<count`, the
/// chunks shared out among at most `workers` threads: worker w takes chunks w, w + workers, …
/// The assignment depends only on the arguments, so results written per item are the
/// same for every thread count. `body` may write only to its own items and to state of
/// its own worker.
public func forEachChunk(
  count: Int, chunkSize: Int, workers: Int, _ body: (_ worker: Int, _ chunk: Range<Int>) -> Void
) {
  precondition(chunkSize > 0, "chunk size must be positive")
  let chunkCount = (count + chunkSize - 1) / chunkSize
  let workers = max(1, min(workers, chunkCount))
  // The workers touch only their own state and items, so sharing the closure across
  // threads is safe though the compiler cannot see it.
  withoutActuallyEscaping(body) { body in
    let work = { (worker: Int) in
      for chunk in stride(from: worker, to: chunkCount, by: workers) {
        body(worker, chunk * chunkSize..<min((chunk + 1) * chunkSize, count))
      }
    }
    if workers == 1 {
      work(0)
      return
    }
    let shared = UncheckedSendable(work)
    DispatchQueue.concurrentPerform(iterations: workers) { shared.value($0) }
  }
}

/// A value handed to other threads under a guarantee the compiler cannot check.
public struct UncheckedSendable<Value>: @unchecked Sendable {
  public let value: Value
  public init(_ value: Value) { self.value = value }
}
