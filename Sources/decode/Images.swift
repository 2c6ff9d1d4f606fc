import ArgumentParser
import Foundation
import Shared

/// Image files decoded one by one, in a fixed order: class folders sorted by name, files
/// sorted by name within each.
final class ImageFilesSource: IndexedSource {
  let schema: StreamSchema
  private let files: [(path: String, label: Int32)]
  private let split: Split?
  private let fit: FitMode
  /// True when --size was given: images of other sizes are then resized, not refused.
  private let resizes: Bool

  init(files: [(path: String, label: Int32)], classes: [String]?, size: (height: Int, width: Int)?, channels: Int?, fit: FitMode, split: Split?) throws {
    guard let first = files.first else {
      throw Failure("no PNG or JPEG files found (by their .png, .jpg or .jpeg names)", exitCode: ExitStatus.noInput)
    }
    self.files = files
    self.split = split
    self.fit = fit
    resizes = size != nil
    var shape = (channels: channels ?? 0, height: size?.height ?? 0, width: size?.width ?? 0)
    if channels == nil || size == nil {
      // The first image fixes what was not asked for.
      let image = try ImageFilesSource.decodeFile(first.path, channels: channels)
      shape = (channels ?? image.channels, size?.height ?? image.height, size?.width ?? image.width)
    }
    var metadata = Metadata()
    metadata.range = 0...255
    metadata.classes = classes
    schema = .image(.u8, channels: shape.channels, height: shape.height, width: shape.width, fields: split == nil ? [] : .split, metadata: metadata)
    if let problem = schema.problem() { throw Failure("\(first.path): \(problem)") }
  }

  var count: Int { files.count }

  func read(_ index: Int, into payload: UnsafeMutableRawBufferPointer) throws -> SourceRecord {
    let (path, label) = files[index]
    let channels = schema.dims[0]
    let (height, width) = (schema.dims[1], schema.dims[2])
    var image = try ImageFilesSource.decodeFile(path, channels: channels)
    if image.height != height || image.width != width {
      guard resizes else {
        throw Failure("\(path) is \(image.height)×\(image.width) but the first image is \(height)×\(width); give --size HxW to resize all")
      }
      image = image.fitted(height: height, width: width, fit: fit)
    }
    image.pixels.withUnsafeBytes { payload.copyMemory(from: $0) }
    return SourceRecord(id: Int64(index), label: label, split: split)
  }

  /// Decodes a PNG or JPEG file (recognised by its first bytes) to `channels` channels
  /// (its own count when nil).
  static func decodeFile(_ path: String, channels: Int?) throws -> Image {
    let bytes = try FileInput(path: path).readToEnd()
    do {
      let image: Image
      if bytes.starts(with: [0x89, 0x50, 0x4E, 0x47]) {
        image = try PNG.decode(bytes)
      } else if bytes.starts(with: [0xFF, 0xD8, 0xFF]) {
        image = try JPEG.decode(bytes)
      } else {
        throw Failure("not a PNG or JPEG file")
      }
      return channels.map { image.converted(toChannels: $0) } ?? image
    } catch let failure as Failure {
      throw Failure("\(path): \(failure.description)", exitCode: failure.exitCode)
    }
  }
}

/// `--size HxW` or `--size S` (square).
struct SizeArgument: ExpressibleByArgument {
  var height: Int
  var width: Int

  init?(argument: String) {
    guard let dims = parseDimensions(argument, allowed: 1...2) else { return nil }
    (height, width) = (dims[0], dims.last!)
  }
}

extension FitMode: ExpressibleByArgument {}

