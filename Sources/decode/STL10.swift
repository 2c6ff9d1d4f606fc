import ArgumentParser
import Shared

/// One STL-10 image file (`*_X.bin`: 3×96×96 u8 images, each channel stored column by
/// column) with its label file (`*_y.bin`: one byte per image, classes numbered from 1).
final class STL10File: IndexedSource {
  static let side = 96

  let schema: StreamSchema
  private let file: RawRecordFile
  private let labels: [UInt8]?
  private let split: Split
  private let firstId: Int

  init(images: String, labels labelsPath: String?, split: Split, firstId: Int, metadata: Metadata) throws {
    file = try RawRecordFile(path: images, recordSize: 3 * Self.side * Self.side)
    schema = .image(.u8, channels: 3, height: Self.side, width: Self.side, fields: .split, metadata: metadata)
    if let labelsPath {
      let labels = try FileInput(path: labelsPath).readToEnd()
      guard labels.count == file.count else {
        throw Failure("\(labelsPath) holds \(labels.count) labels but \(images) holds \(file.count) images")
      }
      if let bad = labels.firstIndex(where: { !(1...10).contains($0) }) {
        throw Failure("\(labelsPath): label \(labels[bad]) of image \(bad) is outside 1...10")
      }
      self.labels = labels
    } else {
      labels = nil
    }
    self.split = split
    self.firstId = firstId
  }

  var count: Int { file.count }

  func read(_ index: Int, into payload: UnsafeMutableRawBufferPointer) throws -> SourceRecord {
    let side = Self.side
    try file.withRecord(index) { record in
      // Transpose each channel from column-major (as stored) to row-major.
      for c in 0..<3 {
        let plane = c * side * side
        for x in 0..<side {
          for y in 0..<side { payload[plane + y * side + x] = record[plane + x * side + y] }
        }
      }
    }
    let label = labels.map { Int32($0[index]) - 1 } ?? -1
    return SourceRecord(id: Int64(firstId + index), label: label, split: split)
  }
}

struct STL10Command: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "stl10",
    abstract: "Decode STL-10 (96×96 RGB: 5,000 train and 8,000 test images in 10 classes, 100,000 unlabeled).")

  @Argument(help: ArgumentHelp("Folder of the binary version's .bin files (or its parent). Default: the dataset folders searched by `decode mnist`.", valueName: "dir"))
  var directory: String?

  @Option(help: "Which part to decode: train, test, unlabeled or all (in that order).")
  var split: SplitChoice = .all

  @OptionGroup var selection: SelectionOptions
  @OptionGroup var common: CommonOptions

  func run() throws {
    let parts: [(split: Split, images: String, labels: String?)] = [
      (.train, "train_X.bin", "train_y.bin"), (.test, "test_X.bin", "test_y.bin"), (.unlabeled, "unlabeled_X.bin", nil),
    ]
    let locator = DatasetLocator(name: "stl10", root: directory)
    let howToGet = "Unpack STL-10's binary version (stl10_binary.tar.gz) there."
    func locate(_ file: String) throws -> String {
      try locator.locate([[file, "stl10_binary/" + file]], howToGet: howToGet)[0]
    }
    var metadata = Metadata()
    metadata.dataset = "stl10"
    metadata.range = 0...255
    metadata.classes = (try? locate("class_names.txt")).flatMap(readClassNames)
      ?? ["airplane", "bird", "car", "cat", "deer", "dog", "horse", "monkey", "ship", "truck"]
    let sources = parts.map { part in
      (part.split, { firstId in
        try STL10File(
          images: locate(part.images), labels: part.labels.map(locate), split: part.split, firstId: firstId,
          metadata: metadata) as IndexedSource
      })
    }
    try emitRecords(from: selectParts(sources, split), selection: selection, common: common)
  }
}
