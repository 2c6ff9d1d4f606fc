import Foundation
import Network
import Shared

/// A CALM model file: safetensors holding `filters` (K × C × P × P, PyTorch's `nn.Conv2d`
/// weight, so `F.conv2d(x, filters, bias=-0.5 * filters.pow(2).sum((1, 2, 3)), padding=p)`
/// gives the scores) and, in `__metadata__`, the `shape` (JSON: channels, height, width,
/// filters, patch, padding), the training `recipe`, `history` and the log-likelihood per
/// image of each EM pass; `preprocessing` is `zca-rows` when the images were whitened
/// (`RowWhitening`) before the layer saw them.
///
/// As a `VectorMap`, the features of `CALM.features`: each filter's scores pooled by
/// log-sum-exp over the image (grid 1) or over each cell of a grid.
struct CALMModel: VectorMap {
  static let format = "unsup-embed-calm-1"

  let calm: CALM
  let grid: Int
  let input: CALMInput
  var dimension: Int { calm.featureCount(grid: grid) }

  init(_ calm: CALM, grid: Int, input: CALMInput) {
    (self.calm, self.grid, self.input) = (calm, grid, input)
  }

  /// The model in `file`, already read from `path`, pooling over a `grid` × `grid` grid.
  init(_ file: SafeTensors, path: String, grid: Int, threads: Int) throws {
    let shape = try Self.shape(of: file, path: path)
    let filters = try file.tensor("filters", shape: [shape.filters, shape.channels, shape.patch, shape.patch], file: path)
    guard file.tensors.count == 1 else {
      throw Failure("\(path): tensor \(file.tensors.keys.sorted().first { $0 != "filters" }!) is not part of a CALM model")
    }
    // The biases −½‖θ_k‖² must be finite floats too.
    let d = shape.patchValues
    guard filters.allSatisfy(\.isFinite),
      (0..<shape.filters).allSatisfy({ k in (0..<d).reduce(0.0) { $0 + Double(filters[k * d + $1]) * Double(filters[k * d + $1]) } < 1e38 })
    else { throw Failure("\(path): the filters hold values that are not finite, or too large") }
    try MemoryBudget.check(
      values: Double(threads) * Double(shape.scratchValues), for: "\(path)'s CALM layer on \(threads) threads", hint: "lower --threads")
    guard grid <= min(shape.outHeight, shape.outWidth) else {
      throw Failure(
        "--grid \(grid) is finer than the \(shape.outHeight)×\(shape.outWidth) positions of \(path)'s filters", exitCode: ExitStatus.usage)
    }
    let preprocessing = file.metadata["preprocessing"]
    guard preprocessing == nil || preprocessing == RowWhitening.name else {
      throw Failure("\(path): unknown preprocessing \(preprocessing!) (\(RowWhitening.name) or none)")
    }
    self.init(
      CALM(shape, filters: filters, threads: threads), grid: grid,
      input: CALMInput(shape: shape, whitened: preprocessing != nil, threads: threads))
  }

  static func shape(of file: SafeTensors, path: String) throws -> CALMShape {
    guard file.metadata["format"] == format else { throw Failure("\(path): not a CALM model (\(format))") }
    guard let text = file.metadata["shape"], let shape = try? JSONDecoder().decode(CALMShape.self, from: Data(text.utf8)) else {
      throw Failure("\(path): the metadata's shape is missing or malformed")
    }
    if let problem = shape.problem { throw Failure("\(path): its shape makes no CALM layer: \(problem)") }
    return shape
  }

  func save(recipe: String, history: [String], logLikelihoods: [Double], to path: String) throws {
    let shape = calm.shape
    var file = SafeTensors()
    file.tensors = ["filters": ([shape.filters, shape.channels, shape.patch, shape.patch], calm.filters)]
    file.metadata = [
      "format": Self.format, "shape": ModelFile.json(shape), "recipe": recipe, "history": ModelFile.json(history),
      "log_likelihoods": logLikelihoods.map { String($0) }.joined(separator: ","),
    ]
    if input.whitened { file.metadata["preprocessing"] = RowWhitening.name }
    let output = try AtomicFileOutput(path: path)
    try output.write(file.encoded())
    try output.commit()
  }

  func check(_ schema: StreamSchema, name: String) throws {
    let shape = calm.shape
    let expected = [shape.channels, shape.height, shape.width]
    guard schema.layout == .chw, schema.dims == expected else {
      throw Failure(
        "\(name): the CALM model takes \(expected.map(String.init).joined(separator: "×")) images, but the stream holds \(schema.summary)")
    }
  }

  func vectors(of records: RecordBatch, schema: StreamSchema, name: String) throws -> [Float] {
    let data = try FeatureMatrix(schema: schema, records: records, name: name)
    if let row = data.firstNonFiniteRow() {
      throw Failure("\(name): record id \(records.ids[row]) has a value that is not finite (NaN or infinity)")
    }
    var result = [Float](repeating: 0, count: records.count * dimension)
    guard records.count > 0 else { return result }
    var scratch: [Float] = []
    input.images(data, 0..<records.count, scratch: &scratch) { images in
      calm.features(images, count: records.count, grid: grid, into: &result)
    }
    return result
  }
}

/// Images as a CALM layer sees them: values in [0, 1] (u8 pixels divided by 255),
/// whitened (`RowWhitening`) when the model's were.
struct CALMInput {
  let shape: CALMShape
  let whitened: Bool
  let threads: Int

  /// Calls `body` with rows `rows` of `data`, ready for the layer.
  func images<T>(_ data: FeatureMatrix, _ rows: Range<Int>, scratch: inout [Float], _ body: (UnsafePointer<Float>) -> T) -> T {
    data.floatRows(rows, scratch: &scratch) { values in
      guard whitened else { return body(values.baseAddress!) }
      var copy = Array(values)
      RowWhitening.apply(&copy, count: rows.count, channels: shape.channels, height: shape.height, width: shape.width, threads: threads)
      return body(copy)
    }
  }
}