struct ImagesCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "images",
    abstract: "Decode PNG and JPEG files: a folder of class folders, a flat folder, or a list of files.",
    discussion: """
      One folder whose subfolders hold the images makes a labelled dataset: the class of \
      an image is its folder's name, and labels number the folders in sorted order. Files \
      in a flat folder or listed by name have label -1. Without --size every image must \
      have the size of the first; without --channels the first image's colour count \
      (grey 1, colour 3) is used for all. Alpha and PNG transparency are dropped, pixel \
      values are kept as stored (no gamma correction). Ids number the files in order.
      """)

  @Argument(help: ArgumentHelp("A folder of class folders, folders of images, or image files.", valueName: "dir|file"))
  var inputs: [String]

  @Option(help: ArgumentHelp("Resize every image to HxW (or SxS for one number), bilinear with antialiasing.", valueName: "HxW"))
  var size: SizeArgument?

  @Option(help: "How --size treats another aspect ratio: crop (cover, cut the centre), pad (fit, black borders) or stretch.")
  var fit: FitMode = .crop

  @Option(help: "Channels: 1 (grey, ITU-R 601 luma from colour) or 3 (RGB, grey repeated).")
  var channels: Int?

  @OptionGroup var source: FileSourceOptions

  func validate() throws {
    if let channels, channels != 1 && channels != 3 { throw ValidationError("--channels must be 1 or 3, not \(channels)") }
    if let size, (channels ?? 3) * size.height * size.width > StreamFormat.maxRecordBytes {
      throw ValidationError("--size \(size.height)x\(size.width) makes records above the format's \(StreamFormat.maxRecordBytes >> 20) MiB")
    }
    if inputs.isEmpty { throw ValidationError("give a folder or image files") }
  }

  func run() throws {
    let (files, classes) = try listImageFiles(inputs)
    let records = try ImageFilesSource(
      files: files, classes: classes, size: size.map { ($0.height, $0.width) }, channels: channels, fit: fit,
      split: source.split?.split)
    try emitRecords(from: records, selection: source.selection, common: source.common)
  }
}

private let imageExtensions: Set<String> = ["png", "jpg", "jpeg", "jpe"]

/// The image files to decode, with labels, and the class names when `inputs` is one
/// folder of class folders.
func listImageFiles(_ inputs: [String]) throws -> ([(path: String, label: Int32)], [String]?) {
  let manager = FileManager.default
  func isDirectory(_ path: String) -> Bool {
    var directory: ObjCBool = false
    return manager.fileExists(atPath: path, isDirectory: &directory) && directory.boolValue
  }
  func images(in folder: String) throws -> [String] {
    let names: [String]
    do {
      names = try manager.contentsOfDirectory(atPath: folder)
    } catch {
      throw Failure("\(folder): cannot list the folder", exitCode: ExitStatus.noInput)
    }
    return names.filter { !$0.hasPrefix(".") && imageExtensions.contains(($0 as NSString).pathExtension.lowercased()) }
      .sorted().map { folder + "/" + $0 }
  }

  if inputs.count == 1, isDirectory(inputs[0]) {
    let folder = inputs[0].hasSuffix("/") && inputs[0].count > 1 ? String(inputs[0].dropLast()) : inputs[0]
    let subfolders = ((try? manager.contentsOfDirectory(atPath: folder)) ?? [])
      .filter { !$0.hasPrefix(".") && isDirectory(folder + "/" + $0) }.sorted()
    if !subfolders.isEmpty {
      let loose = try images(in: folder)
      guard loose.isEmpty else {
        throw Failure(
          "\(folder) holds both class folders and images (\(loose[0].split(separator: "/").last!)); move the images into a class folder, or list them",
          exitCode: ExitStatus.usage)
      }
      var files: [(String, Int32)] = []
      for (label, name) in subfolders.enumerated() {
        files += try images(in: folder + "/" + name).map { ($0, Int32(label)) }
      }
      return (files, subfolders)
    }
  }
  var files: [(String, Int32)] = []
  for input in inputs {
    if isDirectory(input) {
      files += try images(in: input).map { ($0, -1) }
    } else if manager.fileExists(atPath: input) {
      files.append((input, -1))
    } else {
      throw Failure("\(input): no such file or folder", exitCode: ExitStatus.noInput)
    }
  }
  return (files, nil)
}
