import ArgumentParser
import Foundation
import Network
import Shared

/// `embed filters`: a model's filters as a PNG sheet.
struct Filters: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "filters",
    abstract: "Draw a model's filters as a PNG sheet: a CALM model's, or a network's first convolution.",
    discussion: """
      Each filter is a tile, scaled on its own from its smallest value (black) to its \
      largest (white), enlarged by --zoom, in rows of --columns, on a grey ground:

        embed filters -m calm.bin -o filters.png
      """)

  @Option(name: [.short, .customLong("model")], help: ArgumentHelp("A CALM model or a network from embed train.", valueName: "file"))
  var model: String

  @Option(name: .shortAndLong, help: ArgumentHelp("The PNG to write (atomically).", valueName: "file"))
  var output: String

  @Option(help: "Tiles per row (default: about the square root of the filter count).")
  var columns: Int?

  @Option(help: "Pixels per filter value (default: enough for tiles of about 40 pixels).")
  var zoom: Int?

  func validate() throws {
    if let columns, !(1...4096).contains(columns) { throw ValidationError("--columns must be 1...4096, not \(columns)") }
    if let zoom, !(1...64).contains(zoom) { throw ValidationError("--zoom must be 1...64, not \(zoom)") }
  }

  func run() throws {
    let file = try SafeTensors(bytes: FileInput(path: model).readToEnd(), name: model)
    let (shape, values) = try Self.filters(in: file, path: model)
    guard values.allSatisfy(\.isFinite) else { throw Failure("\(model): the filters hold values that are not finite") }
    let (count, channels, height, width) = (shape[0], shape[1], shape[2], shape[3])
    guard channels == 1 || channels == 3 else {
      throw Failure("\(model): filters of \(channels) channels cannot be drawn (1 or 3 only)", exitCode: ExitStatus.usage)
    }
    let zoom = self.zoom ?? max(1, 40 / max(height, width))
    let columns = min(self.columns ?? Int(Double(count).squareRoot().rounded(.up)), count)
    let rows = (count + columns - 1) / columns
    let gap = 2
    let (tileHeight, tileWidth) = (height * zoom, width * zoom)
    let (sheetHeight, sheetWidth) = (gap + rows * (tileHeight + gap), gap + columns * (tileWidth + gap))
    guard sheetHeight * sheetWidth <= 1 << 28 else {
      throw Failure("\(model): a sheet of \(sheetWidth)×\(sheetHeight) pixels is too large (lower --zoom)", exitCode: ExitStatus.usage)
    }
    var image = Image(channels: channels, height: sheetHeight, width: sheetWidth)
    for i in image.pixels.indices { image.pixels[i] = 128 }
    let size = channels * height * width
    for f in 0..<count {
      let filter = values[f * size..<(f + 1) * size]
      // In Double: the range of extreme (finite) floats may not be one.
      let (low, high) = (Double(filter.min()!), Double(filter.max()!))
      let scale = high > low ? 255 / (high - low) : 0
      let (top, left) = (gap + (f / columns) * (tileHeight + gap), gap + (f % columns) * (tileWidth + gap))
      for c in 0..<channels {
        for y in 0..<tileHeight {
          for x in 0..<tileWidth {
            let value = filter[filter.startIndex + (c * height + y / zoom) * width + x / zoom]
            image.pixels[(c * sheetHeight + top + y) * sheetWidth + left + x] = UInt8(min(max(((Double(value) - low) * scale).rounded(), 0), 255))
          }
        }
      }
    }
    let out = try AtomicFileOutput(path: output)
    try PNG.encode(image).withUnsafeBytes { try out.write($0) }
    try out.commit()
  }

  /// The filters a model file holds, K × C × H × W: a CALM model's, or the first
  /// convolution of a network's encoder.
  static func filters(in file: SafeTensors, path: String) throws -> (shape: [Int], values: [Float]) {
    if file.metadata["format"] == CALMModel.format {
      let shape = try CALMModel.shape(of: file, path: path)
      let dims = [shape.filters, shape.channels, shape.patch, shape.patch]
      return (dims, try file.tensor("filters", shape: dims, file: path))
    }
    _ = try ModelFile(file, name: path)
    guard let (dims, values) = file.tensors["encoder.conv1.weight"], dims.count == 4 else {
      throw Failure("\(path): the network has no first convolution (encoder.conv1.weight) to draw")
    }
    guard dims.allSatisfy({ (1...4096).contains($0) }), dims[2] <= 256, dims[3] <= 256 else {
      throw Failure("\(path): encoder.conv1.weight has shape \(dims), not filters × channels × height × width of at most 4096 × 4096 × 256 × 256")
    }
    return (dims, values)
  }
}
