import Foundation
import Testing

@testable import Shared
@testable import decode

/// --shard parsing, SplitMix64 shuffling, and emitRecords' selection (run in-process,
/// writing to a scratch file with -o and reading the stream back).
@Suite struct SelectionTests {
  /// Records 0..<count: id 1000 + i, label i % 7, a 2-byte payload [i, 255 − i].
  final class CountingSource: IndexedSource {
    let schema = StreamSchema(elementType: .u8, layout: .vector, dims: [2], fields: .split)
    let count: Int
    private(set) var reads: [Int] = []

    init(count: Int) { self.count = count }

    func read(_ index: Int, into payload: UnsafeMutableRawBufferPointer) throws -> SourceRecord {
      reads.append(index)
      payload[0] = UInt8(index)
      payload[1] = UInt8(255 - index)
      return SourceRecord(id: Int64(1000 + index), label: Int32(index % 7), split: index % 2 == 0 ? .train : .test)
    }
  }

  /// The same records, front to back only.
  final class SequentialCountingSource: SequentialSource {
    let schema = StreamSchema(elementType: .u8, layout: .vector, dims: [2], fields: .split)
    private let inner: CountingSource
    private var position = 0

    init(count: Int) { inner = CountingSource(count: count) }

    func next(into payload: UnsafeMutableRawBufferPointer) throws -> SourceRecord? {
      guard position < inner.count else { return nil }
      defer { position += 1 }
      return try inner.read(position, into: payload)
    }
  }

  @Test func shardArguments() {
    #expect(Shard(argument: "0/1") == Shard(index: 0, count: 1))
    #expect(Shard(argument: "3/4") == Shard(index: 3, count: 4))
    #expect(Shard(argument: "0/100") == Shard(index: 0, count: 100))
    for bad in ["4/4", "5/4", "-1/4", "1/0", "0/0", "1", "1/2/3", "/2", "1/", "a/b", " 1/2", "1/-2", ""] {
      #expect(Shard(argument: bad) == nil, "\(bad)")
    }
  }

