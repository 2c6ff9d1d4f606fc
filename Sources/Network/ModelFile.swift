import Foundation
import Shared

/// The affine map from stored pixel values in [0, 1] to the network's input, per channel:
/// (x − mean) / std, as torchvision's `Normalize`.
public struct Normalization: Codable, Equatable, Sendable {
  public var mean: [Float]
  public var std: [Float]

  public init(mean: [Float], std: [Float]) {
    (self.mean, self.std) = (mean, std)
  }
}

/// A trained network as a safetensors file: the weights under their PyTorch names
/// (`encoder.conv1.weight`, `head.0.weight`, …) and, in `__metadata__`, what is needed to
/// use them: `architecture` and `normalization` (JSON), the training `recipe` (JSON) and
/// `history`. A checkpoint is the same file with the training state added (tensors under
/// `train.` and `optimizer.`, and `step`), so it embeds like a model.
public struct ModelFile {
  public static let format = "unsup-embed-model-1"

  public var architecture: Architecture
  public var normalization: Normalization
  /// The options the network was trained with, as JSON.
  public var recipe: String
  public var history: [String]
  /// Other metadata (a checkpoint's step, the final loss).
  public var extra: [String: String] = [:]

  public init(architecture: Architecture, normalization: Normalization, recipe: String, history: [String], extra: [String: String] = [:]) {
    (self.architecture, self.normalization, self.recipe, self.history, self.extra) = (architecture, normalization, recipe, history, extra)
  }

  /// Writes `network`'s parameters and `state` (further arenas under their prefixes) to
  /// `path`, atomically.
  public func save(_ network: EmbeddingNetwork, state: [(prefix: String, arena: Arena)] = [], to path: String) throws {
    precondition(network.architecture == architecture, "saving a network under another architecture")
    var file = SafeTensors()
    file.add(network.savedArenas + state)
    file.metadata = extra
    file.metadata["format"] = Self.format
    file.metadata["architecture"] = Self.json(architecture)
    file.metadata["normalization"] = Self.json(normalization)
    file.metadata["recipe"] = recipe
    file.metadata["history"] = Self.json(history)
    let output = try AtomicFileOutput(path: path)
    try output.write(file.encoded())
    try output.commit()
  }

  /// Reads a model file's description and tensors, checking its metadata; `load(into:)`
  /// then fills a network built from `architecture`.
  public static func read(_ path: String) throws -> (ModelFile, SafeTensors) {
    let file = try SafeTensors(bytes: FileInput(path: path).readToEnd(), name: path)
    return (try ModelFile(file, name: path), file)
  }

  /// The description in a model file's metadata, checked; `name` names the file.
  public init(_ file: SafeTensors, name path: String) throws {
    guard file.metadata["format"] == Self.format else {
      let found = file.metadata["format"].map { "format \"\($0)\"" } ?? "no format in its metadata"
      throw Failure("\(path): not an embed model (\(found); expected \(Self.format))")
    }
    func decode<T: Decodable>(_ key: String, as type: T.Type) throws -> T {
      guard let text = file.metadata[key], let value = try? JSONDecoder().decode(T.self, from: Data(text.utf8)) else {
        throw Failure("\(path): the metadata's \(key) is missing or malformed")
      }
      return value
    }
    let architecture = try decode("architecture", as: Architecture.self)
    if let problem = architecture.problem { throw Failure("\(path): its architecture makes no network: \(problem)") }
    let normalization = try decode("normalization", as: Normalization.self)
    guard normalization.mean.count == architecture.channels, normalization.std.count == architecture.channels,
      normalization.std.allSatisfy({ $0 > 0 && $0.isFinite }), normalization.mean.allSatisfy(\.isFinite)
    else {
      throw Failure("\(path): the normalization needs a finite mean and a positive std for each of \(architecture.channels) channels")
    }
    var extra = file.metadata
    for key in ["format", "architecture", "normalization", "recipe", "history"] { extra[key] = nil }
    self.init(
      architecture: architecture, normalization: normalization, recipe: file.metadata["recipe"] ?? "{}",
      history: (try? decode("history", as: [String].self)) ?? [], extra: extra)
  }

  /// Fills `network`'s parameters and `state` from `file`; every tensor must be accounted
  /// for, so a checkpoint's training state must be asked for or left out with `ignoring`.
  public static func load(
    _ file: SafeTensors, into network: EmbeddingNetwork, state: [(prefix: String, arena: Arena)] = [],
    ignoringPrefixes ignored: [String] = [], name: String
  ) throws {
    var kept = file
    kept.tensors = file.tensors.filter { name, _ in !ignored.contains { name.hasPrefix($0) } }
    try kept.load(into: network.savedArenas + state, name: name)
  }

  public static func json<T: Encodable>(_ value: T) -> String {
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.sortedKeys]
    // Cannot fail: plain structs of numbers, strings and arrays.
    return String(decoding: (try? encoder.encode(value)) ?? Data("{}".utf8), as: UTF8.self)
  }
}
