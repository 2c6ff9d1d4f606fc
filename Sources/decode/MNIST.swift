import ArgumentParser
import Shared

/// Options of the named-dataset subcommands.
struct DatasetOptions: ParsableArguments {
  @Option(help: ArgumentHelp("Read the dataset from DIR only (default: $UNSUP_DATA/NAME, ~/.cache/unsup/NAME, /usr/share/datasets/NAME, first found).", valueName: "dir"))
  var root: String?

  @OptionGroup var parts: TrainTestOptions
}

/// A dataset distributed as four IDX files, as MNIST and Fashion-MNIST are.
struct IDXDataset {
  var name: String
  var classes: [String]
  var howToGet: String

  static let mnist = IDXDataset(
    name: "mnist", classes: (0...9).map(String.init),
    howToGet: "Put the four MNIST IDX files (train-images-idx3-ubyte.gz, train-labels-idx1-ubyte.gz, "
      + "t10k-images-idx3-ubyte.gz, t10k-labels-idx1-ubyte.gz; gzipped or not) in ~/.cache/unsup/mnist, or pass --root DIR.")

  static let fashionMNIST = IDXDataset(
    name: "fashion-mnist",
    classes: ["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot"],
    howToGet: "Install Debian's package (apt-get install dataset-fashion-mnist), or put its four IDX files "
      + "(train-images-idx3-ubyte.gz, …) in ~/.cache/unsup/fashion-mnist, or pass --root DIR.")

  /// The train part then the test part; ids run on from train into test (0..<70000 for
  /// MNIST), whichever parts are selected, so a record's id never depends on --split.
  func source(_ options: DatasetOptions) throws -> RecordSource {
    func names(_ stem: String) -> [String] {
      [stem + ".gz", stem, stem.replacingOccurrences(of: "-idx", with: ".idx") + ".gz", stem.replacingOccurrences(of: "-idx", with: ".idx")]
    }
    let files = try DatasetLocator(name: name, root: options.root).locate(
      [
        names("train-images-idx3-ubyte"), names("train-labels-idx1-ubyte"),
        names("t10k-images-idx3-ubyte"), names("t10k-labels-idx1-ubyte"),
      ], howToGet: howToGet)
    var metadata = Metadata()
    metadata.dataset = name
    metadata.classes = classes
    let train = try IDXSource(images: files[0], labels: files[1], split: .train, metadata: metadata)
    var parts: [SequentialSource] = []
    if options.parts.split.choice.includes(.train) { parts.append(train) }
    if options.parts.split.choice.includes(.test) {
      parts.append(try IDXSource(images: files[2], labels: files[3], split: .test, firstId: train.recordCount, metadata: metadata))
    }
    return try ConcatenatedSource(parts)
  }
}

/// A subcommand that decodes one `IDXDataset`.
protocol IDXDatasetCommand: ParsableCommand {
  static var dataset: IDXDataset { get }
  var options: DatasetOptions { get }
}

extension IDXDatasetCommand {
  func run() throws {
    try emitRecords(from: Self.dataset.source(options), selection: options.parts.selection, common: options.parts.common)
  }
}

struct MNISTCommand: IDXDatasetCommand {
  static let configuration = CommandConfiguration(
    commandName: "mnist", abstract: "Decode MNIST (70,000 28×28 grey digits, 10 classes) from its IDX files.")
  static let dataset = IDXDataset.mnist

  @OptionGroup var options: DatasetOptions
}

struct FashionMNISTCommand: IDXDatasetCommand {
  static let configuration = CommandConfiguration(
    commandName: "fashion-mnist",
    abstract: "Decode Fashion-MNIST (70,000 28×28 grey clothing images, 10 classes) from its IDX files.")
  static let dataset = IDXDataset.fashionMNIST

  @OptionGroup var options: DatasetOptions
}

struct IDXCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "idx",
    abstract: "Decode any IDX image file (N×H×W, or N×D vectors; u8 or f32), with an optional IDX label file.")

  @Argument(help: "The IDX images (or vectors) file, gzipped or not.")
  var images: String

  @Argument(help: "The IDX labels file (N u8 values), gzipped or not.")
  var labels: String?

  @OptionGroup var source: FileSourceOptions

  func run() throws {
    var metadata = Metadata()
    metadata.dataset = datasetName(fromPath: images)
    let records = try IDXSource(images: images, labels: labels, split: source.split?.split, metadata: metadata)
    try emitRecords(from: records, selection: source.selection, common: source.common)
  }
}