  /// SplitMix64 with seed 0 gives the reference sequence of Vigna's splitmix64.c:
  /// e220a8397b1dcdaf, 6e789e6aa1b965f4, 06c45d188009454f, f88bb8a8724c81ec.
  @Test func splitMixReferenceValues() {
    var random = SplitMix64(seed: 0)
    #expect((0..<4).map { _ in random.next() } == [0xE220_A839_7B1D_CDAF, 0x6E78_9E6A_A1B9_65F4, 0x06C4_5D18_8009_454F, 0xF88B_B8A8_724C_81EC])
    var bounded = SplitMix64(seed: 9)
    for bound in [1, 2, 3, 10, 1000, Int(Int32.max)] {
      for _ in 0..<200 { #expect((0..<bound).contains(bounded.next(below: bound))) }
    }
  }

  /// Known shuffles, worked out with a separate Python implementation of the same
  /// algorithm (Fisher–Yates from the end, j = Lemire's unbiased next(below: i + 1)).
  @Test func shuffleKnownAnswersAndReproducibility() {
    var order = Array(0..<10)
    var random = SplitMix64(seed: 42)
    random.shuffle(&order)
    #expect(order == [8, 3, 6, 5, 4, 0, 9, 2, 1, 7])
    var other = Array(0..<13)
    var random7 = SplitMix64(seed: 7)
    random7.shuffle(&other)
    #expect(other == [2, 6, 8, 10, 11, 7, 3, 1, 4, 12, 9, 0, 5])

    func shuffled(_ n: Int, seed: UInt64) -> [Int] {
      var values = Array(0..<n)
      var generator = SplitMix64(seed: seed)
      generator.shuffle(&values)
      return values
    }
    #expect(shuffled(1000, seed: 5) == shuffled(1000, seed: 5))
    #expect(shuffled(1000, seed: 5) != shuffled(1000, seed: 6))
    #expect(shuffled(1000, seed: 5).sorted() == Array(0..<1000))
    #expect(shuffled(0, seed: 1) == [] && shuffled(1, seed: 1) == [0])
  }

  @Test func emitWritesEveryRecordInOrder() throws {
    let folder = try TemporaryFolder()
    let stream = try emit(CountingSource(count: 5), in: folder)
    #expect(stream.records.ids == [1000, 1001, 1002, 1003, 1004])
    #expect(stream.records.labels == [0, 1, 2, 3, 4])
    #expect(stream.splits == [.train, .test, .train, .test, .train])
    #expect(stream.records.payload == [0, 255, 1, 254, 2, 253, 3, 252, 4, 251])
    #expect(stream.schema.metadata.history.count == 1)
  }

  @Test func shuffleFollowsTheSeed() throws {
    let folder = try TemporaryFolder()
    let stream = try emit(CountingSource(count: 10), selection: ["--shuffle"], common: ["--seed", "42"], in: folder)
    #expect(stream.records.ids == [8, 3, 6, 5, 4, 0, 9, 2, 1, 7].map { Int64(1000 + $0) })
    #expect(stream.records.payload[0..<2] == [8, 247])
    let again = try emit(CountingSource(count: 10), selection: ["--shuffle"], common: ["--seed", "42"], in: folder)
    #expect(again.records == stream.records)
    let sequential = try emit(SequentialCountingSource(count: 10), selection: ["--shuffle"], common: ["--seed", "42"], in: folder)
    #expect(sequential.records == stream.records)
  }

  /// Shards 0…N−1 over the same seed hold every record exactly once, and shard I holds
  /// positions I, I+N, … of the one shuffled order; for indexed sources only those
  /// records are read.
  @Test(arguments: [(100, 3, UInt64(7)), (10, 4, 42), (5, 8, 1), (64, 1, 9)])
  func shardsPartitionTheRecords(count: Int, shards: Int, seed: UInt64) throws {
    let folder = try TemporaryFolder()
    var order = Array(0..<count)
    var random = SplitMix64(seed: seed)
    random.shuffle(&order)
    for shuffle in [true, false] {
      var seen: [Int64] = []
      for index in 0..<shards {
        let selection = (shuffle ? ["--shuffle"] : []) + ["--shard", "\(index)/\(shards)"]
        let source = CountingSource(count: count)
        let stream = try emit(source, selection: selection, common: ["--seed", "\(seed)"], in: folder)
        let positions = Array(stride(from: index, to: count, by: shards))
        let expected = positions.map { shuffle ? order[$0] : $0 }
        #expect(stream.records.ids == expected.map { Int64(1000 + $0) }, "shard \(index)/\(shards) shuffle \(shuffle)")
        #expect(source.reads == expected, "records outside the shard were read")
        // The sequential path (and, with --shuffle, the in-memory one) agrees.
        let sequential = try emit(SequentialCountingSource(count: count), selection: selection, common: ["--seed", "\(seed)"], in: folder)
        #expect(sequential.records == stream.records, "sequential shard \(index)/\(shards) shuffle \(shuffle)")
        seen += stream.records.ids
      }
      #expect(seen.sorted() == (0..<count).map { Int64(1000 + $0) })
    }
  }

  @Test func limitCountsAfterShardingAndShuffling() throws {
    let folder = try TemporaryFolder()
    let stream = try emit(CountingSource(count: 20), selection: ["--shard", "1/3", "--limit", "4"], in: folder)
    #expect(stream.records.ids == [1001, 1004, 1007, 1010])
    let sequential = try emit(SequentialCountingSource(count: 20), selection: ["--shard", "1/3", "--limit", "4"], in: folder)
    #expect(sequential.records.ids == [1001, 1004, 1007, 1010])
    var order = Array(0..<20)
    var random = SplitMix64(seed: 3)
    random.shuffle(&order)
    let shuffled = try emit(CountingSource(count: 20), selection: ["--shuffle", "--limit", "5"], common: ["--seed", "3"], in: folder)
    #expect(shuffled.records.ids == order.prefix(5).map { Int64(1000 + $0) })
    let none = try emit(CountingSource(count: 20), selection: ["--limit", "0"], in: folder)
    #expect(none.records.count == 0)
    #expect(throws: (any Error).self) { try SelectionOptions.parse(["--limit", "-1"]) }
    #expect(throws: (any Error).self) { try SelectionOptions.parse(["--shard", "3/3"]) }
  }
}
