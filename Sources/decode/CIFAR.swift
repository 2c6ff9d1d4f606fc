import ArgumentParser
import Shared

/// One CIFAR binary batch file: records of label byte(s) then 3×32×32 pixels, channel-planar.
final class CIFARFile: IndexedSource {
  static let pixelBytes = 3 * 32 * 32

  let schema: StreamSchema
  private let file: RawRecordFile
  private let labelBytes: Int
  private let labelOffset: Int
  private let split: Split
  private let firstId: Int
  private let classCount: Int

  /// - Parameters:
  ///   - labelBytes: 1 for CIFAR-10; 2 for CIFAR-100 (coarse, then fine).
  ///   - labelOffset: which of the label bytes is the label.
  init(path: String, labelBytes: Int, labelOffset: Int, classCount: Int, split: Split, firstId: Int, metadata: Metadata) throws {
    file = try RawRecordFile(path: path, recordSize: labelBytes + Self.pixelBytes)
    schema = .image(.u8, channels: 3, height: 32, width: 32, fields: .split, metadata: metadata)
    self.labelBytes = labelBytes
    self.labelOffset = labelOffset
    self.classCount = classCount
    self.split = split
    self.firstId = firstId
  }

  var count: Int { file.count }

  func read(_ index: Int, into payload: UnsafeMutableRawBufferPointer) throws -> SourceRecord {
    let label = try file.withRecord(index) { record in
      payload.copyMemory(from: UnsafeRawBufferPointer(rebasing: record[labelBytes...]))
      return Int(record[labelOffset])
    }
    guard label < classCount else {
      throw Failure("\(file.file.name): record \(index) has label \(label), but there are \(classCount) classes")
    }
    return SourceRecord(id: Int64(firstId + index), label: Int32(label), split: split)
  }
}

/// Options shared by the CIFAR subcommands.
struct CIFAROptions: ParsableArguments {
  @Argument(help: ArgumentHelp("Folder of the binary version's .bin files (or its parent). Default: the dataset folders searched by `decode mnist`.", valueName: "dir"))
  var directory: String?

  @OptionGroup var parts: TrainTestOptions

  /// Locates `files` under the directory (or its `subfolder`), or the default folders.
  func locate(name: String, subfolder: String, files: [String], howToGet: String) throws -> [String] {
    let required = files.map { [$0, subfolder + "/" + $0] }
    return try DatasetLocator(name: name, root: directory).locate(required, howToGet: howToGet)
  }
}

struct CIFAR10Command: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "cifar10", abstract: "Decode CIFAR-10 (60,000 32×32 RGB images, 10 classes) from its binary version.")

  @OptionGroup var options: CIFAROptions

  func run() throws {
    let batches = (1...5).map { "data_batch_\($0).bin" } + ["test_batch.bin"]
    let paths = try options.locate(
      name: "cifar10", subfolder: "cifar-10-batches-bin", files: batches,
      howToGet: "Unpack CIFAR-10's binary version (cifar-10-binary.tar.gz) there.")
    var metadata = Metadata()
    metadata.dataset = "cifar10"
    metadata.range = 0...255
    let folder = String(paths[0].dropLast(batches[0].count))
    metadata.classes = readClassNames(folder + "batches.meta.txt")
      ?? ["airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck"]
    let parts = paths.enumerated().map { index, path in
      let split: Split = index < 5 ? .train : .test
      return (split, { firstId in
        try CIFARFile(path: path, labelBytes: 1, labelOffset: 0, classCount: 10, split: split, firstId: firstId, metadata: metadata) as IndexedSource
      })
    }
    try emitRecords(from: selectParts(parts, options.parts.split.choice), selection: options.parts.selection, common: options.parts.common)
  }
}

struct CIFAR100Command: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "cifar100", abstract: "Decode CIFAR-100 (60,000 32×32 RGB images, 100 classes) from its binary version.")

  @OptionGroup var options: CIFAROptions

  @Flag(help: "Label records with the 20 coarse superclasses instead of the 100 fine classes.")
  var coarse = false

  func run() throws {
    let paths = try options.locate(
      name: "cifar100", subfolder: "cifar-100-binary", files: ["train.bin", "test.bin"],
      howToGet: "Unpack CIFAR-100's binary version (cifar-100-binary.tar.gz) there.")
    var metadata = Metadata()
    metadata.dataset = "cifar100"
    metadata.range = 0...255
    let folder = String(paths[0].dropLast("train.bin".count))
    metadata.classes = readClassNames(folder + (coarse ? "coarse_label_names.txt" : "fine_label_names.txt"))
    let classCount = coarse ? 20 : 100
    let parts = zip(paths, [Split.train, .test]).map { path, split in
      (split, { firstId in
        try CIFARFile(
          path: path, labelBytes: 2, labelOffset: coarse ? 0 : 1, classCount: classCount, split: split,
          firstId: firstId, metadata: metadata) as IndexedSource
      })
    }
    try emitRecords(from: selectParts(parts, options.parts.split.choice), selection: options.parts.selection, common: options.parts.common)
  }
}
