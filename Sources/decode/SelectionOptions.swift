import ArgumentParser
import Shared

/// `--shard I/N`: the records at positions I, I+N, I+2N, … (0-based).
struct Shard: ExpressibleByArgument, Equatable {
  var index: Int
  var count: Int

  init(index: Int, count: Int) {
    self.index = index
    self.count = count
  }

  init?(argument: String) {
    let parts = argument.split(separator: "/", omittingEmptySubsequences: false)
    guard parts.count == 2, let index = Int(parts[0]), let count = Int(parts[1]), count >= 1, (0..<count).contains(index)
    else { return nil }
    self.init(index: index, count: count)
  }

  var defaultValueDescription: String { "\(index)/\(count)" }
}

/// Which records of a source to emit, and in what order.
struct SelectionOptions: ParsableArguments {
  @Option(help: "Emit at most N records (after shuffling and sharding).")
  var limit: Int?

  @Flag(help: "Shuffle the records, reproducibly with --seed. IDX and CSV sources are then held in memory (u8 stays u8); CIFAR, STL-10 and image folders are read by index.")
  var shuffle = false

  @Option(help: ArgumentHelp("Emit shard I of N: records I, I+N, I+2N… (0-based, after --shuffle; give every worker the same --seed).", valueName: "I/N"))
  var shard = Shard(index: 0, count: 1)

  func validate() throws {
    if let limit, limit < 0 { throw ValidationError("--limit must be 0 or more, not \(limit)") }
  }
}

/// `--split` for the named datasets.
enum SplitChoice: String, ExpressibleByArgument, CaseIterable {
  case train, test, unlabeled, all

  /// Whether a part of the dataset with split `split` is wanted.
  func includes(_ split: Split) -> Bool {
    switch self {
    case .all: return true
    case .train: return split == .train
    case .test: return split == .test
    case .unlabeled: return split == .unlabeled
    }
  }
}

/// `--split` for sources without splits of their own: which split to record.
enum SplitMark: String, ExpressibleByArgument, CaseIterable {
  case train, test, unlabeled

  var split: Split {
    switch self {
    case .train: return .train
    case .test: return .test
    case .unlabeled: return .unlabeled
    }
  }
}

/// `--split` for datasets made of a train and a test part: SplitChoice without unlabeled.
enum TrainTestChoice: String, ExpressibleByArgument, CaseIterable {
  case train, test, all

  var choice: SplitChoice {
    switch self {
    case .train: return .train
    case .test: return .test
    case .all: return .all
    }
  }
}

/// Options of the datasets made of a train and a test part (MNIST-like, CIFAR).
struct TrainTestOptions: ParsableArguments {
  @Option(help: "Which part to decode: train, test or all (train then test). Each record carries its split.")
  var split: TrainTestChoice = .all

  @OptionGroup var selection: SelectionOptions
  @OptionGroup var common: CommonOptions
}

/// Options of the sources without splits of their own (idx, csv, images).
struct FileSourceOptions: ParsableArguments {
  @Option(help: "Record this split in every record (train, test or unlabeled).")
  var split: SplitMark?

  @OptionGroup var selection: SelectionOptions
  @OptionGroup var common: CommonOptions
}
